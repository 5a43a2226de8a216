"""The one journal interface of a batch, and the choice of its engine.

Two engines record the same states under the same rules (:mod:`veowrap._core.batch_rules`):

- :class:`veowrap._journal.Journal`: an SQLite file, the embedded default (one host);
- :class:`veowrap._journal_postgres.PostgresJournal`: a PostgreSQL database shared by workers on
  any number of hosts (the ``postgres`` extra).

``tests/batch/test_journal_contract.py`` runs one suite against both.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from os import PathLike
from typing import TYPE_CHECKING, Protocol, TypeVar, runtime_checkable

from veowrap._core.batch_rules import Owner, Write
from veowrap._errors import RequestValidationError

if TYPE_CHECKING:
    from pathlib import Path

    from veowrap._journal import JournalEntry, State

__all__ = ["BatchJournal", "is_postgres", "open_journal"]

T = TypeVar("T")

_SCHEMES = ("postgresql://", "postgres://")


@runtime_checkable
class BatchJournal(Protocol):
    """What a batch needs from its journal; both engines implement it.

    Attributes:
        path: Where the journal lives, for messages (a file, or a DSN without its password and
            the batch's name).
        shared: Whether workers on other hosts may share it (then a batch runs as a worker that
            claims items one by one, see :meth:`claim_next`).
    """

    @property
    def path(self) -> Path | str: ...

    @property
    def shared(self) -> bool: ...

    def register(self, key: str, position: int, fingerprint: str) -> JournalEntry: ...

    def load(self, items: Sequence[tuple[str, int, str]]) -> None:
        """Registers every ``(key, position, fingerprint)`` not yet recorded, in one go.

        Raises:
            RequestValidationError: A key was recorded for a different request.
        """
        ...

    def step(
        self,
        key: str,
        position: int,
        fingerprint: str,
        decide: Callable[[JournalEntry], tuple[T, Write | None]],
        owner: Owner | None,
        *,
        error: dict[str, str] | None = None,
    ) -> tuple[JournalEntry, T]: ...

    def claim_next(
        self,
        decide: Callable[[JournalEntry], tuple[T, Write | None]],
        owner: Owner,
        *,
        states: Sequence[State],
        error: dict[str, str] | None = None,
    ) -> tuple[tuple[JournalEntry, T] | None, list[tuple[JournalEntry, T]]]:
        """Claims the first item (in input order) that ``decide`` claims, atomically.

        Items in ``states`` not held by ``owner`` are offered to ``decide`` in input order;
        the first whose write is a claim is taken. Rows another worker is deciding about at
        the same moment are skipped, never waited for. ``mark_uncertain`` writes are made on the
        way.

        Returns:
            The claimed entry and ``decide``'s result (``None`` if nothing was claimed), and
            every other entry that was offered with its result.
        """
        ...

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
    ) -> bool: ...

    def mark(
        self,
        key: str,
        state: State,
        *,
        handle: str | None = None,
        paths: list[str] | None = None,
        error: dict[str, str] | None = None,
    ) -> None: ...

    def get(self, key: str) -> JournalEntry | None: ...

    def entries(self) -> list[JournalEntry]: ...

    def counts(self) -> dict[str, int]:
        """How many items are in each state (every state listed, zeros included)."""
        ...

    def begin_run(self) -> Owner: ...

    def heartbeat(self, owner: Owner) -> None: ...

    def end_run(self, owner: Owner) -> list[JournalEntry]: ...

    def owner_gone(self, owner: Owner) -> bool: ...

    def active_runs(self) -> frozenset[str]: ...

    def close(self) -> None: ...


def is_postgres(spec: object) -> bool:
    """Whether ``spec`` names a PostgreSQL database (``postgresql://…``)."""
    return isinstance(spec, str) and spec.lower().startswith(_SCHEMES)


def open_journal(
    spec: str | PathLike[str], *, batch: str | None = None, lock_timeout: float | None = None
) -> BatchJournal:
    """Opens the journal ``spec`` names: ``postgresql://…`` a PostgreSQL one, else a file.

    Args:
        spec: A PostgreSQL URL or an SQLite file path.
        batch: The batch's name (PostgreSQL: many batches share one database). An SQLite file
            holds one batch: only ``None`` is accepted there.
        lock_timeout: Seconds to wait for a lock or a connection (engine default if ``None``).

    Raises:
        RequestValidationError: ``batch`` with an SQLite journal, or a bad batch name.
        JournalError: The journal cannot be used.
    """
    if is_postgres(spec):
        from veowrap._core.dsn import passwords
        from veowrap._redact import register_secrets

        register_secrets(passwords(str(spec)))  # before anything can quote the URL
        from veowrap._journal_postgres import DEFAULT_BATCH, PostgresJournal

        assert isinstance(spec, str)
        name = DEFAULT_BATCH if batch is None else batch
        if lock_timeout is None:
            return PostgresJournal(spec, batch=name)
        return PostgresJournal(spec, batch=name, lock_timeout=lock_timeout)
    from veowrap._journal import Journal

    if batch is not None:
        raise RequestValidationError(
            "batch",
            batch,
            "None with an SQLite journal (one file holds one batch)",
            hint="Use one journal file per batch, or a postgresql:// journal for named batches.",
        )
    return Journal(spec) if lock_timeout is None else Journal(spec, lock_timeout=lock_timeout)
