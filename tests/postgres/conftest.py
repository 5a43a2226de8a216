"""Fixtures: one real PostgreSQL server per session, a fresh database per test."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest

from . import _server

_numbers = itertools.count()


@pytest.fixture(scope="session")
def pg_server() -> Iterator[_server.Server]:
    pytest.importorskip("psycopg", reason="psycopg not installed (the 'postgres' extra)")
    if _server.binaries() is None:
        pytest.skip(_server.MISSING)
    server = _server.start()
    try:
        yield server
    finally:
        _server.destroy(server)


@pytest.fixture
def pg_dsn(pg_server: _server.Server) -> str:
    """A new, empty database on the session's server."""
    return pg_server.create_database(f"t{next(_numbers)}")
