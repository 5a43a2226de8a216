"""`RetryPolicy.delay` and `retry_arguments`, exercised through a real ``tenacity.Retrying``.

Tenacity's ``sleep=`` argument is replaced by a recorder that advances a fake clock, so the
deadline rules run on virtual time and the suite never sleeps.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx2
import pytest
import tenacity
from google.genai import errors as genai_errors

from veowrap._core.faults import Phase
from veowrap._core.retrying import (
    DeadlineReached,
    RetryPolicy,
    replay_failure,
    replay_failure_async,
    retry_arguments,
)
from veowrap._errors import RequestValidationError
from veowrap._events import Retrying

# ------------------------------------------------------------------------------ RetryPolicy.delay

DEFAULT = RetryPolicy()  # 6 attempts, 1 s doubling to 30 s, +0..50 % jitter
STEADY = RetryPolicy(jitter=0, max_delay=30.0)


# id, policy, failed attempt (1-based), retry_after, rand, expected delay
DELAY_TABLE: list[tuple[str, RetryPolicy, int, float | None, float, float]] = [
    ("first", STEADY, 1, None, 0.5, 1.0),
    ("second-doubles", STEADY, 2, None, 0.5, 2.0),
    ("third", STEADY, 3, None, 0.5, 4.0),
    ("fifth", STEADY, 5, None, 0.5, 16.0),
    ("sixth-capped", STEADY, 6, None, 0.5, 30.0),
    ("late-capped", STEADY, 50, None, 0.5, 30.0),
    ("default-cap-is-5-min", RetryPolicy(jitter=0), 50, None, 0.5, 300.0),
    ("jitter-rand-0", DEFAULT, 1, None, 0.0, 1.0),
    ("jitter-rand-0.5", DEFAULT, 1, None, 0.5, 1.25),
    ("jitter-rand-0.999", DEFAULT, 2, None, 0.999, 2.999),
    ("retry-after-wins-when-longer", STEADY, 1, 7.0, 0.5, 7.0),
    ("retry-after-above-cap-honoured", STEADY, 6, 120.0, 0.5, 120.0),
    ("retry-after-shorter-ignored", STEADY, 3, 0.5, 0.5, 4.0),
    ("retry-after-zero", STEADY, 1, 0.0, 0.5, 1.0),
    ("zero-initial-delay", RetryPolicy(initial_delay=0, jitter=0), 4, None, 0.5, 0.0),
    ("multiplier-3", RetryPolicy(multiplier=3, jitter=0), 3, None, 0.5, 9.0),
]


@pytest.mark.parametrize(
    ("policy", "attempt", "retry_after", "rand", "expected"),
    [pytest.param(*row[1:], id=row[0]) for row in DELAY_TABLE],
)
def test_delay(
    policy: RetryPolicy, attempt: int, retry_after: float | None, rand: float, expected: float
) -> None:
    assert policy.delay(attempt, retry_after, rand) == pytest.approx(expected)


def test_delay_never_exceeds_max_delay_without_retry_after() -> None:
    assert DEFAULT.delay(10, None, 0.999) <= DEFAULT.max_delay


def test_steep_multiplier_never_overflows() -> None:
    policy = RetryPolicy(initial_delay=1, max_delay=30, multiplier=1e10, jitter=0)
    assert policy.delay(90, None, 0.5) == 30


@pytest.mark.parametrize(
    "kwargs",
    [
        pytest.param({"attempts": 0}, id="zero-attempts"),
        pytest.param({"initial_delay": -1}, id="negative-initial"),
        pytest.param({"initial_delay": 5, "max_delay": 1}, id="cap-below-initial"),
        pytest.param({"attempts": 2.5}, id="fractional-attempts"),
        pytest.param({"attempts": "3"}, id="string-attempts"),
        pytest.param({"initial_delay": float("nan")}, id="nan-initial"),
        pytest.param({"max_delay": float("inf")}, id="infinite-cap"),
        pytest.param({"multiplier": float("nan")}, id="nan-multiplier"),
        pytest.param({"jitter": -1}, id="negative-jitter"),
    ],
)
def test_invalid_policies_raise_value_error(kwargs: dict[str, float]) -> None:
    with pytest.raises(RequestValidationError) as caught:  # a ValueError too
        RetryPolicy(**kwargs)  # type: ignore[arg-type]
    assert caught.value.field.startswith("RetryPolicy.")
    assert caught.value.hint


# ------------------------------------------------------------------- tenacity with virtual time

_REQ = httpx2.Request("GET", "https://example.invalid/op")


def http(code: int, retry_after: str | None = None) -> genai_errors.APIError:
    body = {"error": {"code": code, "message": "x", "status": "UNAVAILABLE"}}
    headers = {"Retry-After": retry_after} if retry_after is not None else {}
    response = httpx2.Response(code, headers=headers, json=body)
    cls = genai_errors.ClientError if code < 500 else genai_errors.ServerError
    return cls(code, body, response)


@dataclass
class Run:
    """The record of one retried call on virtual time."""

    result: Any = None
    error: BaseException | None = None
    calls: list[float] = field(default_factory=list)  # clock at each attempt
    sleeps: list[float] = field(default_factory=list)
    events: list[Retrying] = field(default_factory=list)
    end: float = 0.0


def run(
    script: list[Any],
    *,
    phase: Phase = "poll",
    policy: RetryPolicy = STEADY,
    deadline: float | None = None,
    call_cost: float = 0.0,
    rand: Callable[[], float] = lambda: 0.5,
    first_outside: bool = False,
) -> Run:
    """Calls a scripted function under tenacity: each attempt takes the next script item.

    With ``first_outside`` it runs as the drivers do: attempt 1 without tenacity, and only
    after it failed a ``tenacity.Retrying`` that replays that failure as its attempt 1.
    """
    record = Run()
    now = [0.0]
    replies = iter(script)

    def sleep(seconds: float) -> None:
        record.sleeps.append(seconds)
        now[0] += seconds

    def call(_: Any = None) -> Any:
        record.calls.append(now[0])
        now[0] += call_cost
        reply = next(replies)
        if isinstance(reply, BaseException):
            raise reply
        return reply

    arguments = retry_arguments(
        policy,
        phase,
        deadline=deadline,
        clock=lambda: now[0],
        rand=rand,
        on_retry=record.events.append,
    )
    retrying = tenacity.Retrying(sleep=sleep, **arguments)
    attempt: Callable[[Any], Any] = call
    if first_outside:
        try:
            record.result = call()
            record.end = now[0]
            return record
        except Exception as error:
            attempt = replay_failure(error, call)
    try:
        record.result = retrying(attempt, None)
    except Exception as error:
        record.error = error
    record.end = now[0]
    return record


# The drivers build tenacity only after a first failure; every decision must stay the same.
REPLAYED: list[tuple[str, list[Any], dict[str, Any]]] = [
    ("success-at-once", ["ok"], {}),
    ("retried-then-ok", [http(503), http(503), "ok"], {}),
    ("attempts-run-out", [http(503)] * 6, {}),
    ("not-retryable", [http(400), "ok"], {}),
    ("uncertain-create", [http(500), "ok"], {"phase": "submit"}),
    ("single-attempt", [http(503), "ok"], {"policy": RetryPolicy(attempts=1)}),
    ("deadline", [http(503)] * 6, {"deadline": 5.0, "call_cost": 0.25}),
    ("retry-after", [http(429, "7"), "ok"], {"phase": "submit"}),
    ("retry-after-too-long", [http(429, "900"), "ok"], {"phase": "submit"}),
]


@pytest.mark.parametrize(
    ("script", "options"), [pytest.param(*row[1:], id=row[0]) for row in REPLAYED]
)
def test_first_attempt_outside_tenacity_decides_the_same(
    script: list[Any], options: dict[str, Any]
) -> None:
    direct, replayed = run(script, **options), run(script, first_outside=True, **options)
    assert replayed.calls == direct.calls
    assert replayed.sleeps == direct.sleeps
    assert replayed.events == direct.events
    assert replayed.end == direct.end
    assert replayed.result == direct.result
    assert type(replayed.error) is type(direct.error)
    if direct.error is not None and not isinstance(direct.error, DeadlineReached):
        assert replayed.error is script[len(direct.calls) - 1]  # the very error, re-raised


def test_replayed_failure_is_raised_once_then_the_call_runs() -> None:
    first = RuntimeError("attempt 1")
    attempt = replay_failure(first, lambda argument: f"called with {argument}")
    with pytest.raises(RuntimeError) as caught:
        attempt("x")
    assert caught.value is first
    assert attempt("y") == "called with y"


def test_replayed_failure_async() -> None:
    import asyncio

    async def call(argument: str) -> str:
        return f"awaited {argument}"

    first = RuntimeError("attempt 1")
    attempt = replay_failure_async(first, call)
    with pytest.raises(RuntimeError) as caught:
        asyncio.run(attempt("x"))
    assert caught.value is first
    assert asyncio.run(attempt("y")) == "awaited y"


def test_retries_until_success() -> None:
    record = run([http(503), http(503), http(503), "ok"])
    assert record.result == "ok"
    assert record.sleeps == [1.0, 2.0, 4.0]
    assert record.calls == [0.0, 1.0, 3.0, 7.0]


def test_success_at_once_neither_sleeps_nor_reports() -> None:
    record = run(["ok"])
    assert (record.result, record.sleeps, record.events) == ("ok", [], [])


def test_gives_up_after_the_attempts_and_reraises_the_last_error() -> None:
    last = http(502)
    record = run([http(503), http(500), http(504), last], policy=RetryPolicy(attempts=4, jitter=0))
    assert record.error is last
    assert len(record.calls) == 4
    assert record.sleeps == [1.0, 2.0, 4.0]


def test_single_attempt_policy_never_retries() -> None:
    record = run([http(503), "ok"], policy=RetryPolicy(attempts=1))
    assert isinstance(record.error, genai_errors.ServerError)
    assert (len(record.calls), record.sleeps) == (1, [])


@pytest.mark.parametrize(
    ("retry_after", "expected_sleep"),
    [("7", 7.0), ("0.25", 1.0), ("0", 1.0)],
)
def test_retry_after_is_a_floor(retry_after: str, expected_sleep: float) -> None:
    record = run([http(429, retry_after=retry_after), "ok"])
    assert record.result == "ok"
    assert record.sleeps == [expected_sleep]


def test_jitter_uses_the_drivers_random_numbers() -> None:
    record = run([http(503), http(503), "ok"], policy=RetryPolicy(jitter=0.5), rand=lambda: 0.5)
    assert record.sleeps == [1.25, 2.5]


# id, script, phase, number of calls, retried?
RETRYABILITY: list[tuple[str, list[Any], Phase, int]] = [
    ("400-poll", [http(400), "ok"], "poll", 1),
    ("404-download", [http(404), "ok"], "download", 1),
    ("runtime-error-poll", [RuntimeError("bug"), "ok"], "poll", 1),
    ("read-timeout-submit", [httpx2.ReadTimeout("t", request=_REQ), "ok"], "submit", 1),
    ("reset-submit", [ConnectionResetError(), "ok"], "submit", 1),
    ("read-timeout-poll", [httpx2.ReadTimeout("t", request=_REQ), "ok"], "poll", 2),
    ("read-timeout-download", [httpx2.ReadTimeout("t", request=_REQ), "ok"], "download", 2),
    ("connect-submit", [httpx2.ConnectError("c", request=_REQ), "ok"], "submit", 2),
    ("429-submit", [http(429), "ok"], "submit", 2),
    ("reset-cancel", [ConnectionResetError(), "ok"], "cancel", 2),
]


@pytest.mark.parametrize(
    ("script", "phase", "calls"),
    [pytest.param(*row[1:], id=row[0]) for row in RETRYABILITY],
)
def test_which_failures_are_retried(script: list[Any], phase: Phase, calls: int) -> None:
    record = run(script, phase=phase)
    assert len(record.calls) == calls
    if calls == 1:
        assert record.error is script[0]
        assert record.events == []
    else:
        assert record.result == "ok"


def test_stops_before_a_wait_would_cross_the_deadline() -> None:
    # Waits of 1, 2, 4...: at t=3 the next wait (4 s) would end at 7 > 5, so it stops there.
    record = run([http(503)] * 10, deadline=5.0)
    assert isinstance(record.error, DeadlineReached)
    assert isinstance(record.error.__cause__, genai_errors.ServerError)
    assert record.sleeps == [1.0, 2.0]
    assert record.calls == [0.0, 1.0, 3.0]
    assert record.end <= 5.0


def test_deadline_counts_the_time_calls_take() -> None:
    # Each call takes 1 s: fail at 1 (sleep 1 -> 2), fail at 3 (sleep 2 -> 5 <= 6), fail at 6.
    record = run([http(503)] * 10, deadline=6.0, call_cost=1.0)
    assert record.calls == [0.0, 2.0, 5.0]
    assert record.end == 6.0


def test_wait_ending_exactly_on_the_deadline_is_allowed() -> None:
    record = run([http(503), http(503), "ok"], deadline=3.0)
    assert record.result == "ok"
    assert record.sleeps == [1.0, 2.0]


def test_retry_after_beyond_the_deadline_stops_at_once() -> None:
    record = run([http(429, retry_after="60"), "ok"], deadline=30.0, policy=DEFAULT)
    assert isinstance(record.error, DeadlineReached)
    assert isinstance(record.error.__cause__, genai_errors.ClientError)
    assert (record.sleeps, record.events) == ([], [])


def test_no_deadline_means_only_attempts_count() -> None:
    record = run([http(429, retry_after="250")] * 3 + ["ok"], deadline=None, policy=DEFAULT)
    assert record.result == "ok"
    assert record.sleeps == [250.0] * 3


@pytest.mark.parametrize("retry_after", ["301", "1e9", "inf"])
def test_a_retry_after_beyond_max_delay_is_not_waited_for(retry_after: str) -> None:
    # A hostile Retry-After must not hold the caller: the call fails at once, typed upstream.
    record = run([http(429, retry_after=retry_after), "ok"], deadline=None, policy=DEFAULT)
    assert isinstance(record.error, genai_errors.ClientError)
    assert (record.sleeps, record.events) == ([], [])


def test_on_retry_receives_one_event_per_wait() -> None:
    record = run([http(429, retry_after="7"), http(503), "ok"], phase="download")
    assert record.events == [
        Retrying(phase="download", attempt=1, delay=7.0, cause="HTTP 429 UNAVAILABLE"),
        Retrying(phase="download", attempt=2, delay=2.0, cause="HTTP 503 UNAVAILABLE"),
    ]


def test_on_retry_describes_transport_causes() -> None:
    record = run([httpx2.ConnectError("refused", request=_REQ), "ok"], phase="submit")
    assert [event.cause for event in record.events] == ["connect: refused"]
    assert record.events[0].kind == "retrying"
    assert record.events[0].handle is None


def test_arguments_reraise_rather_than_wrap() -> None:
    # Giving up re-raises the last failure itself (not tenacity's RetryError)...
    record = run([http(503)] * 10, deadline=None)
    assert isinstance(record.error, genai_errors.ServerError)
    arguments = retry_arguments(
        STEADY, "poll", deadline=None, clock=lambda: 0.0, rand=lambda: 0.0, on_retry=print
    )
    assert set(arguments) == {"retry", "wait", "stop", "before_sleep", "retry_error_callback"}


@pytest.mark.parametrize(
    ("phase", "retry_quota", "script", "calls"),
    [
        ("submit", True, [http(429), "ok"], 2),
        ("submit", False, [http(429), "ok"], 1),  # left to the batch pacer
        ("submit", False, [http(503), "ok"], 2),  # other transient refusals still retried
        ("poll", False, [http(429), "ok"], 2),  # only creates are affected
    ],
)
def test_retry_quota_switch(phase: Phase, retry_quota: bool, script: list[Any], calls: int) -> None:
    policy = RetryPolicy(jitter=0, retry_quota=retry_quota)
    record = run(script, phase=phase, policy=policy)
    assert len(record.calls) == calls
