"""A batch journal in PostgreSQL: many workers, on any hosts, share named batches and one quota.

The same states and rules as the SQLite journal (:mod:`veowrap._journal`,
:mod:`veowrap._core.batch_rules`), through psycopg 3 (the ``postgres`` extra). What PostgreSQL
adds:

- a worker claims an item in a transaction that locks its row (``SELECT … FOR UPDATE SKIP
  LOCKED`` when it looks for the next item: rows another worker is deciding about are skipped,
  never waited for) and writes the lease (``submitting``, its run id, host and pid) before the
  transaction commits; the create is sent only after that commit;
- a ``veowrap_workers`` row per run, whose heartbeat renews every lease the run holds;
- named batches: ``(batch, key)`` identifies an item, so many batches share one database;
- a shared pacer row (:class:`SharedPacer`), booked atomically by every worker of a quota;
- a versioned schema (``veowrap_schema``), migrated forward under an advisory lock; a database
  migrated by a newer veowrap is refused with a :class:`~veowrap.JournalError`.

Times come from the database's clock, so hosts with skewed clocks still agree on leases and
slots.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import socket
import threading
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, LiteralString, TypeVar

from veowrap._core import dsn as dsn_rules
from veowrap._core import journal_deadlines, validation
from veowrap._core.batch_rules import Owner, Write
from veowrap._core.pacing import Pacer
from veowrap._errors import JournalError
from veowrap._journal import (
    _ACTIVE_LOCK,
    _ACTIVE_RUNS,
    _CLAIMS,
    _HOST,
    DEFAULT_LOCK_TIMEOUT,
    STATES,
    JournalEntry,
    State,
    _other_request,
    _process_gone,
    _start_token,
)
from veowrap._redact import redact, register_secrets

if TYPE_CHECKING:
    import psycopg

__all__ = ["DEFAULT_BATCH", "SCHEMA_VERSION", "PostgresJournal", "SharedPacer"]

T = TypeVar("T")

DEFAULT_BATCH = "default"
_NOW = "extract(epoch from clock_timestamp())"
_STATE_CHECK = ", ".join(f"'{state}'" for state in STATES)

# Each migration takes the schema from the version before it to its own; they run in order, in
# one transaction, under an advisory lock (workers starting together migrate once).
MIGRATIONS: tuple[tuple[int, tuple[LiteralString, ...]], ...] = (
    (
        1,
        (
            "CREATE TABLE veowrap_workers (run text PRIMARY KEY, batch text NOT NULL, "
            "host text NOT NULL, pid integer NOT NULL, start text, "
            f"started_at double precision NOT NULL DEFAULT {_NOW}, "
            f"heartbeat_at double precision NOT NULL DEFAULT {_NOW})",
            "CREATE TABLE veowrap_items (batch text NOT NULL, key text NOT NULL, "
            "position integer NOT NULL, fingerprint text NOT NULL, "
            f"state text NOT NULL CHECK (state IN ({_STATE_CHECK})), "
            "handle text, paths jsonb, error jsonb, "
            f"updated_at double precision NOT NULL DEFAULT {_NOW}, "
            "owner_run text, owner_host text, owner_pid integer, owner_start text, "
            "lease_at double precision, claims integer NOT NULL DEFAULT 0, "
            "PRIMARY KEY (batch, key))",
            "CREATE INDEX veowrap_items_by_state ON veowrap_items (batch, state, position)",
        ),
    ),
    (
        2,
        (
            "CREATE TABLE veowrap_pacers (name text PRIMARY KEY, rate double precision, "
            "next_slot double precision NOT NULL DEFAULT 0, "
            "throttled bigint NOT NULL DEFAULT 0, booked bigint NOT NULL DEFAULT 0)",
        ),
    ),
)
SCHEMA_VERSION = MIGRATIONS[-1][0]
# Workers in several processes (and hosts) reach the service with more spread than one
# process's tasks: a little more room under the quota than the single-process pacer's 0.98
# keeps their creates out of the sliding window's edge (benchmarks/workers.py measures it).
SHARED_HEADROOM = 0.96
_LOCK_KEY = 0x7665_6F77  # "veow": the advisory lock that serialises migrations

_COLUMNS = (
    "i.key, i.position, i.fingerprint, i.state, i.handle, i.paths, i.error, i.owner_host, "
    f"i.owner_pid, i.owner_start, i.owner_run, GREATEST(i.lease_at, w.heartbeat_at), i.claims, "
    f"{_NOW}"
)
_FROM = "veowrap_items i LEFT JOIN veowrap_workers w ON w.run = i.owner_run"
_RELEASE = "owner_run = NULL, owner_host = NULL, owner_pid = NULL, owner_start = NULL"


def _psycopg() -> Any:
    try:
        import psycopg
    except ImportError:
        raise JournalError(
            "A postgresql:// journal needs psycopg 3, which is not installed.",
            path="postgresql://",
            hint='Install them with: pip install "veowrap[postgres]"',
        ) from None
    return psycopg


class PostgresJournal:
    """A batch journal in PostgreSQL, shared by workers on any number of hosts.

    Args:
        dsn: A ``postgresql://`` URL (or any libpq connection string).
        batch: The batch's name; items of other batches in the same database are never seen.
        lock_timeout: Seconds to wait for a row lock or a connection, and to keep
            reconnecting after the server went away, before a :class:`~veowrap.JournalError`.
        quota: The name of the shared pacer row (every batch of one quota uses one name).

    Raises:
        RequestValidationError: ``batch`` is not a non-blank string of at most 200 characters
            without NUL.
        JournalError: psycopg is missing, the server cannot be reached, or its schema is from
            a newer veowrap.
    """

    shared = True

    def __init__(
        self,
        dsn: str,
        *,
        batch: str = DEFAULT_BATCH,
        lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
        quota: str = "default",
    ) -> None:
        # First of all: whatever fails below, no message may show the password.
        register_secrets(dsn_rules.passwords(dsn) if isinstance(dsn, str) else ())
        validation.batch_name("batch", batch)
        pg = _psycopg()
        self.batch = batch
        self.quota = quota
        self.lock_timeout = lock_timeout
        self.path = f"{_redact(pg, dsn)}#{batch}"
        self._psycopg = pg
        unreadable = _unreadable(pg, dsn)
        if unreadable is not None:
            # libpq's own parse error quotes the URL or the password's token: never shown.
            raise JournalError(
                f"The journal URL {dsn_rules.mask(dsn, dsn)!r} cannot be read: {unreadable}.",
                path=self.path,
                hint="Write it as postgresql://USER:PASSWORD@HOST:PORT/DATABASE, with special "
                "characters in the password URL-encoded (% as %25, @ as %40, / as %2F).",
            )
        self._lock = threading.RLock()
        self._closed = False
        self._dsn = dsn
        self._call_seconds = journal_deadlines.call_seconds(lock_timeout)
        self._watchdog = _Watchdog()
        # When the connection was lost (and not regained), and when connecting last failed.
        self._lost_at: float | None = None
        self._refused_at: float | None = None
        self._kwargs = _connect_options(lock_timeout)
        deadline, delay = time.monotonic() + lock_timeout, 0.05
        while True:
            try:
                first: psycopg.Connection[Any] = pg.connect(dsn, **self._kwargs)
                break
            except pg.Error as error:
                # A server that is there but starting, stopping or recovering is waited for;
                # a wrong URL, a refused login or no server at all fails at once.
                if not _busy_server(error) or time.monotonic() + delay >= deadline:
                    raise self._unreachable(error) from None
                time.sleep(delay)
                delay = min(delay * 2, 1.0)
        self._db: psycopg.Connection[Any] | None = first
        try:
            self._bounded(first, self._migrate)
        except BaseException:
            self.close()
            raise

    # Items ------------------------------------------------------------------------------

    def register(self, key: str, position: int, fingerprint: str) -> JournalEntry:
        """Adds an item as ``pending`` unless known; returns its entry."""
        entry, _ = self.step(key, position, fingerprint, lambda entry: (None, None), None)
        return entry

    def load(self, items: Sequence[tuple[str, int, str]]) -> None:
        """Registers every ``(key, position, fingerprint)`` not yet recorded, in one go.

        Raises:
            RequestValidationError: A key was recorded for a different request.
        """
        ordered = sorted(items)  # one lock order for every worker loading the same batch

        def work(db: psycopg.Connection[Any]) -> dict[str, str]:
            with db.cursor() as cursor:
                cursor.executemany(
                    "INSERT INTO veowrap_items (batch, key, position, fingerprint, state) "
                    "VALUES (%s, %s, %s, %s, 'pending') ON CONFLICT DO NOTHING",
                    [(self.batch, key, position, fp) for key, position, fp in ordered],
                )
                cursor.execute(
                    "SELECT key, fingerprint FROM veowrap_items WHERE batch = %s", (self.batch,)
                )
                return {str(key): str(fp) for key, fp in cursor.fetchall()}

        recorded = self._run(work)
        for key, _, fingerprint in items:
            if recorded.get(key) != fingerprint:
                raise _other_request(key, self.path)

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
        """Registers an item if new, locks and reads its row, applies ``decide``'s write.

        The row stays locked (``FOR UPDATE``) from the read to the commit, so no other worker
        changes it between the decision and its write.
        """

        def work(db: psycopg.Connection[Any]) -> tuple[JournalEntry, T]:
            db.execute(
                "INSERT INTO veowrap_items (batch, key, position, fingerprint, state) "
                "VALUES (%s, %s, %s, %s, 'pending') ON CONFLICT DO NOTHING",
                (self.batch, key, position, fingerprint),
            )
            row = db.execute(
                f"SELECT {_COLUMNS} FROM {_FROM} WHERE i.batch = %s AND i.key = %s FOR UPDATE OF i",
                (self.batch, key),
            ).fetchone()
            entry = self._entry(row)
            if entry.fingerprint != fingerprint:
                raise _other_request(key, self.path)
            result, write = decide(entry)
            if write is not None:
                self._apply(db, key, write, owner, error)
            return entry, result

        return self._run(work)

    def claim_next(
        self,
        decide: Callable[[JournalEntry], tuple[T, Write | None]],
        owner: Owner,
        *,
        states: Sequence[State],
        error: dict[str, str] | None = None,
    ) -> tuple[tuple[JournalEntry, T] | None, list[tuple[JournalEntry, T]]]:
        """Claims the first item (in input order) that ``decide`` claims.

        Candidates are locked ``FOR UPDATE SKIP LOCKED``, a page at a time: two workers
        looking at once get different rows, and neither waits for the other.
        """
        page = 64

        def work(
            db: psycopg.Connection[Any],
        ) -> tuple[tuple[JournalEntry, T] | None, list[tuple[JournalEntry, T]]]:
            offered: list[tuple[JournalEntry, T]] = []
            after = -1
            while True:
                rows = db.execute(
                    f"SELECT {_COLUMNS} FROM {_FROM} WHERE i.batch = %s "
                    "AND i.state = ANY(%s) AND i.owner_run IS DISTINCT FROM %s "
                    "AND i.position > %s ORDER BY i.position LIMIT %s FOR UPDATE OF i SKIP LOCKED",
                    (self.batch, list(states), owner.run, after, page),
                ).fetchall()
                for row in rows:
                    entry = self._entry(row)
                    after = entry.position
                    result, write = decide(entry)
                    if write is not None:
                        self._apply(db, entry.key, write, owner, error)
                    if write in _CLAIMS:
                        return (entry, result), offered
                    offered.append((entry, result))
                if len(rows) < page:
                    return None, offered

        return self._run(work)

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
        """Records what ``owner`` did with an item it holds (see ``Journal.record``)."""
        lease = (
            f"owner_run = %s, owner_host = %s, owner_pid = %s, owner_start = %s, lease_at = {_NOW}"
            if keep_lease
            else f"{_RELEASE}, lease_at = NULL"
        )
        values: list[Any] = [owner.run, owner.host, owner.pid, owner.start] if keep_lease else []
        guard = "" if force else " AND (owner_run = %s OR owner_run IS NULL)"

        def work(db: psycopg.Connection[Any]) -> bool:
            cursor = db.execute(
                f"UPDATE veowrap_items SET state = %s, handle = COALESCE(%s, handle), "
                f"paths = %s, error = %s, updated_at = {_NOW}, {lease} "
                f"WHERE batch = %s AND key = %s{guard}",
                (
                    state,
                    handle,
                    _json(paths),
                    _json(error),
                    *values,
                    self.batch,
                    key,
                    *([] if force else [owner.run]),
                ),
            )
            return cursor.rowcount > 0

        return self._run(work)

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
        self._run(
            lambda db: db.execute(
                f"UPDATE veowrap_items SET state = %s, handle = COALESCE(%s, handle), paths = %s, "
                f"error = %s, updated_at = {_NOW}, {_RELEASE}, lease_at = NULL "
                "WHERE batch = %s AND key = %s",
                (state, handle, _json(paths), _json(error), self.batch, key),
            )
        )

    def get(self, key: str) -> JournalEntry | None:
        """The entry for ``key``, if recorded."""
        row = self._run(
            lambda db: db.execute(
                f"SELECT {_COLUMNS} FROM {_FROM} WHERE i.batch = %s AND i.key = %s",
                (self.batch, key),
            ).fetchone()
        )
        return None if row is None else self._entry(row)

    def entries(self) -> list[JournalEntry]:
        """Every entry of this batch, in input order."""
        rows = self._run(
            lambda db: db.execute(
                f"SELECT {_COLUMNS} FROM {_FROM} WHERE i.batch = %s ORDER BY i.position",
                (self.batch,),
            ).fetchall()
        )
        return [self._entry(row) for row in rows]

    def counts(self) -> dict[str, int]:
        """How many items of this batch are in each state (zeros included)."""
        rows = self._run(
            lambda db: db.execute(
                "SELECT state, COUNT(*) FROM veowrap_items WHERE batch = %s GROUP BY state",
                (self.batch,),
            ).fetchall()
        )
        return {state: 0 for state in STATES} | {str(state): int(n) for state, n in rows}

    # Leases -----------------------------------------------------------------------------

    def begin_run(self) -> Owner:
        """A new worker identity, recorded with its host, pid and a first heartbeat."""
        run = secrets.token_hex(8)
        owner = Owner(host=_HOST, pid=os.getpid(), start=_start_token(os.getpid()), run=run)
        self._run(
            lambda db: db.execute(
                "INSERT INTO veowrap_workers (run, batch, host, pid, start) "
                "VALUES (%s, %s, %s, %s, %s)",
                (run, self.batch, owner.host, owner.pid, owner.start),
            )
        )
        with _ACTIVE_LOCK:
            _ACTIVE_RUNS.add(run)
        return owner

    def heartbeat(self, owner: Owner) -> None:
        """Renews every lease ``owner`` holds (one row: its worker's heartbeat)."""
        self._run(
            lambda db: db.execute(
                f"UPDATE veowrap_workers SET heartbeat_at = {_NOW} WHERE run = %s", (owner.run,)
            )
        )

    def end_run(self, owner: Owner) -> list[JournalEntry]:
        """Gives up everything ``owner`` holds; ``submitting`` items become ``uncertain``."""
        with _ACTIVE_LOCK:
            _ACTIVE_RUNS.discard(owner.run)

        def work(db: psycopg.Connection[Any]) -> list[JournalEntry]:
            rows = db.execute(
                f"SELECT {_COLUMNS} FROM {_FROM} WHERE i.batch = %s AND i.owner_run = %s "
                "AND i.state = 'submitting' FOR UPDATE OF i",
                (self.batch, owner.run),
            ).fetchall()
            lost = [self._entry(row) for row in rows]
            for entry in lost:
                record = {
                    "type": "SubmissionUncertainError",
                    "message": "The batch stopped while this request's create was in flight.",
                    "fingerprint": entry.fingerprint,
                }
                db.execute(
                    f"UPDATE veowrap_items SET state = 'uncertain', error = %s, "
                    f"updated_at = {_NOW}, {_RELEASE}, lease_at = NULL "
                    "WHERE batch = %s AND key = %s",
                    (_json(record), self.batch, entry.key),
                )
            db.execute(
                f"UPDATE veowrap_items SET {_RELEASE}, lease_at = NULL WHERE owner_run = %s",
                (owner.run,),
            )
            db.execute("DELETE FROM veowrap_workers WHERE run = %s", (owner.run,))
            return lost

        return self._run(work)

    def owner_gone(self, owner: Owner) -> bool:
        """Whether ``owner``'s process is known to have ended (same host only)."""
        return owner.host == _HOST and _process_gone(owner.pid, owner.start)

    def active_runs(self) -> frozenset[str]:
        """The batch runs alive in this process."""
        with _ACTIVE_LOCK:
            return frozenset(_ACTIVE_RUNS)

    # Shared pacing ----------------------------------------------------------------------

    def pace(self, per_minute: float | None, act: Callable[[Pacer, float], T]) -> T:
        """Runs ``act`` on the quota's shared pacer, with the row locked, and saves it.

        ``act`` gets the pacer as every worker left it and the database's time now.
        """

        def work(db: psycopg.Connection[Any]) -> T:
            db.execute(
                "INSERT INTO veowrap_pacers (name) VALUES (%s) ON CONFLICT DO NOTHING",
                (self.quota,),
            )
            row = db.execute(
                f"SELECT rate, next_slot, {_NOW} FROM veowrap_pacers WHERE name = %s FOR UPDATE",
                (self.quota,),
            ).fetchone()
            assert row is not None  # inserted just above, in this transaction
            rate, next_slot, now = row
            pacer = Pacer.restore(
                per_minute, rate=rate, next_slot=next_slot, headroom=SHARED_HEADROOM
            )
            result = act(pacer, float(now))
            db.execute(
                "UPDATE veowrap_pacers SET rate = %s, next_slot = %s WHERE name = %s",
                (*pacer.snapshot(), self.quota),
            )
            return result

        return self._run(work)

    # Plumbing ---------------------------------------------------------------------------

    def close(self) -> None:
        """Closes the connections."""
        with self._lock:
            self._closed = True
            if self._db is not None:
                with contextlib.suppress(Exception):
                    self._db.close()
                self._db = None
            self._watchdog.stop()

    def __repr__(self) -> str:
        return f"PostgresJournal({self.path!r})"

    def _migrate(self, db: psycopg.Connection[Any]) -> None:
        try:
            self._migrate_in(db)
        except psycopg_errors() as error:
            raise self._failed(error) from None

    def _migrate_in(self, db: psycopg.Connection[Any]) -> None:
        # Plain reads first: a database at this version needs no CREATE right, so workers may
        # run as a user granted only SELECT/INSERT/UPDATE/DELETE on the tables (the docs' rights;
        # PostgreSQL 15 no longer grants CREATE on the public schema to everyone).
        with db.transaction():
            version = self._schema_version(db)
        if version == SCHEMA_VERSION:
            return
        self._check_not_newer(version)
        with db.transaction():
            db.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_KEY,))
            db.execute(
                "CREATE TABLE IF NOT EXISTS veowrap_schema (only_row boolean PRIMARY KEY "
                "DEFAULT true CHECK (only_row), version integer NOT NULL)"
            )
            version = self._schema_version(db)  # again: another worker may have migrated
            self._check_not_newer(version)
            for target, statements in MIGRATIONS:
                if target > version:
                    for statement in statements:
                        db.execute(statement)
            db.execute(
                "INSERT INTO veowrap_schema (version) VALUES (%s) "
                "ON CONFLICT (only_row) DO UPDATE SET version = EXCLUDED.version",
                (SCHEMA_VERSION,),
            )

    @staticmethod
    def _schema_version(db: psycopg.Connection[Any]) -> int:
        """The schema's version (0: no schema yet), read without any right to create."""
        found = db.execute("SELECT to_regclass('veowrap_schema') IS NOT NULL").fetchone()
        if found is None or not found[0]:
            return 0
        row = db.execute("SELECT version FROM veowrap_schema").fetchone()
        return 0 if row is None else int(row[0])

    def _check_not_newer(self, version: int) -> None:
        if version > SCHEMA_VERSION:
            raise JournalError(
                f"The journal {self.path!r} was migrated by a newer veowrap (schema version "
                f"{version}; this veowrap reads up to {SCHEMA_VERSION}).",
                path=self.path,
                hint="Upgrade veowrap on this worker to the version the other workers run.",
            )

    def _run(self, work: Callable[[psycopg.Connection[Any]], T]) -> T:
        """Runs ``work`` in one transaction; reconnects (within ``lock_timeout``) if the
        server went away.

        Retrying is safe for every operation here: a claim whose commit was lost in flight
        shows, on the retry, as this run's own (held, never sent again; the end of the run
        marks it uncertain).
        """
        pg = self._psycopg
        deadline = time.monotonic() + self.lock_timeout
        delay = 0.05
        with self._lock:
            while True:
                if self._closed:
                    raise JournalError(
                        f"The journal {self.path!r} is closed.",
                        path=self.path,
                        hint="Open it again with veowrap.open_journal(dsn, batch=...).",
                    )
                db = self._db
                connecting = db is None or db.closed
                if connecting and journal_deadlines.give_up_at_once(
                    time.monotonic(), deadline, self._lost_at, self._refused_at, self.lock_timeout
                ):
                    raise self._stopped_answering()
                try:
                    if db is None or db.closed:
                        db = self._db = pg.connect(self._dsn, **self._kwargs)
                        self._lost_at = self._refused_at = None
                        connecting = False
                    return self._bounded(db, lambda bound: self._transaction(bound, work))
                except pg.Error as error:
                    if not _gone(pg, error):
                        raise self._failed(error) from None
                    now = time.monotonic()
                    if connecting:
                        self._refused_at = now
                    if self._lost_at is None:
                        self._lost_at = now
                    # One connection per journal: drop the broken one, connect again below.
                    if self._db is not None:
                        with contextlib.suppress(Exception):
                            self._db.close()
                        self._db = None
                    if time.monotonic() + delay >= deadline:
                        raise self._failed(error) from None
                    time.sleep(delay)
                    delay = min(delay * 2, 1.0)

    @staticmethod
    def _transaction(
        db: psycopg.Connection[Any], work: Callable[[psycopg.Connection[Any]], T]
    ) -> T:
        with db.transaction():
            return work(db)

    def _bounded(
        self, db: psycopg.Connection[Any], call: Callable[[psycopg.Connection[Any]], T]
    ) -> T:
        """Runs ``call`` on ``db``; past its deadline the connection is cut (then ``call``
        fails as on a lost connection).

        The server's ``statement_timeout`` and ``lock_timeout`` end a slow statement, but not a
        server (or network) that stopped answering altogether: a unix socket has no
        keepalives, and TCP's notice a dead peer only after minutes.
        """
        self._watchdog.arm(time.monotonic() + self._call_seconds, db.fileno())
        try:
            return call(db)
        finally:
            self._watchdog.disarm()

    def _stopped_answering(self) -> JournalError:
        return JournalError(
            f"The journal {self.path!r} stopped answering for more than "
            f"{self.lock_timeout:g} s: its connection was lost and not regained.",
            path=self.path,
            hint="Bring the server back, then rerun the same command: the batch resumes "
            "where it stopped.",
        )

    def _apply(
        self,
        db: psycopg.Connection[Any],
        key: str,
        write: Write,
        owner: Owner | None,
        error: dict[str, str] | None,
    ) -> None:
        if write == "mark_uncertain":
            db.execute(
                "UPDATE veowrap_items SET state = 'uncertain', error = COALESCE(%s, error), "
                f"updated_at = {_NOW}, {_RELEASE}, lease_at = NULL WHERE batch = %s AND key = %s",
                (_json(error), self.batch, key),
            )
            return
        assert owner is not None
        state, claims = _CLAIMS[write]
        db.execute(
            f"UPDATE veowrap_items SET state = %s, error = NULL, updated_at = {_NOW}, "
            "owner_run = %s, owner_host = %s, owner_pid = %s, owner_start = %s, "
            f"lease_at = {_NOW}, claims = claims + %s WHERE batch = %s AND key = %s",
            (state, owner.run, owner.host, owner.pid, owner.start, claims, self.batch, key),
        )

    def _entry(self, row: Any) -> JournalEntry:
        (key, position, fingerprint, state, handle, paths, error, host, pid, start, run, lease_at,
         claims, db_now) = row  # fmt: skip
        owner = None
        if run is not None:
            owner = Owner(host=str(host), pid=int(pid or 0), start=start, run=str(run))
        # The lease's age by the database's clock, expressed on this host's clock.
        local_lease = None if lease_at is None else time.time() - (float(db_now) - lease_at)
        return JournalEntry(
            key=key,
            position=position,
            fingerprint=fingerprint,
            state=state,
            handle=handle,
            paths=tuple(str(p) for p in paths or ()),
            error=error if isinstance(error, dict) else None,
            owner=owner,
            lease_at=local_lease,
            claims=int(claims or 0),
        )

    def _said(self, error: Exception) -> str:
        """The first line of a driver error, without the password (in any form)."""
        return redact(dsn_rules.mask(_first_line(error), self._dsn))

    def _unreachable(self, error: Exception) -> JournalError:
        return JournalError(
            f"The journal {self.path!r} cannot be reached: {self._said(error)}.",
            path=self.path,
            hint="Check that the server runs and the URL (host, port, database, user) is right.",
        )

    def _failed(self, error: Exception) -> JournalError:
        if _gone(self._psycopg, error):
            return JournalError(
                f"The journal {self.path!r} stopped answering for more than "
                f"{self.lock_timeout:g} s: {self._said(error)}.",
                path=self.path,
                hint="Bring the server back, then rerun the same command: the batch resumes "
                "where it stopped.",
            )
        code = getattr(error, "sqlstate", None) or type(error).__name__
        return JournalError(
            f"The journal {self.path!r} failed ({code}): {self._said(error)}.",
            path=self.path,
            hint="Check the database and this user's rights on the veowrap_* tables.",
        )


