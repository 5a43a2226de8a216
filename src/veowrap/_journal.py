"""A durable batch journal in SQLite: every item's state, written before the step it guards.

States move ``pending → submitting → submitted → done | failed``; ``uncertain`` marks a create
whose answer was lost. Because ``submitting`` is committed *before* the create is sent, a crash
between the two leaves ``submitting`` behind, which a restart treats as uncertain: reported for a
decision, never silently re-sent.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import Literal

from veowrap._errors import RequestValidationError

__all__ = ["Journal", "JournalEntry", "State"]

State = Literal["pending", "submitting", "submitted", "done", "failed", "uncertain"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS items (
    key TEXT PRIMARY KEY,
    position INTEGER NOT NULL,
    fingerprint TEXT NOT NULL,
    state TEXT NOT NULL CHECK (
        state IN ('pending', 'submitting', 'submitted', 'done', 'failed', 'uncertain')
    ),
    handle TEXT,
    paths TEXT,
    error TEXT,
    updated_at REAL NOT NULL
);
"""


@dataclass(frozen=True)
class JournalEntry:
    """One item's recorded state."""

    key: str
    position: int
    fingerprint: str
    state: State
    handle: str | None
    paths: tuple[str, ...]
    error: dict[str, str] | None


class Journal:
    """SQLite journal (WAL mode) shared safely between threads.

    Args:
        path: The database file; created if missing.
    """

    def __init__(self, path: str | PathLike[str]) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        # isolation_level=None: each statement commits at once, so a state is on disk before
        # the step it guards begins.
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")  # durable across process crashes in WAL
        self._db.executescript(_SCHEMA)

    def register(self, key: str, position: int, fingerprint: str) -> JournalEntry:
        """Adds an item as ``pending`` unless known; returns its entry.

        Raises:
            RequestValidationError: The key was recorded for a different request.
        """
        with self._lock:
            self._db.execute(
                "INSERT OR IGNORE INTO items (key, position, fingerprint, state, updated_at) "
                "VALUES (?, ?, ?, 'pending', ?)",
                (key, position, fingerprint, time.time()),
            )
        entry = self.get(key)
        assert entry is not None
        if entry.fingerprint != fingerprint:
            raise RequestValidationError(
                "key",
                key,
                "a key used for one request only",
                reason=f"the journal {self.path} recorded it for a different request",
                hint="Use a new journal for a new batch, or give each request its own key.",
            )
        return entry

    def get(self, key: str) -> JournalEntry | None:
        """The entry for ``key``, if recorded."""
        with self._lock:
            row = self._db.execute(
                "SELECT key, position, fingerprint, state, handle, paths, error "
                "FROM items WHERE key = ?",
                (key,),
            ).fetchone()
        return None if row is None else _entry(row)

    def mark(
        self,
        key: str,
        state: State,
        *,
        handle: str | None = None,
        paths: list[str] | None = None,
        error: dict[str, str] | None = None,
    ) -> None:
        """Records a new state (and the handle, paths or error that go with it)."""
        with self._lock:
            self._db.execute(
                "UPDATE items SET state = ?, handle = COALESCE(?, handle), paths = ?, "
                "error = ?, updated_at = ? WHERE key = ?",
                (
                    state,
                    handle,
                    json.dumps(paths) if paths is not None else None,
                    json.dumps(error) if error is not None else None,
                    time.time(),
                    key,
                ),
            )

    def entries(self) -> list[JournalEntry]:
        """Every entry, in input order."""
        with self._lock:
            rows = self._db.execute(
                "SELECT key, position, fingerprint, state, handle, paths, error "
                "FROM items ORDER BY position"
            ).fetchall()
        return [_entry(row) for row in rows]

    def close(self) -> None:
        """Closes the database."""
        with self._lock:
            self._db.close()

    def __repr__(self) -> str:
        return f"Journal({str(self.path)!r})"


def _entry(row: tuple[str, int, str, State, str | None, str | None, str | None]) -> JournalEntry:
    key, position, fingerprint, state, handle, paths, error = row
    return JournalEntry(
        key=key,
        position=position,
        fingerprint=fingerprint,
        state=state,
        handle=handle,
        paths=tuple(json.loads(paths)) if paths else (),
        error=json.loads(error) if error else None,
    )
