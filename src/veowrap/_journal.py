"""A durable batch journal in SQLite: every item's state, written before the step it guards.

States move ``pending → submitting → submitted → done | failed``; ``uncertain`` marks a create
whose answer was lost. ``submitting`` is committed *before* the create is sent, in the write
transaction that claims the item for one run (see :mod:`veowrap._core.batch_rules`), so a crash
between the two leaves ``submitting`` behind, which a restart treats as uncertain: reported for
a decision, never silently re-sent. Several processes may share one journal; each item's
create is sent by at most one of them.

The file carries a schema version (``PRAGMA user_version``). Version 0 (no lease columns) is
migrated in place; a file from a newer veowrap, or one that is not a readable, writable veowrap
journal, raises :class:`~veowrap.JournalError` naming the file and what to do, never a raw
``sqlite3`` error.
"""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import os
import secrets
import socket
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import Any, Literal, TypeVar

from veowrap._core import validation
from veowrap._core.batch_rules import Owner, Write
from veowrap._errors import JournalError, RequestValidationError

logger = logging.getLogger("veowrap")

__all__ = ["SCHEMA_VERSION", "STATES", "Journal", "JournalEntry", "State"]

State = Literal["pending", "submitting", "submitted", "done", "failed", "uncertain"]
STATES: tuple[State, ...] = ("pending", "submitting", "submitted", "done", "failed", "uncertain")

SCHEMA_VERSION = 1
# A lease not renewed for this long is given up for dead (owners on another host, or a live
# process here whose batch stopped renewing). Owners renew every HEARTBEAT_SECONDS.
LEASE_SECONDS = 60.0
HEARTBEAT_SECONDS = 10.0
DEFAULT_LOCK_TIMEOUT = 20.0

_V0_COLUMNS = ("key", "position", "fingerprint", "state", "handle", "paths", "error", "updated_at")
_LEASE_COLUMNS = {
    "owner_host": "TEXT",
    "owner_pid": "INTEGER",
    "owner_start": "TEXT",
    "owner_run": "TEXT",
    "lease_at": "REAL",
    "claims": "INTEGER NOT NULL DEFAULT 0",
}
_CREATE = """
CREATE TABLE items (
    key TEXT PRIMARY KEY,
    position INTEGER NOT NULL,
    fingerprint TEXT NOT NULL,
    state TEXT NOT NULL CHECK (
        state IN ('pending', 'submitting', 'submitted', 'done', 'failed', 'uncertain')
    ),
    handle TEXT,
    paths TEXT,
    error TEXT,
    updated_at REAL NOT NULL,
    owner_host TEXT,
    owner_pid INTEGER,
    owner_start TEXT,
    owner_run TEXT,
    lease_at REAL,
    claims INTEGER NOT NULL DEFAULT 0
)
"""
_COLUMNS = (
    "key, position, fingerprint, state, handle, paths, error, "
    "owner_host, owner_pid, owner_start, owner_run, lease_at, claims"
)
_RELEASE = "owner_host = NULL, owner_pid = NULL, owner_start = NULL, owner_run = NULL"
# Each claim's new state, and whether it counts as a claim for a create.
_CLAIMS: dict[str, tuple[State, int]] = {
    "claim_submit": ("submitting", 1),
    "claim_resume": ("submitted", 0),
}
_SQLITE_MAGIC = b"SQLite format 3\x00"
_HINT_MOVE = (
    "Move it aside (keep it: it may list operations you paid for) and rerun with a new journal "
    "path."
)

T = TypeVar("T")

# Batch runs alive in this process: an owner recorded with this process's pid and start token
# is alive exactly when its run is in here.
_ACTIVE_RUNS: set[str] = set()
_ACTIVE_LOCK = threading.Lock()


@dataclass(frozen=True)
class JournalEntry:
    """One item's recorded state.

    Attributes:
        owner: The batch run holding the item's lease (submitting, or waiting and saving), if
            any.
        lease_at: When that owner last renewed its lease (seconds since the epoch).
        claims: How many times the item was claimed for a create.
    """

    key: str
    position: int
    fingerprint: str
    state: State
    handle: str | None
    paths: tuple[str, ...]
    error: dict[str, str] | None
    owner: Owner | None = None
    lease_at: float | None = None
    claims: int = 0