class SharedPacer:
    """A pacer whose state is one row in PostgreSQL, shared by every worker of a quota.

    It has :class:`~veowrap._core.pacing.Pacer`'s methods, and its decisions: each call locks
    the row, restores a ``Pacer`` from it, applies the call at the database's time and saves
    it. A 429 one worker meets slows every worker down. The ``now`` arguments (this process's
    monotonic clock) are not used: the database's clock is the one all workers share.
    """

    def __init__(self, journal: PostgresJournal, per_minute: float | None) -> None:
        self.journal = journal
        self.per_minute = Pacer(per_minute).per_minute  # validated
        self._successes = 0

    @property
    def rate(self) -> float | None:
        """The shared rate in calls per minute (``None`` when unpaced)."""
        return self.journal.pace(self.per_minute, lambda pacer, now: pacer.rate)

    def reserve(self, now: float) -> float:
        """Books the next shared slot; returns how many seconds to wait before using it.

        The successes reported since the last booking are applied first, in the same
        transaction: one round trip per create, not two.
        """
        successes, self._successes = self._successes, 0

        def book(pacer: Pacer, db_now: float) -> float:
            for _ in range(successes):
                pacer.succeeded()
            return pacer.reserve(db_now)

        return self.journal.pace(self.per_minute, book)

    def sent(self, now: float) -> None:
        """Does nothing: a worker books its next slot only after using the last, so there is
        no slot of its own right behind a late waker to correct (what ``Pacer.sent`` does), and
        a database round trip here would only delay the create it reports."""

    def throttled(self, now: float, retry_after: float | None) -> None:
        """Reports a 429 to every worker at once: all pause and slow down."""
        self.journal.pace(
            self.per_minute, lambda pacer, db_now: pacer.throttled(db_now, retry_after)
        )

    def succeeded(self) -> None:
        """Reports an accepted create; the shared rate recovers at the next booking."""
        self._successes += 1


