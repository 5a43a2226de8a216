"""How long a shared (PostgreSQL) journal waits for its database, and when it stops trying.

Pure: the journal passes its clock readings in (:mod:`veowrap._journal_postgres`).
"""

from __future__ import annotations

__all__ = ["call_seconds", "give_up_at_once"]


def give_up_at_once(
    now: float,
    deadline: float,
    lost_at: float | None,
    refused_at: float | None,
    lock_timeout: float,
) -> bool:
    """Whether a call that needs a new connection should fail without trying to connect.

    Connecting to a server that stopped answering takes libpq's ``connect_timeout`` (2 s at
    least), and a worker that is stopping makes several calls in a row: each trying again
    would hold the worker that long more. So a call fails at once when its own deadline has
    passed (it waited for another call that lost the connection), or when the server has
    been gone for more than ``lock_timeout`` and a connection failed less than
    ``lock_timeout`` ago; after that, a call tries again (a server that came back is used).
    """
    if now >= deadline:
        return True
    if lost_at is None or refused_at is None:
        return False
    return now - lost_at >= lock_timeout and now - refused_at < lock_timeout


def call_seconds(lock_timeout: float) -> float:
    """How long one transaction may take before its connection is cut: the server's
    ``statement_timeout`` (twice ``lock_timeout``: a statement may wait for a lock, then run)
    and a margin for the server's own answer to reach this process."""
    return 2 * lock_timeout + max(1.0, lock_timeout / 2)
