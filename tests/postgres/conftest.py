"""Fixtures: one real PostgreSQL server per session, a fresh database per test.

Without the server binaries the tests skip with a reason ``tests/conftest.py`` does not allow
under VEOWRAP_STRICT_SKIPS=1, so CI (which installs PostgreSQL, see .ci/run) fails loudly rather
than silently not testing.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest

from veowrap.testing import PostgresServer
from veowrap.testing._postgres import MISSING, binaries

_numbers = itertools.count()


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgresServer]:
    pytest.importorskip("psycopg", reason="psycopg not installed (the 'postgres' extra)")
    if binaries() is None:
        pytest.skip(MISSING)
    server = PostgresServer.start()
    try:
        yield server
    finally:
        server.destroy()


@pytest.fixture
def pg_dsn(pg_server: PostgresServer) -> str:
    """A new, empty database on the session's server."""
    return pg_server.create_database(f"t{next(_numbers)}")
