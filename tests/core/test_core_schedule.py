"""`PollSchedule`: first delay, growth, cap, jitter, named profiles, and argument checks."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from veowrap._core.schedule import PollSchedule
from veowrap._errors import RequestValidationError

DEFAULT = PollSchedule()  # first 22 s, then every 8.25 s, jitter ±10 %
# A growing schedule exercises every part of the arithmetic.
GROWING = PollSchedule(first_delay=10.0, interval=5.0, growth=1.15, max_interval=15.0, jitter=0.1)
NO_JITTER = PollSchedule(first_delay=10.0, interval=5.0, growth=1.15, max_interval=15.0, jitter=0)


# id, schedule, polls so far, rand, expected delay
DELAY_TABLE: list[tuple[str, PollSchedule, int, float, float]] = [
    ("first-delay-mid-rand", GROWING, 0, 0.5, 10.0),
    ("first-delay-rand-0", GROWING, 0, 0.0, 9.0),
    ("first-delay-rand-0.999", GROWING, 0, 0.999, 10.998),
    ("negative-polls-is-first", GROWING, -3, 0.5, 10.0),
    ("after-first-poll", GROWING, 1, 0.5, 5.0),
    ("after-second-poll-grows", GROWING, 2, 0.5, 5.75),
    ("after-third-poll-grows", GROWING, 3, 0.5, 6.6125),
    ("capped", GROWING, 20, 0.5, 15.0),
    ("capped-rand-0", GROWING, 20, 0.0, 13.5),
    ("capped-rand-0.999", GROWING, 20, 0.999, 16.497),
    ("after-first-poll-rand-0", GROWING, 1, 0.0, 4.5),
    ("no-jitter-ignores-rand-0", NO_JITTER, 1, 0.0, 5.0),
    ("no-jitter-ignores-rand-0.999", NO_JITTER, 1, 0.999, 5.0),
    ("zero-first-delay", PollSchedule(first_delay=0), 0, 0.999, 0.0),
    ("thousand-polls-stays-capped", NO_JITTER, 1_000, 0.5, 15.0),
    ("default-first-poll", DEFAULT, 0, 0.5, 22.0),
    ("default-interval", DEFAULT, 1, 0.5, 8.25),
    ("default-does-not-grow", DEFAULT, 40, 0.5, 8.25),
]


@pytest.mark.parametrize(
    ("schedule", "polls", "rand", "expected"),
    [pytest.param(*row[1:], id=row[0]) for row in DELAY_TABLE],
)
def test_delay_after(schedule: PollSchedule, polls: int, rand: float, expected: float) -> None:
    assert schedule.delay_after(polls, rand) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("name", "fields"),
    [
        ("low", dict(first_delay=1.0, interval=1.0, growth=1.0, max_interval=1.0, jitter=0.05)),
        ("economy", dict(first_delay=30.0, interval=15.0, growth=1.2, max_interval=30.0)),
        ("balanced", {}),
    ],
)
def test_profiles(name: Any, fields: dict[str, float]) -> None:
    assert PollSchedule.profile(name) == PollSchedule(**fields)


@pytest.mark.parametrize(
    ("schedule", "polls"),
    [
        pytest.param(PollSchedule(), 10_000, id="default-10k-polls"),
        pytest.param(PollSchedule(growth=2.0, max_interval=60.0), 1_100, id="growth-2"),
    ],
)
def test_delay_after_stays_capped_for_very_long_waits(schedule: PollSchedule, polls: int) -> None:
    assert schedule.delay_after(polls, 0.5) == schedule.max_interval


def test_default_profile_is_balanced() -> None:
    assert PollSchedule.profile() == PollSchedule()


@pytest.mark.parametrize("rand", [0.0, 0.5, 0.999])
def test_low_profile_polls_about_every_second(rand: float) -> None:
    low = PollSchedule.profile("low")
    for polls in range(6):
        assert 0.95 <= low.delay_after(polls, rand) <= 1.05


@pytest.mark.parametrize("seconds", [0.02, 1.0, 30.0])
@pytest.mark.parametrize("rand", [0.0, 0.5, 0.999])
def test_fixed_polls_at_a_constant_pace(seconds: float, rand: float) -> None:
    fixed = PollSchedule.fixed(seconds)
    assert [fixed.delay_after(polls, rand) for polls in range(5)] == [seconds] * 5


# id, keyword arguments
INVALID: list[tuple[str, dict[str, float]]] = [
    ("negative-first-delay", {"first_delay": -1}),
    ("zero-interval", {"interval": 0}),
    ("negative-interval", {"interval": -5}),
    ("cap-below-interval", {"interval": 5, "max_interval": 4}),
    ("shrinking", {"growth": 0.9}),
    ("jitter-one", {"jitter": 1.0}),
    ("negative-jitter", {"jitter": -0.1}),
    ("nan-interval", {"interval": float("nan")}),
    ("nan-first-delay", {"first_delay": float("nan")}),
    ("infinite-cap", {"max_interval": float("inf")}),
    ("string-interval", {"interval": "5"}),  # type: ignore[dict-item]
    ("bool-interval", {"interval": True}),
    ("nan-growth", {"growth": float("nan")}),
    ("nan-jitter", {"jitter": float("nan")}),
]


@pytest.mark.parametrize("kwargs", [pytest.param(row[1], id=row[0]) for row in INVALID])
def test_invalid_schedules_raise_value_error(kwargs: dict[str, float]) -> None:
    with pytest.raises(RequestValidationError) as caught:  # a ValueError too
        PollSchedule(**kwargs)
    assert caught.value.field.startswith("PollSchedule.")
    assert caught.value.hint


def test_steep_growth_never_overflows() -> None:
    schedule = PollSchedule(first_delay=1, interval=1, growth=1e6, max_interval=60, jitter=0)
    assert schedule.delay_after(500, 0.5) == 60


@pytest.mark.parametrize(
    "build",
    [
        pytest.param(lambda: PollSchedule.fixed(0), id="fixed-zero"),
        pytest.param(lambda: PollSchedule.fixed(-1), id="fixed-negative"),
    ],
)
def test_invalid_derived_schedules_raise_value_error(build: Any) -> None:
    with pytest.raises(ValueError):
        build()


def test_schedule_is_frozen() -> None:
    with pytest.raises(AttributeError):
        DEFAULT.interval = 1  # type: ignore[misc]


@settings(database=None)
@given(
    polls=st.integers(min_value=0, max_value=500),
    rand=st.floats(min_value=0, max_value=1, exclude_max=True),
)
def test_delay_stays_within_jitter_of_the_capped_interval(polls: int, rand: float) -> None:
    base = NO_JITTER.delay_after(polls, 0.5)
    delay = GROWING.delay_after(polls, rand)
    assert base * 0.9 - 1e-9 <= delay < base * 1.1 + 1e-9
    assert base <= GROWING.max_interval or polls == 0


@settings(database=None)
@given(rand=st.floats(min_value=0, max_value=1, exclude_max=True))
def test_intervals_never_shrink_at_fixed_rand(rand: float) -> None:
    delays = [GROWING.delay_after(polls, rand) for polls in range(1, 30)]
    assert delays == sorted(delays)
