"""Attack: deadlines hold whatever the database does (promise 4). The server is frozen with
SIGSTOP: every connection stays open and nothing answers (a hung host, a network partition)."""

from __future__ import annotations

import contextlib
import subprocess
import time

import pytest

import veowrap
from veowrap.testing import PostgresServer, VeoEmulator

from .conftest import freeze, resume
from .h5 import spawn, states, wait_for


def test_frozen_database_before_the_batch_fails_within_lock_timeout(
    a5_server: PostgresServer, dsn: str
) -> None:
    veowrap.PostgresJournal(dsn, batch="warm").close()  # schema made while it answers
    freeze(a5_server)
    try:
        started = time.monotonic()
        with pytest.raises(veowrap.JournalError):
            veowrap.PostgresJournal(dsn, batch="frozen", lock_timeout=1)
        took = time.monotonic() - started
    finally:
        resume(a5_server)
    assert took < 8, took  # lock_timeout 1 s; libpq's connect_timeout has a 2 s floor


def test_database_frozen_mid_batch_cannot_hold_the_worker_past_its_deadlines(
    a5_server: PostgresServer, dsn: str, emu: VeoEmulator
) -> None:
    emu.set_latency(0.5)
    worker = spawn(
        emu, dsn, count=6, concurrency=3, rpm=6000, lock_timeout=1, gen_timeout=2, batch="default"
    )
    try:
        wait_for(lambda: "submitted" in states(dsn).values(), "no create recorded")
        freeze(a5_server)
        # lock_timeout (1 s) + the generator's timeout (2 s) + generous slack for a busy host.
        with contextlib.suppress(subprocess.TimeoutExpired):
            worker.wait(timeout=12)
        ended = worker.poll() is not None
    finally:
        resume(a5_server)
        if worker.poll() is None:
            worker.kill()
        worker.communicate()
    assert ended, "the worker was still running 12 s after the database froze"
