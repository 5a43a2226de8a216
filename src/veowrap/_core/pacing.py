"""Client-side pacing of submissions: spaced at the quota, slowed by 429s, then recovering.

Pure: the driver passes the time in and sleeps for the delays returned here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from veowrap._core import validation

__all__ = ["Pacer"]


@dataclass
class Pacer:
    """Spaces calls evenly at ``per_minute`` and adapts when the service pushes back.

    Evenly spaced calls keep throughput at the quota instead of the burst-then-429 oscillation
    of an unpaced ``gather``. A 429 pauses everyone until the service's ``Retry-After`` and
    lowers the rate (multiplicative decrease); each success raises it again by a small step
    (additive increase) up to the configured rate.

    Calls are spaced a little under the quota (``headroom``): a service's sliding window sees
    arrival times with network jitter, so pacing at exactly the limit still meets 429s.

    Raises:
        RequestValidationError: ``per_minute`` is not a number > 0 (nor ``None``).

    Attributes:
        per_minute: The quota, or ``None`` for no pacing.
        headroom: Fraction of the quota actually used.
        backoff: Factor applied to the rate on a 429.
        recovery: Fraction of the target rate regained per success.
    """

    per_minute: float | None
    headroom: float = 0.98
    backoff: float = 0.9
    recovery: float = 0.05
    _target: float = field(init=False, default=0.0)
    _rate: float = field(init=False, default=0.0)
    _next_slot: float = field(init=False, default=float("-inf"))

    def __post_init__(self) -> None:
        # A rate of 0, NaN or infinity would divide into a slot that never comes (a hang).
        self.per_minute = validation.rate("requests_per_minute", self.per_minute)
        self._target = (self.per_minute or 0.0) * self.headroom
        self._rate = self._target

    @classmethod
    def restore(
        cls,
        per_minute: float | None,
        *,
        rate: float | None,
        next_slot: float | None,
        headroom: float = 0.98,
    ) -> Pacer:
        """A pacer continuing from a saved :meth:`snapshot` (a shared pacer's row).

        ``rate`` is kept within the target set by ``per_minute``: workers configured with a
        lower quota than the row was saved with pace at theirs.
        """
        pacer = cls(per_minute, headroom=headroom)
        if rate is not None and rate > 0:
            pacer._rate = min(pacer._target, max(pacer._target * 0.05, rate))
        if next_slot is not None:
            pacer._next_slot = next_slot
        return pacer

    def snapshot(self) -> tuple[float, float]:
        """The state another process needs to continue: ``(rate, next_slot)``."""
        return self._rate, max(self._next_slot, 0.0)

    @property
    def rate(self) -> float | None:
        """The current rate in calls per minute (``None`` when unpaced)."""
        return None if self.per_minute is None else self._rate

    def reserve(self, now: float) -> float:
        """Books the next slot; returns how many seconds to wait before using it."""
        if self.per_minute is None:  # unpaced: only a 429's pause applies
            return max(0.0, self._next_slot - now)
        slot = max(now, self._next_slot)
        self._next_slot = slot + 60.0 / self._rate
        return slot - now

    def sent(self, now: float) -> None:
        """Reports when a reserved call actually left.

        A caller that woke late (a busy event loop) must not leave the next slot right behind
        it: two calls landing together are what trips a sliding-window quota. Only half a
        spacing of catch-up is allowed.
        """
        if self.per_minute is not None:
            self._next_slot = max(self._next_slot, now + 30.0 / self._rate)

    def throttled(self, now: float, retry_after: float | None) -> None:
        """Reports a 429: pause until ``retry_after`` and slow down."""
        if self.per_minute is None:
            self._next_slot = max(self._next_slot, now + (retry_after or 1.0))
            return
        self._rate = max(self._target * 0.05, self._rate * self.backoff)
        pause = retry_after if retry_after is not None else 60.0 / self._rate
        self._next_slot = max(self._next_slot, now + pause)

    def succeeded(self) -> None:
        """Reports an accepted call: speed back up towards the target."""
        if self.per_minute is not None:
            self._rate = min(self._target, self._rate + self._target * self.recovery)
