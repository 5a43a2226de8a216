"""`deadline_after`: every public `timeout=` becomes a deadline by this one rule."""

from __future__ import annotations

import math

import pytest

from veowrap._core.deadline import deadline_after
from veowrap._errors import RequestValidationError


@pytest.mark.parametrize(
    ("timeout", "now", "expected"),
    [
        (None, 50.0, None),
        (5, 100.0, 105.0),
        (0.25, 0.0, 0.25),
        (30 * 24 * 3600, 0.0, 30 * 24 * 3600.0),
    ],
)
def test_deadline_is_timeout_seconds_from_now_on_the_given_clock(
    timeout: float | None, now: float, expected: float | None
) -> None:
    assert deadline_after(timeout, lambda: now) == expected


@pytest.mark.parametrize("timeout", [0, -1, math.nan, math.inf, "10", True, 30 * 24 * 3600 + 1])
def test_a_bad_timeout_is_refused_naming_the_field(timeout: object) -> None:
    with pytest.raises(RequestValidationError, match="save_timeout"):
        deadline_after(timeout, lambda: 0.0, field="save_timeout")  # type: ignore[arg-type]