def _connect_options(lock_timeout: float) -> dict[str, Any]:
    """The connection's settings: every wait bounded, on the server and on the wire."""
    lock_ms = max(1, int(lock_timeout * 1000))
    # The server ends lock waits (lock_not_available, reported as JournalError), statements
    # and transactions left open by a client that hung, so none holds rows for ever.
    options = (
        f"-c lock_timeout={lock_ms} -c statement_timeout={2 * lock_ms} "
        f"-c idle_in_transaction_session_timeout={4 * lock_ms}"
    )
    # TCP keepalives notice a peer that vanished (a partition) on an idle connection;
    # a unix socket ignores them, and the watchdog (_Watchdog) covers both.
    idle = max(1, round(lock_timeout / 2))
    return {
        "autocommit": True,
        "options": options,
        "connect_timeout": max(1, round(lock_timeout)),
        "keepalives": 1,
        "keepalives_idle": idle,
        "keepalives_interval": idle,
        "keepalives_count": 3,
    }


class _Watchdog:
    """Cuts the connection of a database call that outlived its deadline.

    One daemon thread per journal, started on first use. Shutting the socket down wakes the
    driver, which is waiting on it, with a lost connection: the call fails (and is retried
    within ``lock_timeout``) instead of waiting for a server that may never answer. The cut is
    made under the watchdog's lock, and ``disarm`` takes it: once a call is disarmed its socket
    is never touched again (its descriptor may be reused by then).
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._armed: tuple[float, int] | None = None
        self._stopped = False
        self._thread: threading.Thread | None = None

    def arm(self, deadline: float, fd: int) -> None:
        with self._cond:
            self._armed = (deadline, fd)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._watch, name="veowrap-journal-watchdog", daemon=True
                )
                self._thread.start()
            self._cond.notify()

    def disarm(self) -> None:
        with self._cond:
            self._armed = None

    def stop(self) -> None:
        with self._cond:
            self._stopped, self._armed = True, None
            self._cond.notify()

    def _watch(self) -> None:
        with self._cond:
            while not self._stopped:
                if self._armed is None:
                    self._cond.wait()
                    continue
                deadline, fd = self._armed
                left = deadline - time.monotonic()
                if left > 0:
                    self._cond.wait(left)
                    continue
                self._armed = None
                _cut(fd)


def _cut(fd: int) -> None:
    """Shuts a connection's socket down, both ways, without closing its descriptor (the
    driver owns it): the driver's next read sees the end of the stream."""
    with contextlib.suppress(OSError):
        probe = socket.socket(fileno=os.dup(fd))
        try:
            probe.shutdown(socket.SHUT_RDWR)
        finally:
            probe.close()


