"""Deadlines: one rule for turning a caller's ``timeout`` into a point on a clock.

Every public call that takes ``timeout=`` (``generate``, ``wait``, ``submit``, ``status``,
``cancel``, ``save``, ``read_bytes``, batch items) becomes a deadline here, so a timeout means
the same thing everywhere: seconds from now on the clock that will check it. Generators pass
their own clock (a fake backend's virtual clock in tests); downloads use real time.
"""

from __future__ import annotations

from collections.abc import Callable

from veowrap._core import validation

__all__ = ["deadline_after"]


def deadline_after(
    timeout: float | None, clock: Callable[[], float], *, field: str = "timeout"
) -> float | None:
    """The deadline ``timeout`` seconds from now on ``clock``, or ``None`` for no limit.

    Args:
        timeout: Seconds, or ``None`` for no limit. Checked as every ``timeout`` is
            (finite, > 0, at most 30 days).
        clock: The clock the deadline will be checked against.
        field: The setting's name, for the error message.

    Raises:
        RequestValidationError: ``timeout`` is not a valid number of seconds.

    Example:
        >>> deadline_after(5, lambda: 100.0)
        105.0
        >>> deadline_after(None, lambda: 100.0) is None
        True
    """
    seconds = validation.seconds(field, timeout)
    return None if seconds is None else clock() + seconds
