"""Attack round 5 fixtures: one throwaway PostgreSQL server for this folder, a fresh database
per test, and a loopback emulator."""

from __future__ import annotations

import contextlib
import itertools
import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from veowrap.testing import PostgresServer, VeoEmulator
from veowrap.testing._postgres import MISSING, binaries

_numbers = itertools.count()


@pytest.fixture(scope="session")
def a5_server() -> Iterator[PostgresServer]:
    pytest.importorskip("psycopg", reason="psycopg not installed (the 'postgres' extra)")
    if binaries() is None:
        pytest.skip(MISSING)
    server = PostgresServer.start()
    try:
        yield server
    finally:
        resume(server)
        server.destroy()


@pytest.fixture
def dsn(a5_server: PostgresServer) -> str:
    return a5_server.create_database(f"a5_{next(_numbers)}")


@pytest.fixture
def emu() -> Iterator[VeoEmulator]:
    with VeoEmulator(latency=0.05) as emulator:
        yield emulator


def server_pids(server: PostgresServer) -> list[int]:
    """The postmaster and every one of its children (backends, checkpointer...)."""
    master = int((server.root / "data" / "postmaster.pid").read_text().split()[0])
    pids = [master]
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:  # a process may end between the listing and the read
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == master:
                pids.append(int(stat.parent.name))
        except (OSError, IndexError, ValueError):
            continue
    return pids


def _signal_all(server: PostgresServer, signum: int) -> None:
    try:
        pids = server_pids(server)
    except (OSError, IndexError, ValueError):
        return
    for pid in pids:  # the postmaster first: once stopped, it forks no new backend
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signum)


def freeze(server: PostgresServer) -> None:
    """The database stalls: it keeps every connection open and answers nothing."""
    _signal_all(server, signal.SIGSTOP)
    _signal_all(server, signal.SIGSTOP)  # any backend forked meanwhile


def resume(server: PostgresServer) -> None:
    _signal_all(server, signal.SIGCONT)