def _json(value: object) -> str | None:
    return None if value is None else json.dumps(value)


def psycopg_errors() -> type[Exception]:
    import psycopg

    return psycopg.Error


def _gone(psycopg: Any, error: Exception) -> bool:
    """Whether ``error`` means the connection or server went away (worth reconnecting)."""
    if not isinstance(error, psycopg.OperationalError):
        return False
    code = getattr(error, "sqlstate", None)
    # No code: the connection broke. 57P01-57P03: the server shuts down or is starting.
    return code is None or code.startswith("57P") or code.startswith("08")


_BUSY_SERVER = ("starting up", "not yet accepting connections", "shutting down", "in recovery")


def _busy_server(error: Exception) -> bool:
    """Whether a failed connection met a server that is starting, stopping or recovering."""
    code = getattr(error, "sqlstate", None) or ""
    return code.startswith("57P0") or any(text in str(error) for text in _BUSY_SERVER)


def _first_line(error: Exception) -> str:
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__


def _redact(psycopg: Any, dsn: str) -> str:
    """The DSN without its password, for messages."""
    try:
        parts = psycopg.conninfo.conninfo_to_dict(dsn)
    except psycopg.Error:
        return "postgresql://(unparsable URL)"
    user = f"{parts['user']}@" if parts.get("user") else ""
    port = f":{parts['port']}" if parts.get("port") else ""
    shown = f"postgresql://{user}{parts.get('host', '')}{port}/{parts.get('dbname', '')}"
    # A mistyped URL (a raw '/' in the password) puts part of the password in the host or
    # database libpq reads: mask every reading of it but libpq's (never shown as such).
    for secret in dsn_rules.passwords(dsn):
        if secret != parts.get("password"):
            shown = shown.replace(secret, "***")
    return shown


def _unreadable(psycopg: Any, dsn: str) -> str | None:
    """Why ``dsn`` cannot be parsed, in veowrap's words (libpq's quote the password)."""
    found = dsn_rules.problem(dsn)
    if found is None:
        try:
            psycopg.conninfo.conninfo_to_dict(dsn)
        except psycopg.Error:
            found = "libpq cannot parse it (its message is not shown: it quotes the password)"
    return found
