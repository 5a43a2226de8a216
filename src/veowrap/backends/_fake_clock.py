"""The fake backend's virtual clock: time moves only when something sleeps on it."""

from __future__ import annotations

import threading

__all__ = ["VirtualClock"]


class VirtualClock:
    """A monotonic clock that only moves when something sleeps on it (or :meth:`advance`).

    Concurrent sleepers each move it by their own delay: virtual time is an approximation
    that keeps sequential tests exact and concurrent ones fast.
    """

    def __init__(self, start: float = 0.0) -> None:
        self._now = start
        self._lock = threading.Lock()

    def __call__(self) -> float:
        """The current virtual time in seconds."""
        return self._now

    def advance(self, seconds: float) -> None:
        """Moves the clock forward by ``seconds`` (negative values are ignored)."""
        with self._lock:
            self._now += max(0.0, seconds)