class Journal:
    """SQLite journal (WAL mode) shared safely between threads and processes.

    Args:
        path: The database file; created if missing.
        lock_timeout: Seconds to wait for another process's lock before giving up with a
            :class:`~veowrap.JournalError`.

    Raises:
        RequestValidationError: ``path`` is not a path (another type, empty, a NUL in it).
        JournalError: The file cannot be used as a journal (the message says why, the hint
            what to do).
    """

    shared = False  # one host: a batch runs its own items, each as a task

    def __init__(
        self, path: str | PathLike[str], *, lock_timeout: float = DEFAULT_LOCK_TIMEOUT
    ) -> None:
        self.path = Path(validation.path("journal", path))
        self.lock_timeout = lock_timeout
        self._lock = threading.RLock()
        self._db: sqlite3.Connection | None = None
        self._file_id: tuple[int, int] | None = None
        self._gone_reported = False
        _check_file(self.path)
        try:
            self._db = sqlite3.connect(
                self.path, timeout=lock_timeout, isolation_level=None, check_same_thread=False
            )
        except sqlite3.Error as error:
            raise self._error(error) from None
        try:
            self._open()
        except BaseException:
            self.close()
            raise

    # Items ------------------------------------------------------------------------------

    def register(self, key: str, position: int, fingerprint: str) -> JournalEntry:
        """Adds an item as ``pending`` unless known; returns its entry.

        Raises:
            RequestValidationError: The key was recorded for a different request.
        """
        entry, _ = self.step(key, position, fingerprint, lambda entry: (None, None), None)
        return entry

    def step(
        self,
        key: str,
        position: int,
        fingerprint: str,
        decide: Callable[[JournalEntry], tuple[T, Write | None]],
        owner: Owner | None,
        *,
        error: dict[str, str] | None = None,
    ) -> tuple[JournalEntry, T]:
        """Registers an item if new, reads it and applies ``decide``'s write, atomically.

        Everything happens in one ``BEGIN IMMEDIATE`` transaction, so no other process can
        change the row between the decision and its write.

        Args:
            key: The item's key.
            position: Its position in the input (recorded when new).
            fingerprint: Its request's fingerprint; a key recorded for another is refused.
            decide: Gets the entry as read; returns a result and the write to make.
            owner: The run that claims the item (for ``claim_*`` writes).
            error: The record stored with a ``mark_uncertain`` write.

        Returns:
            The entry as read (before the write) and ``decide``'s result.

        Raises:
            RequestValidationError: The key was recorded for a different request.
            JournalError: The journal failed, is locked for too long, or the row is unreadable.
        """
        with self._transaction() as db:
            db.execute(
                "INSERT OR IGNORE INTO items (key, position, fingerprint, state, updated_at) "
                "VALUES (?, ?, ?, 'pending', ?)",
                (key, position, fingerprint, time.time()),
            )
            entry = self._read(db, key)
            if entry.fingerprint != fingerprint:
                raise _other_request(key, str(self.path))
            result, write = decide(entry)
            if write is not None:
                self._apply(db, key, write, owner, error)
        return entry, result

    def load(self, items: Sequence[tuple[str, int, str]]) -> None:
        """Registers every ``(key, position, fingerprint)`` not yet recorded, in one go.

        Raises:
            RequestValidationError: A key was recorded for a different request.
        """
        with self._transaction() as db:
            now = time.time()
            db.executemany(
                "INSERT OR IGNORE INTO items (key, position, fingerprint, state, updated_at) "
                "VALUES (?, ?, ?, 'pending', ?)",
                [(key, position, fingerprint, now) for key, position, fingerprint in items],
            )
            recorded = dict(db.execute("SELECT key, fingerprint FROM items").fetchall())
        for key, _, fingerprint in items:
            if recorded.get(key) != fingerprint:
                raise _other_request(key, str(self.path))

    def claim_next(
        self,
        decide: Callable[[JournalEntry], tuple[T, Write | None]],
        owner: Owner,
        *,
        states: Sequence[State],
        error: dict[str, str] | None = None,
    ) -> tuple[tuple[JournalEntry, T] | None, list[tuple[JournalEntry, T]]]:
        """Claims the first item (in input order) that ``decide`` claims, atomically.

        SQLite has one writer at a time: the ``BEGIN IMMEDIATE`` transaction is the lock.
        """
        offered: list[tuple[JournalEntry, T]] = []
        marks = ",".join("?" for _ in states)
        with self._transaction() as db:
            rows = db.execute(
                f"SELECT {_COLUMNS} FROM items WHERE state IN ({marks}) "
                "AND (owner_run IS NULL OR owner_run != ?) ORDER BY position",
                (*states, owner.run),
            ).fetchall()
            for row in rows:
                entry = self._entry(row)
                result, write = decide(entry)
                if write is not None:
                    self._apply(db, entry.key, write, owner, error)
                if write in _CLAIMS:
                    return (entry, result), offered
                offered.append((entry, result))
        return None, offered

    def counts(self) -> dict[str, int]:
        """How many items are in each state (every state listed, zeros included)."""
        with self._guard() as db:
            rows = db.execute("SELECT state, COUNT(*) FROM items GROUP BY state").fetchall()
        return {state: 0 for state in STATES} | {str(state): int(n) for state, n in rows}

    def record(
        self,
        key: str,
        owner: Owner,
        state: State,
        *,
        handle: str | None = None,
        paths: list[str] | None = None,
        error: dict[str, str] | None = None,
        keep_lease: bool = False,
        force: bool = False,
    ) -> bool:
        """Records what ``owner`` did with an item it holds.

        Args:
            key: The item.
            owner: The run holding it.
            state: The new state.
            handle: The operation's handle JSON (kept when ``None``).
            paths: Saved files.
            error: The error record.
            keep_lease: Keep holding the item (``submitted``: the wait and save follow).
            force: Write even if the lease was lost: used for a new handle, which is the only
                record of a paid operation and must never be dropped.

        Returns:
            Whether the row was written (``False``: another run took the item over).
        """
        lease = (
            "owner_host = ?, owner_pid = ?, owner_start = ?, owner_run = ?, lease_at = ?"
            if keep_lease
            else f"{_RELEASE}, lease_at = NULL"
        )
        values: list[Any] = (
            [owner.host, owner.pid, owner.start, owner.run, time.time()] if keep_lease else []
        )
        guard = "" if force else " AND (owner_run = ? OR owner_run IS NULL)"
        with self._transaction() as db:
            cursor = db.execute(
                f"UPDATE items SET state = ?, handle = COALESCE(?, handle), paths = ?, error = ?, "
                f"updated_at = ?, {lease} WHERE key = ?{guard}",
                (
                    state,
                    handle,
                    json.dumps(paths) if paths is not None else None,
                    json.dumps(error) if error is not None else None,
                    time.time(),
                    *values,
                    key,
                    *([] if force else [owner.run]),
                ),
            )
            return cursor.rowcount > 0

    def mark(
        self,
        key: str,
        state: State,
        *,
        handle: str | None = None,
        paths: list[str] | None = None,
        error: dict[str, str] | None = None,
    ) -> None:
        """Records a new state unconditionally and clears the item's lease (for repairs)."""
        with self._transaction() as db:
            db.execute(
                f"UPDATE items SET state = ?, handle = COALESCE(?, handle), paths = ?, "
                f"error = ?, updated_at = ?, {_RELEASE}, lease_at = NULL WHERE key = ?",
                (
                    state,
                    handle,
                    json.dumps(paths) if paths is not None else None,
                    json.dumps(error) if error is not None else None,
                    time.time(),
                    key,
                ),
            )

    def get(self, key: str) -> JournalEntry | None:
        """The entry for ``key``, if recorded."""
        with self._guard() as db:
            row = db.execute(f"SELECT {_COLUMNS} FROM items WHERE key = ?", (key,)).fetchone()
        return None if row is None else self._entry(row)

    def entries(self) -> list[JournalEntry]:
        """Every entry, in input order."""
        with self._guard() as db:
            rows = db.execute(f"SELECT {_COLUMNS} FROM items ORDER BY position").fetchall()
        return [self._entry(row) for row in rows]

    # Leases -----------------------------------------------------------------------------

    def begin_run(self) -> Owner:
        """A new owner identity for one batch run in this process."""
        run = secrets.token_hex(8)
        with _ACTIVE_LOCK:
            _ACTIVE_RUNS.add(run)
        return Owner(host=_HOST, pid=os.getpid(), start=_start_token(os.getpid()), run=run)

    def heartbeat(self, owner: Owner) -> None:
        """Renews the lease on every item ``owner`` holds."""
        with self._transaction() as db:
            db.execute(
                "UPDATE items SET lease_at = ? WHERE owner_run = ?", (time.time(), owner.run)
            )

    def end_run(self, owner: Owner) -> list[JournalEntry]:
        """Gives up everything ``owner`` still holds.

        A ``submitted`` item stays submitted, free for any run to resume. A ``submitting`` one
        (its create was in flight) becomes ``uncertain``.

        Returns:
            The entries that became uncertain, for the caller to report.
        """
        with _ACTIVE_LOCK:
            _ACTIVE_RUNS.discard(owner.run)
        with self._transaction() as db:
            rows = db.execute(
                f"SELECT {_COLUMNS} FROM items WHERE owner_run = ? AND state = 'submitting'",
                (owner.run,),
            ).fetchall()
            lost = [self._entry(row) for row in rows]
            for entry in lost:
                record = {
                    "type": "SubmissionUncertainError",
                    "message": "The batch stopped while this request's create was in flight.",
                    "fingerprint": entry.fingerprint,
                }
                db.execute(
                    f"UPDATE items SET state = 'uncertain', error = ?, updated_at = ?, "
                    f"{_RELEASE}, lease_at = NULL WHERE key = ?",
                    (json.dumps(record), time.time(), entry.key),
                )
            db.execute(
                f"UPDATE items SET {_RELEASE}, lease_at = NULL WHERE owner_run = ?", (owner.run,)
            )
        return lost

    def owner_gone(self, owner: Owner) -> bool:
        """Whether ``owner``'s process is known to have ended (same host only)."""
        return owner.host == _HOST and _process_gone(owner.pid, owner.start)

    @staticmethod
    def active_runs() -> frozenset[str]:
        """The batch runs alive in this process."""
        with _ACTIVE_LOCK:
            return frozenset(_ACTIVE_RUNS)

    # Plumbing ---------------------------------------------------------------------------

    def close(self) -> None:
        """Closes the database."""
        with self._lock:
            if self._db is not None:
                with contextlib.suppress(sqlite3.Error):
                    self._db.close()
                self._db = None

    def __repr__(self) -> str:
        return f"Journal({str(self.path)!r})"

    def _open(self) -> None:
        with self._guard() as db:
            self._retry(lambda: db.execute("PRAGMA journal_mode=WAL").fetchone())
            db.execute("PRAGMA synchronous=NORMAL")  # durable across process crashes in WAL
            check = self._retry(lambda: db.execute("PRAGMA quick_check").fetchall())
        if [tuple(row) for row in check] != [("ok",)]:
            raise self._damaged()
        with self._transaction() as db:
            self._migrate(db)
        with contextlib.suppress(OSError):
            stat = os.stat(self.path)
            self._file_id = (stat.st_dev, stat.st_ino)

    def _migrate(self, db: sqlite3.Connection) -> None:
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise JournalError(
                f"The journal {str(self.path)!r} was written by a newer veowrap "
                f"(schema version {version}; this veowrap reads up to {SCHEMA_VERSION}).",
                path=str(self.path),
                hint="Upgrade veowrap to resume this batch, or use a new journal path.",
            )
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if "items" not in tables:
            if tables or version != 0:
                raise self._foreign("it is an SQLite database without veowrap's items table")
            db.execute(_CREATE)
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            return
        columns = {row[1] for row in db.execute("PRAGMA table_info(items)")}
        if not set(_V0_COLUMNS) <= columns:
            missing = ", ".join(sorted(set(_V0_COLUMNS) - columns))
            raise self._foreign(f"its items table lacks columns veowrap needs ({missing})")
        if version == 0:  # the first schema: add the lease columns
            for name, kind in _LEASE_COLUMNS.items():
                if name not in columns:
                    db.execute(f"ALTER TABLE items ADD COLUMN {name} {kind}")
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        elif not set(_LEASE_COLUMNS) <= columns:
            raise self._foreign("its items table lacks the lease columns of its schema version")

    @contextlib.contextmanager
    def _guard(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            if self._db is None:
                raise JournalError(
                    f"The journal {str(self.path)!r} is closed.",
                    path=str(self.path),
                    hint="Open it again with veowrap.Journal(path).",
                )
            try:
                yield self._db
            except sqlite3.Error as error:
                raise self._error(error) from None

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._guard() as db:
            # IMMEDIATE takes the write lock up front: a read-then-write never has to upgrade
            # its lock, which in WAL mode fails at once (SQLITE_BUSY) instead of waiting.
            self._retry(lambda: db.execute("BEGIN IMMEDIATE"))
            try:
                yield db
            except BaseException:
                with contextlib.suppress(sqlite3.Error):
                    db.execute("ROLLBACK")
                raise
            try:
                self._retry(lambda: db.execute("COMMIT"))
            except BaseException:
                with contextlib.suppress(sqlite3.Error):
                    db.execute("ROLLBACK")
                raise
            self._check_still_there()

    def _check_still_there(self) -> None:
        """Warns once when the journal file was deleted or replaced under a running batch.

        SQLite keeps writing to the unlinked file, so nothing fails, but a rerun with the same
        path would start from nothing and pay again: the user must hear of it while the handles
        of paid jobs are still at hand (in this run's items and events).
        """
        if self._file_id is None or self._gone_reported:
            return
        try:
            stat = os.stat(self.path)
            same = (stat.st_dev, stat.st_ino) == self._file_id
        except OSError:
            same = False
        if not same:
            self._gone_reported = True
            logger.warning(
                "veowrap: the journal %r was deleted or replaced while the batch ran; this run "
                "keeps its records in the old, unlinked file, which a rerun cannot read. Keep "
                "the handles of this run's items (item.handle, or the Submitted events): a "
                "rerun with this journal path would submit and pay for them again.",
                str(self.path),
            )

    def _retry(self, statement: Callable[[], T]) -> T:
        # SQLite's busy handler waits up to lock_timeout, but some SQLITE_BUSY answers in WAL
        # mode bypass it (recovery, a checkpoint in progress): retry those within the same bound.
        deadline = time.monotonic() + self.lock_timeout
        delay = 0.002
        while True:
            try:
                return statement()
            except sqlite3.OperationalError as error:
                if not _busy(error) or time.monotonic() + delay > deadline:
                    raise
            time.sleep(delay)
            delay = min(delay * 2, 0.1)

    def _read(self, db: sqlite3.Connection, key: str) -> JournalEntry:
        row = db.execute(f"SELECT {_COLUMNS} FROM items WHERE key = ?", (key,)).fetchone()
        return self._entry(row)

    def _apply(
        self,
        db: sqlite3.Connection,
        key: str,
        write: Write,
        owner: Owner | None,
        error: dict[str, str] | None,
    ) -> None:
        now = time.time()
        if write == "mark_uncertain":
            db.execute(
                f"UPDATE items SET state = 'uncertain', error = COALESCE(?, error), "
                f"updated_at = ?, {_RELEASE}, lease_at = NULL WHERE key = ?",
                (json.dumps(error) if error is not None else None, now, key),
            )
            return
        assert owner is not None
        state, claims = _CLAIMS[write]
        db.execute(
            "UPDATE items SET state = ?, error = NULL, updated_at = ?, owner_host = ?, "
            "owner_pid = ?, owner_start = ?, owner_run = ?, lease_at = ?, claims = claims + ? "
            "WHERE key = ?",
            (state, now, owner.host, owner.pid, owner.start, owner.run, now, claims, key),
        )

    def _entry(self, row: tuple[Any, ...]) -> JournalEntry:
        (key, position, fingerprint, state, handle, paths, error, host, pid, start, run, lease_at,
         claims) = row  # fmt: skip
        try:
            decoded_paths = tuple(str(p) for p in json.loads(paths)) if paths else ()
            decoded_error = json.loads(error) if error else None
            if decoded_error is not None and not isinstance(decoded_error, dict):
                raise ValueError("the error record is not an object")
        except (ValueError, TypeError):
            raise JournalError(
                f"The journal {str(self.path)!r} holds an unreadable record for item {key!r}.",
                path=str(self.path),
                hint="Repair or delete that row (Journal(path).mark(key, ...)), or rerun with a "
                "new journal path.",
            ) from None
        owner = None
        if run is not None:
            owner = Owner(host=str(host), pid=int(pid or 0), start=start, run=str(run))
        return JournalEntry(
            key=key,
            position=position,
            fingerprint=fingerprint,
            state=state,
            handle=handle,
            paths=decoded_paths,
            error=decoded_error,
            owner=owner,
            lease_at=lease_at,
            claims=int(claims or 0),
        )

    def _error(self, error: sqlite3.Error) -> JournalError:
        name = getattr(error, "sqlite_errorname", "") or ""
        where = repr(str(self.path))
        if _busy(error):
            return JournalError(
                f"The journal {where} stayed locked by another program for more than "
                f"{self.lock_timeout:g} s.",
                path=str(self.path),
                hint="Let the other program (another batch, a database browser) finish or close "
                "it, then rerun; or use another journal path.",
            )
        if name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")):
            return self._damaged() if name.startswith("SQLITE_CORRUPT") else self._foreign("")
        if name.startswith("SQLITE_READONLY") or name.startswith("SQLITE_CANTOPEN"):
            return _unwritable(self.path, "SQLite cannot open it for writing")
        if name.startswith("SQLITE_FULL"):
            return JournalError(
                f"The journal {where} cannot be written: the disk is full.",
                path=str(self.path),
                hint="Free some space, then rerun with the same journal.",
            )
        return JournalError(
            f"The journal {where} failed: {type(error).__name__} ({name or 'unknown error'}).",
            path=str(self.path),
            hint="Check the file and its disk, then rerun; or use a new journal path.",
        )

    def _damaged(self) -> JournalError:
        return JournalError(
            f"The journal {str(self.path)!r} is damaged (truncated or corrupt).",
            path=str(self.path),
            hint=_HINT_MOVE,
        )

    def _foreign(self, why: str) -> JournalError:
        return _foreign(self.path, why)


def _other_request(key: str, where: str) -> RequestValidationError:
    return RequestValidationError(
        "key",
        key,
        "a key used for one request only",
        reason=f"the journal {where} recorded it for a different request",
        hint="Use a new journal (or batch name) for a new batch, or give each request its own key.",
    )


def _foreign(path: Path, why: str) -> JournalError:
    reason = f": {why}" if why else ""
    return JournalError(
        f"{str(path)!r} is not a veowrap journal{reason}.",
        path=str(path),
        hint="Pass the path of a journal veowrap wrote, or a new path to start one.",
    )


def _unwritable(path: Path, reason: str) -> JournalError:
    return JournalError(
        f"The journal {str(path)!r} cannot be written: {reason}.",
        path=str(path),
        hint="Make it and its folder writable (chmod u+w; chattr -i if it is immutable), or "
        "choose another journal path.",
    )


def _busy(error: sqlite3.Error) -> bool:
    name = getattr(error, "sqlite_errorname", "") or ""
    if name:
        return name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED"))
    return "locked" in str(error) or "busy" in str(error)


_REASONS = {
    errno.EACCES: "permission denied",
    errno.EPERM: "not permitted (is it immutable?)",
    errno.EROFS: "the file system is read-only",
    errno.ENOSPC: "the disk is full",
    errno.ENOTDIR: "a part of its path is a file, not a directory",
    errno.ENAMETOOLONG: "the name is too long",
}


def _check_file(path: Path) -> None:
    """Refuses, before SQLite sees it, a path that cannot be a writable journal.

    SQLite silently opens an unwritable file read-only (and fails only at the first write),
    and maps its ``-shm`` file into memory, where a file it cannot extend ends in SIGBUS:
    everything it would need to write is tried here first.
    """
    if path.is_dir():
        raise JournalError(
            f"The journal {str(path)!r} is a directory.",
            path=str(path),
            hint="Pass a file path for the journal, e.g. out/batch.sqlite.",
        )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise _unwritable(path, f"its folder cannot be created ({_reason(error)})") from None
    if path.exists():
        try:
            descriptor = os.open(path, os.O_RDWR)
        except OSError as error:
            raise _unwritable(path, _reason(error)) from None
        try:
            header = os.pread(descriptor, 100, 0)
            size = os.fstat(descriptor).st_size
        except OSError as error:
            raise _unwritable(path, f"it cannot be read ({_reason(error)})") from None
        finally:
            os.close(descriptor)
        _check_header(path, header, size)
        for suffix in ("-wal", "-shm"):
            side = path.with_name(path.name + suffix)
            if side.exists():
                try:
                    os.close(os.open(side, os.O_RDWR))
                except OSError as error:
                    raise _unwritable(path, f"{side.name}: {_reason(error)}") from None
    # SQLite creates -wal and -shm files beside the journal: the folder must take new files.
    probe = path.with_name(f".{path.name}.veowrap-probe-{secrets.token_hex(4)}")
    try:
        os.close(os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except OSError as error:
        raise _unwritable(path, f"its folder does not take new files ({_reason(error)})") from None
    finally:
        with contextlib.suppress(OSError):
            probe.unlink()


def _check_header(path: Path, header: bytes, size: int) -> None:
    if size == 0:
        return  # an empty file is a new database to SQLite
    if len(header) < 100 or not header.startswith(_SQLITE_MAGIC):
        if header.startswith(_SQLITE_MAGIC[:6]):
            raise JournalError(
                f"The journal {str(path)!r} is damaged (truncated or corrupt).",
                path=str(path),
                hint=_HINT_MOVE,
            )
        raise _foreign(path, "it is not an SQLite database")
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    wal = path.with_name(path.name + "-wal")
    complete = size % page_size == 0
    checkpointed = not (wal.exists() and wal.stat().st_size > 0)
    # The header's page count is valid when its two change counters agree; pages still in the
    # WAL may legitimately extend the file later, so only a checkpointed file is checked.
    if complete and checkpointed and header[24:28] == header[92:96]:
        complete = size >= int.from_bytes(header[28:32], "big") * page_size
    if not complete:
        raise JournalError(
            f"The journal {str(path)!r} is damaged (truncated or corrupt).",
            path=str(path),
            hint=_HINT_MOVE,
        )


def _reason(error: OSError) -> str:
    return _REASONS.get(error.errno or 0, error.strerror or type(error).__name__)


# Process identity -------------------------------------------------------------------------

_HOST = socket.gethostname()


def _boot_id() -> str:
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return ""


_BOOT = _boot_id()


def _stat_fields(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) is in parentheses and may itself contain spaces or ")".
    return text[text.rfind(")") + 2 :].split()


def _start_token(pid: int) -> str | None:
    """When ``pid`` started (boot id and start time), or ``None`` where /proc is missing."""
    fields = _stat_fields(pid)
    if fields is None or len(fields) < 20:
        return None
    return f"{_BOOT}:{fields[19]}"


def _process_gone(pid: int, start: str | None) -> bool:
    """Whether the process ``pid`` (started at ``start``) on this host has ended."""
    if os.name != "posix" or pid <= 0:
        return False  # cannot tell: the lease decides
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        pass  # exists, under another user
    except OSError:
        return False
    fields = _stat_fields(pid)
    if fields is None:
        return False
    if fields and fields[0] in ("Z", "X"):  # a zombie has ended; only its parent has not noticed
        return True
    return start is not None and _start_token(pid) != start
