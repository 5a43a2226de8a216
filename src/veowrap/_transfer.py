"""The limits of the download running in this thread: its deadline and its stop signal.

The saving thread sets a :class:`TransferScope` around a transfer; code below it (the HTTP
layer's sockets, a backend waiting for a file to become ready) reads it with
:func:`current_scope` to bound every wait by the caller's deadline and to stop within a
fraction of a second once the caller gave up, without the scope having to be threaded through
the backend protocol.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

__all__ = ["DownloadCancelled", "TransferScope", "current_scope", "transfer_scope"]


class DownloadCancelled(Exception):
    """The caller stopped a download in progress (a cancelled task, Ctrl-C, a timeout)."""


@dataclass
class TransferScope:
    """Deadlines and the stop signal of one transfer.

    Attributes:
        deadline: The caller's deadline on ``time.monotonic``'s clock, or ``None``.
        stop: Set when the caller gave up; the transfer stops at its next read or wait.
        phase_deadline: A tighter deadline for the current step (response headers, a small
            JSON answer), or ``None``.
    """

    deadline: float | None = None
    stop: threading.Event = field(default_factory=threading.Event)
    phase_deadline: float | None = None

    def limit(self) -> float | None:
        """The nearest deadline in force, or ``None``."""
        limits = [d for d in (self.deadline, self.phase_deadline) if d is not None]
        return min(limits) if limits else None

    def check(self) -> None:
        """Raises if the caller gave up or the deadline passed.

        Raises:
            DownloadCancelled: The caller gave up.
            TimeoutError: A deadline passed.
        """
        if self.stop.is_set():
            raise DownloadCancelled("the download was cancelled")
        limit = self.limit()
        if limit is not None and time.monotonic() >= limit:
            raise TimeoutError("the deadline passed before the download finished")

    def pause(self, seconds: float) -> None:
        """Waits ``seconds`` (less if a deadline comes first), waking at once on stop.

        Raises:
            DownloadCancelled: The caller gave up.
            TimeoutError: A deadline passed.
        """
        limit = self.limit()
        if limit is not None:
            seconds = min(seconds, max(0.0, limit - time.monotonic()))
        self.stop.wait(seconds)
        self.check()

    @contextmanager
    def phase(self, seconds: float | None) -> Iterator[None]:
        """Bounds a step (e.g. the arrival of response headers) to ``seconds`` in total."""
        previous = self.phase_deadline
        if seconds is not None:
            end = time.monotonic() + seconds
            self.phase_deadline = end if previous is None else min(previous, end)
        try:
            yield
        finally:
            self.phase_deadline = previous


_SCOPE: ContextVar[TransferScope | None] = ContextVar("veowrap_transfer_scope", default=None)


def current_scope() -> TransferScope | None:
    """The scope of the transfer running in this thread, if any."""
    return _SCOPE.get()


@contextmanager
def transfer_scope(scope: TransferScope) -> Iterator[TransferScope]:
    """Makes ``scope`` current for the code inside the block (in this thread)."""
    token = _SCOPE.set(scope)
    try:
        yield scope
    finally:
        _SCOPE.reset(token)
