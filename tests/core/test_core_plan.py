"""`plan.wait_plan`, `plan.submit_plan` and friends, run by a tiny virtual driver.

The driver owns a fake clock that only ``Sleep`` actions (and, when a test asks, calls) move. It
answers each ``Call`` from a script: a value is sent into the plan, an exception is thrown into
it with ``plan.throw`` (as the real drivers do once tenacity has given up on the call).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx2
import pytest
import tenacity
from google.genai import errors as genai_errors
from google.genai import types

from veowrap._core.plan import (
    Action,
    Call,
    Cancel,
    Emit,
    Outcome,
    Poll,
    Sleep,
    Submit,
    cancel_plan,
    read_status,
    status_plan,
    submit_plan,
    wait_plan,
)
from veowrap._core.retrying import RetryPolicy, retry_arguments
from veowrap._core.schedule import PollSchedule
from veowrap._core.status import OperationStatus, VideoRef
from veowrap._errors import (
    ConfigurationError,
    ContentFilteredError,
    OperationCancelledError,
    OperationFailedError,
    OperationNotFoundError,
    OperationTimeoutError,
    QuotaExceededError,
    RequestValidationError,
    ServiceRejectedError,
    ServiceUnavailableError,
    SubmissionUncertainError,
    UnsupportedCapabilityError,
    VeowrapError,
)
from veowrap._events import Completed, Failed, Polled, Submitted
from veowrap._handle import OperationHandle
from veowrap._request import VideoRequest

NAME = "models/veo-3.1-generate-preview/operations/op123"
HANDLE = OperationHandle.from_name(NAME)
INTERACTION = OperationHandle.from_name("v1_interaction123")
URI = "https://generativelanguage.googleapis.com/v1beta/files/abc:download?alt=media"
REASON = "blocked: people"
REQUEST = VideoRequest(prompt="a paper boat", number_of_videos=2)
SUBMITTED_AT = datetime(2025, 5, 1, 12, 0, tzinfo=UTC)
TEN = PollSchedule.fixed(10)

# SDK-shaped replies.
RUNNING = {"name": NAME, "done": False}
DONE = {"name": NAME, "done": True, "response": {"generated_videos": [{"video": {"uri": URI}}]}}
FAILED = {"name": NAME, "done": True, "error": {"code": 3, "message": "Unsupported input"}}
FILTERED = {
    "name": NAME,
    "done": True,
    "response": {"rai_media_filtered_count": 2, "rai_media_filtered_reasons": [REASON, "x"]},
}
FILTERED_SILENTLY = {"name": NAME, "done": True, "response": {}}
PARTLY_FILTERED = {
    "name": NAME,
    "done": True,
    "response": {
        "generated_videos": [{"video": {"uri": URI}}],
        "rai_media_filtered_count": 1,
        "rai_media_filtered_reasons": [REASON],
    },
}
MALFORMED = {"done": True}  # no name
_REQ = httpx2.Request("GET", "https://example.invalid")


def api_error(code: int, retry_after: str | None = None) -> genai_errors.APIError:
    body = {"error": {"code": code, "message": f"error {code}", "status": "X"}}
    headers = {"Retry-After": retry_after} if retry_after else {}
    cls = genai_errors.ClientError if code < 500 else genai_errors.ServerError
    return cls(code, body, httpx2.Response(code, headers=headers, json=body))


@dataclass
class Late:
    """A reply that arrives ``seconds`` after the call was made."""

    seconds: float
    reply: Any


@dataclass
class Driver:
    """Runs a plan on virtual time with scripted replies per call kind."""

    polls: list[Any] = field(default_factory=list)
    submits: list[Any] = field(default_factory=list)
    cancels: list[Any] = field(default_factory=list)
    now: float = 0.0
    rand_value: float = 0.5
    actions: list[Action] = field(default_factory=list)
    call_times: list[float] = field(default_factory=list)

    def clock(self) -> float:
        return self.now

    def rand(self) -> float:
        return self.rand_value

    @property
    def events(self) -> list[Any]:
        return [action.event for action in self.actions if isinstance(action, Emit)]

    @property
    def trace(self) -> list[str]:
        """The actions in a compact form: ``sleep 10``, ``poll``, ``polled``, ``cancel``..."""
        words = []
        for action in self.actions:
            if isinstance(action, Sleep):
                words.append(f"sleep {action.seconds:g}")
            elif isinstance(action, Call):
                words.append(action.op)
            else:
                words.append(action.event.kind)
        return words

    def _reply(self, call: Call) -> Any:
        script = {"poll": self.polls, "submit": self.submits, "cancel": self.cancels}[call.op]
        if not script:
            if call.op == "cancel":
                return None
            raise AssertionError(f"unexpected {call.op} call at t={self.now}")
        return script.pop(0)

    def run(self, plan: Generator[Action, Any, Any]) -> Any:
        action = next(plan)
        while True:
            self.actions.append(action)
            try:
                if isinstance(action, Sleep):
                    assert action.seconds > 0, "plans never ask for empty sleeps"
                    self.now += action.seconds
                    action = plan.send(None)
                elif isinstance(action, Emit):
                    action = plan.send(None)
                else:
                    self.call_times.append(self.now)
                    reply = self._reply(action)
                    if isinstance(reply, Late):
                        self.now += reply.seconds
                        reply = reply.reply
                    if isinstance(reply, BaseException):
                        action = plan.throw(reply)
                    else:
                        action = plan.send(reply)
            except StopIteration as stop:
                return stop.value


def wait(
    driver: Driver,
    *,
    handle: OperationHandle = HANDLE,
    schedule: PollSchedule = TEN,
    deadline: float | None = None,
    poll_first: bool = False,
    cancel_on_timeout: bool = False,
    known: OperationStatus | None = None,
) -> Outcome:
    return driver.run(
        wait_plan(
            handle,
            schedule=schedule,
            deadline=deadline,
            clock=driver.clock,
            rand=driver.rand,
            poll_first=poll_first,
            cancel_on_timeout=cancel_on_timeout,
            known=known,
        )
    )


def submit(
    driver: Driver, *, route: Any = "operations", request: VideoRequest = REQUEST
) -> tuple[OperationHandle, OperationStatus]:
    return driver.run(
        submit_plan(
            request,
            platform="gemini",
            route=route,
            model="veo-3.1-generate-preview",
            deadline=99.0,
            now_utc=lambda: SUBMITTED_AT,
        )
    )


# ------------------------------------------------------------------------ wait_plan: sequences

# id, poll replies, options, trace, poll times
SEQUENCES: list[tuple[str, list[Any], dict[str, Any], list[str], list[float]]] = [
    ("done-on-first-poll", [DONE], {},
     ["sleep 10", "poll", "polled", "completed"], [10.0]),
    ("done-on-third-poll", [RUNNING, RUNNING, DONE], {},
     ["sleep 10", "poll", "polled", "sleep 10", "poll", "polled", "sleep 10", "poll", "polled",
      "completed"], [10.0, 20.0, 30.0]),
    ("poll-first-done", [DONE], {"poll_first": True},
     ["poll", "polled", "completed"], [0.0]),
    ("poll-first-then-schedule", [RUNNING, DONE], {"poll_first": True},
     ["poll", "polled", "sleep 10", "poll", "polled", "completed"], [0.0, 10.0]),
    ("growing-intervals", [RUNNING, RUNNING, RUNNING, DONE],
     {"schedule": PollSchedule(first_delay=10, interval=4, growth=2, max_interval=8, jitter=0)},
     ["sleep 10", "poll", "polled", "sleep 4", "poll", "polled", "sleep 8", "poll", "polled",
      "sleep 8", "poll", "polled", "completed"], [10.0, 14.0, 22.0, 30.0]),
    ("deadline-far-away", [RUNNING, DONE], {"deadline": 1000.0},
     ["sleep 10", "poll", "polled", "sleep 10", "poll", "polled", "completed"], [10.0, 20.0]),
    ("last-sleep-clamped-to-deadline-then-done", [RUNNING, RUNNING, DONE], {"deadline": 25.0},
     ["sleep 10", "poll", "polled", "sleep 10", "poll", "polled", "sleep 5", "poll", "polled",
      "completed"], [10.0, 20.0, 25.0]),
    ("malformed-tolerated", [MALFORMED, MALFORMED, MALFORMED, DONE], {},
     ["sleep 10", "poll", "polled", "sleep 10", "poll", "polled", "sleep 10", "poll", "polled",
      "sleep 10", "poll", "polled", "completed"], [10.0, 20.0, 30.0, 40.0]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("replies", "options", "trace", "poll_times"),
    [pytest.param(*row[1:], id=row[0]) for row in SEQUENCES],
)
def test_wait_sequences(
    replies: list[Any], options: dict[str, Any], trace: list[str], poll_times: list[float]
) -> None:
    driver = Driver(polls=list(replies))
    outcome = wait(driver, **options)
    assert driver.trace == trace
    assert driver.call_times == poll_times
    assert outcome.polls == len(poll_times)
    assert outcome.elapsed == poll_times[-1]
    assert outcome.handle is HANDLE
    assert outcome.status.videos == (VideoRef(uri=URI),)
    assert driver.polls == [], "every scripted reply was used"


@pytest.mark.parametrize("rand", [0.0, 0.5, 0.999])
def test_no_poll_before_first_delay(rand: float) -> None:
    schedule = PollSchedule()  # first_delay 10 s, jitter ±10 %
    driver = Driver(polls=[DONE], rand_value=rand)
    wait(driver, schedule=schedule)
    assert driver.call_times == [pytest.approx(schedule.delay_after(0, rand))]
    assert driver.call_times[0] >= schedule.first_delay * (1 - schedule.jitter)


def test_poll_first_polls_at_once_even_with_a_long_first_delay() -> None:
    driver = Driver(polls=[DONE])
    wait(
        driver,
        schedule=PollSchedule(first_delay=600, interval=60, max_interval=60),
        poll_first=True,
    )
    assert driver.call_times == [0.0]
    assert driver.trace[0] == "poll"


def test_known_finished_status_needs_no_call() -> None:
    known = OperationStatus(name=NAME, done=True, state="succeeded", videos=(VideoRef(uri=URI),))
    driver = Driver()
    outcome = wait(driver, known=known)
    assert driver.trace == ["completed"]
    assert (outcome.status, outcome.polls, outcome.elapsed) == (known, 0, 0.0)


def test_known_running_status_still_polls() -> None:
    known = OperationStatus(name=NAME, done=False, state="running")
    driver = Driver(polls=[DONE])
    outcome = wait(driver, known=known)
    assert driver.trace == ["sleep 10", "poll", "polled", "completed"]
    assert outcome.polls == 1


def test_polled_events_carry_progress() -> None:
    driver = Driver(polls=[RUNNING, DONE])
    wait(driver)
    polled = [event for event in driver.events if isinstance(event, Polled)]
    assert polled == [
        Polled(handle=HANDLE, poll_count=1, elapsed=10.0, done=False, next_poll_in=10.0),
        Polled(handle=HANDLE, poll_count=2, elapsed=20.0, done=True, next_poll_in=None),
    ]
    assert driver.events[-1] == Completed(handle=HANDLE, videos=1, filtered=0, elapsed=20.0)


def test_interaction_route_reads_interactions() -> None:
    running = {"id": INTERACTION.name, "status": "in_progress"}
    finished = {
        "id": INTERACTION.name,
        "status": "completed",
        "steps": [{"type": "model_output", "content": [{"type": "video", "uri": URI}]}],
    }
    driver = Driver(polls=[running, finished])
    outcome = wait(driver, handle=INTERACTION, poll_first=True)
    assert outcome.status.raw_state == "completed"
    assert outcome.status.videos == (VideoRef(uri=URI),)
    assert [call.handle for call in driver.actions if isinstance(call, Poll)] == [INTERACTION] * 2


def test_poll_calls_carry_the_handle_and_deadline() -> None:
    driver = Driver(polls=[DONE])
    wait(driver, deadline=500.0)
    assert [a for a in driver.actions if isinstance(a, Call)] == [Poll(HANDLE, 500.0)]


# ---------------------------------------------------------------------------- wait_plan: timeouts

# id, poll replies, deadline, options, trace, poll times
TIMEOUTS: list[tuple[str, list[Any], float, dict[str, Any], list[str], list[float]]] = [
    ("clamped-last-poll", [RUNNING] * 3, 25.0, {},
     ["sleep 10", "poll", "polled", "sleep 10", "poll", "polled", "sleep 5", "poll", "failed"],
     [10.0, 20.0, 25.0]),
    ("deadline-on-a-poll", [RUNNING] * 2, 20.0, {},
     ["sleep 10", "poll", "polled", "sleep 10", "poll", "failed"], [10.0, 20.0]),
    ("deadline-before-first-delay", [RUNNING], 3.0, {},
     ["sleep 3", "poll", "failed"], [3.0]),
    ("deadline-already-past", [RUNNING], -1.0, {}, ["poll", "failed"], [0.0]),
    ("poll-first-deadline-zero", [RUNNING], 0.0, {"poll_first": True},
     ["poll", "failed"], [0.0]),
    ("cancel-on-timeout", [RUNNING] * 2, 20.0, {"cancel_on_timeout": True},
     ["sleep 10", "poll", "polled", "sleep 10", "poll", "cancel", "failed"], [10.0, 20.0, 20.0]),
    ("slow-poll-crosses-deadline", [RUNNING, Late(30, RUNNING)], 25.0, {},
     ["sleep 10", "poll", "polled", "sleep 10", "poll", "failed"], [10.0, 20.0]),
    ("malformed-at-deadline", [RUNNING, MALFORMED], 20.0, {},
     ["sleep 10", "poll", "polled", "sleep 10", "poll", "failed"], [10.0, 20.0]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("replies", "deadline", "options", "trace", "call_times"),
    [pytest.param(*row[1:], id=row[0]) for row in TIMEOUTS],
)
def test_wait_times_out(
    replies: list[Any],
    deadline: float,
    options: dict[str, Any],
    trace: list[str],
    call_times: list[float],
) -> None:
    driver = Driver(polls=list(replies))
    with pytest.raises(OperationTimeoutError) as caught:
        wait(driver, deadline=deadline, **options)
    assert driver.trace == trace
    assert driver.call_times == call_times
    assert caught.value.handle is HANDLE
    assert driver.events[-1] == Failed(error=str(caught.value), handle=HANDLE)
    sleeps = sum(a.seconds for a in driver.actions if isinstance(a, Sleep))
    assert sleeps <= max(deadline, 0.0), "never sleeps past the deadline"


def test_timeout_without_cancel_says_how_to_resume() -> None:
    driver = Driver(polls=[RUNNING])
    with pytest.raises(OperationTimeoutError) as caught:
        wait(driver, deadline=10.0)
    assert "may still be running" in caught.value.message
    assert "generator.wait(error.handle)" in (caught.value.hint or "")


def test_cancel_on_timeout_cancels_the_right_operation() -> None:
    driver = Driver(polls=[RUNNING])
    with pytest.raises(OperationTimeoutError) as caught:
        wait(driver, deadline=10.0, cancel_on_timeout=True)
    cancel = driver.actions[-2]
    assert isinstance(cancel, Cancel) and cancel.handle == HANDLE
    # The deadline has passed: the cancel gets a short grace, never an open-ended wait.
    assert cancel.deadline is not None
    assert "it was cancelled" in caught.value.message


def test_a_failing_cancel_still_raises_the_timeout() -> None:
    refusal = api_error(400)
    driver = Driver(polls=[RUNNING], cancels=[refusal])
    with pytest.raises(OperationTimeoutError) as caught:
        wait(driver, deadline=10.0, cancel_on_timeout=True)
    assert caught.value.__cause__ is refusal


def test_retryable_poll_failure_at_the_deadline_is_a_timeout() -> None:
    # Tenacity stopped retrying because the deadline came: the caller hears "timeout".
    outage = api_error(503)
    driver = Driver(polls=[RUNNING, Late(15, outage)])
    with pytest.raises(OperationTimeoutError) as caught:
        wait(driver, deadline=30.0, cancel_on_timeout=True)
    assert caught.value.__cause__ is outage
    assert driver.trace[-2:] == ["cancel", "failed"]


def test_retryable_poll_failure_before_the_deadline_is_unavailable() -> None:
    driver = Driver(polls=[api_error(503)])
    with pytest.raises(ServiceUnavailableError) as caught:
        wait(driver, deadline=1000.0)
    assert caught.value.handle is HANDLE


# ---------------------------------------------------------------------- wait_plan: final errors


def test_failed_operation() -> None:
    driver = Driver(polls=[RUNNING, FAILED])
    with pytest.raises(OperationFailedError) as caught:
        wait(driver)
    error = caught.value
    assert type(error) is OperationFailedError
    assert (error.code, error.handle) == (3, HANDLE)
    assert "Unsupported input" in error.message
    assert driver.trace[-2:] == ["polled", "failed"]
    assert driver.events[-1] == Failed(error=str(error), handle=HANDLE)


def test_cancelled_interaction() -> None:
    driver = Driver(polls=[{"id": INTERACTION.name, "status": "cancelled"}])
    with pytest.raises(OperationCancelledError) as caught:
        wait(driver, handle=INTERACTION)
    assert caught.value.code == "CANCELLED"
    assert caught.value.handle is INTERACTION


@pytest.mark.parametrize(
    ("reply", "reasons", "count"),
    [
        pytest.param(FILTERED, (REASON, "x"), 2, id="with-reasons"),
        pytest.param(FILTERED_SILENTLY, ("no reason given",), 1, id="silently"),
    ],
)
def test_all_filtered(reply: dict[str, Any], reasons: tuple[str, ...], count: int) -> None:
    driver = Driver(polls=[reply])
    with pytest.raises(ContentFilteredError) as caught:
        wait(driver)
    error = caught.value
    assert (error.reasons, error.filtered_count, error.handle) == (reasons, count, HANDLE)
    assert f"All {count} video(s)" in error.message
    assert isinstance(driver.events[-1], Failed)


def test_partially_filtered_is_a_success() -> None:
    driver = Driver(polls=[PARTLY_FILTERED])
    outcome = wait(driver)
    assert outcome.status.filtered_count == 1
    assert len(outcome.status.videos) == 1
    assert driver.events[-1] == Completed(handle=HANDLE, videos=1, filtered=1, elapsed=10.0)


@pytest.mark.parametrize(
    "replies",
    [
        pytest.param([MALFORMED] * 4, id="four-in-a-row"),
        pytest.param([MALFORMED, RUNNING, *[MALFORMED] * 4], id="four-after-a-good-one"),
        pytest.param([{"name": NAME, "done": True, "response": {"videos": "x"}}] * 4, id="shape"),
    ],
)
def test_too_many_malformed_polls(replies: list[Any]) -> None:
    driver = Driver(polls=list(replies))
    with pytest.raises(ServiceUnavailableError) as caught:
        wait(driver)
    assert caught.value.handle is HANDLE
    assert "4 polls in a row" in caught.value.message
    assert driver.trace[-2:] == ["poll", "failed"]
    assert driver.polls == []


def test_malformed_counter_resets_after_a_good_answer() -> None:
    driver = Driver(polls=[*[MALFORMED] * 3, RUNNING, *[MALFORMED] * 3, DONE])
    outcome = wait(driver)
    assert outcome.polls == 8


# id, exception thrown into the plan, typed error
POLL_ERRORS: list[tuple[str, BaseException, type[VeowrapError]]] = [
    ("404", api_error(404), OperationNotFoundError),
    ("403", api_error(403), ConfigurationError),
    ("429", api_error(429, retry_after="9"), QuotaExceededError),
    ("503", api_error(503), ServiceUnavailableError),
    ("read-timeout", httpx2.ReadTimeout("t", request=_REQ), ServiceUnavailableError),
    ("runtime-error", RuntimeError("bug"), ServiceUnavailableError),
]


@pytest.mark.parametrize(
    ("error", "expected"), [pytest.param(*row[1:], id=row[0]) for row in POLL_ERRORS]
)
def test_poll_errors_become_typed_errors(error: BaseException, expected: type) -> None:
    driver = Driver(polls=[RUNNING, error])
    with pytest.raises(VeowrapError) as caught:
        wait(driver)
    assert type(caught.value) is expected
    assert caught.value.handle is HANDLE
    assert caught.value.__cause__ is error
    assert driver.events[-1] == Failed(error=str(caught.value), handle=HANDLE)


def test_veowrap_errors_pass_through_untouched() -> None:
    own = OperationNotFoundError("gone", handle=HANDLE)
    driver = Driver(polls=[own])
    with pytest.raises(OperationNotFoundError) as caught:
        wait(driver)
    assert caught.value is own


# ------------------------------------------------------------------------------------ submit_plan


def test_submit_success() -> None:
    driver = Driver(submits=[RUNNING])
    handle, status = submit(driver)
    assert driver.actions[0] == Submit(REQUEST, "veo-3.1-generate-preview", 99.0)
    assert driver.trace == ["submit", "submitted"]
    assert driver.events == [Submitted(handle)]
    assert handle == OperationHandle(
        name=NAME,
        platform="gemini",
        route="operations",
        model="veo-3.1-generate-preview",
        submitted_at=SUBMITTED_AT,
        request_fingerprint=REQUEST.fingerprint(),
        expected_videos=2,
    )
    assert status == OperationStatus(name=NAME, done=False, state="running")


def test_submit_answered_with_a_finished_operation() -> None:
    driver = Driver(submits=[DONE])
    handle, status = submit(driver, request=VideoRequest(prompt="x"))
    assert status.done
    assert handle.expected_videos == 1


def test_submit_through_interactions() -> None:
    driver = Driver(submits=[{"id": "v1_abc", "status": "in_progress"}])
    handle, status = submit(driver, route="interactions")
    assert (handle.name, handle.route) == ("v1_abc", "interactions")
    assert status.raw_state == "in_progress"


def _json_error() -> json.JSONDecodeError:
    try:
        json.loads("{")
    except json.JSONDecodeError as error:
        return error
    raise AssertionError


# id, exception thrown into the plan, typed error, checks
SUBMIT_ERRORS: list[tuple[str, BaseException, type[VeowrapError], dict[str, Any]]] = [
    ("read-timeout", httpx2.ReadTimeout("t", request=_REQ), SubmissionUncertainError,
     {"request": REQUEST}),
    ("reset", ConnectionResetError(), SubmissionUncertainError, {"request": REQUEST}),
    ("disconnect", httpx2.RemoteProtocolError("gone"), SubmissionUncertainError,
     {"request": REQUEST}),
    ("malformed-json", _json_error(), SubmissionUncertainError, {"request": REQUEST}),
    ("429", api_error(429, retry_after="9"), QuotaExceededError, {"retry_after": 9.0}),
    ("503", api_error(503), ServiceUnavailableError, {}),
    ("connect", httpx2.ConnectError("refused", request=_REQ), ServiceUnavailableError, {}),
    ("400", api_error(400), ServiceRejectedError, {"status_code": 400}),
    ("404", api_error(404), UnsupportedCapabilityError, {}),
]  # fmt: skip


@pytest.mark.parametrize(
    ("error", "expected", "checks"), [pytest.param(*row[1:], id=row[0]) for row in SUBMIT_ERRORS]
)
def test_submit_errors(error: BaseException, expected: type, checks: dict[str, Any]) -> None:
    driver = Driver(submits=[error])
    with pytest.raises(VeowrapError) as caught:
        submit(driver)
    assert type(caught.value) is expected
    for name, value in checks.items():
        assert getattr(caught.value, name) == value
    assert caught.value.__cause__ is error
    assert driver.trace == ["submit", "failed"]
    assert driver.events == [Failed(error=str(caught.value), handle=None)]


def test_submit_404_names_the_model() -> None:
    driver = Driver(submits=[api_error(404)])
    with pytest.raises(UnsupportedCapabilityError, match=r"veo-3\.1-generate-preview"):
        submit(driver)


def test_submit_passes_veowrap_errors_through() -> None:
    own = RequestValidationError("prompt", "", "text")
    driver = Driver(submits=[own])
    with pytest.raises(RequestValidationError) as caught:
        submit(driver)
    assert caught.value is own
    assert driver.trace == ["submit"]


def test_submit_with_unreadable_answer_fails_with_an_event() -> None:
    driver = Driver(submits=[MALFORMED])
    with pytest.raises(VeowrapError):
        submit(driver)
    assert driver.trace == ["submit", "failed"]


def test_submit_with_unreadable_answer_is_uncertain() -> None:
    driver = Driver(submits=[MALFORMED])
    with pytest.raises(SubmissionUncertainError) as caught:
        submit(driver)
    assert caught.value.request is REQUEST


@pytest.mark.parametrize(
    "name",
    [
        pytest.param("models/m/operations/../../files/abc", id="traversal"),
        pytest.param("http://127.0.0.1:9/steal", id="url"),
        pytest.param("models/m/operations/x?key=k", id="query"),
        pytest.param("models/m/operations/x\r\nX-Injected: 1", id="crlf"),
    ],
)
def test_submit_answered_with_an_unusable_name_is_uncertain(name: str) -> None:
    # The create was answered, so it may be paid for; the name would be put into the path of
    # every authenticated poll, so no handle is made from it.
    driver = Driver(submits=[{"name": name, "done": False}])
    with pytest.raises(SubmissionUncertainError) as caught:
        submit(driver)
    assert caught.value.request is REQUEST
    assert driver.trace == ["submit", "failed"]


# ------------------------------------------------------------------ status_plan and cancel_plan


def test_status_plan_reads_once() -> None:
    driver = Driver(polls=[RUNNING])
    status = driver.run(status_plan(HANDLE))
    assert status.state == "running"
    assert driver.trace == ["poll"]


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        pytest.param(api_error(404), OperationNotFoundError, id="404"),
        pytest.param(api_error(503), ServiceUnavailableError, id="503"),
    ],
)
def test_status_and_cancel_plans_type_their_errors(error: BaseException, expected: type) -> None:
    for plan, script in ((status_plan, "polls"), (cancel_plan, "cancels")):
        driver = Driver(**{script: [error]})
        with pytest.raises(expected) as caught:
            driver.run(plan(HANDLE))
        assert caught.value.handle is HANDLE


def test_cancel_plan() -> None:
    driver = Driver()
    assert driver.run(cancel_plan(HANDLE)) is None
    assert driver.actions == [Cancel(HANDLE, None)]


@pytest.mark.parametrize(
    ("route", "raw", "state"),
    [
        ("operations", types.GenerateVideosOperation(name=NAME), "running"),
        ("interactions", {"id": "v1_x", "status": "failed"}, "failed"),
    ],
)
def test_read_status_follows_the_route(route: Any, raw: Any, state: str) -> None:
    assert read_status(raw, route).state == state


def test_plan_helpers_are_plain_generators() -> None:
    plan: Callable[..., Any] = wait_plan
    generator = plan(
        HANDLE,
        schedule=TEN,
        deadline=None,
        clock=lambda: 0.0,
        rand=lambda: 0.5,
        poll_first=False,
    )
    assert next(generator) == Sleep(10.0)
    generator.close()


# ------------------------------------------------------- plans and tenacity on one virtual clock


@dataclass
class RetryingDriver(Driver):
    """Like the real drivers: each call runs under tenacity with the core's retry rules."""

    policy: RetryPolicy = field(default_factory=lambda: RetryPolicy(jitter=0))
    retries: list[Any] = field(default_factory=list)

    def _reply(self, call: Call) -> Any:
        def attempt() -> Any:
            reply = Driver._reply(self, call)
            if isinstance(reply, BaseException):
                raise reply
            return reply

        def sleep(seconds: float) -> None:
            self.now += seconds

        arguments = retry_arguments(
            self.policy,
            call.op,
            deadline=call.deadline,
            clock=self.clock,
            rand=self.rand,
            on_retry=self.retries.append,
        )
        try:
            return tenacity.Retrying(sleep=sleep, **arguments)(attempt)
        except Exception as error:
            return error


def test_transient_poll_failures_are_retried_inside_the_call() -> None:
    driver = RetryingDriver(polls=[api_error(503), api_error(503), DONE])
    outcome = wait(driver)
    assert driver.trace == ["sleep 10", "poll", "polled", "completed"]
    assert outcome.elapsed == 13.0  # 10 s first delay, then retry waits of 1 s and 2 s
    assert [event.attempt for event in driver.retries] == [1, 2]


def test_outage_until_retries_run_out_is_unavailable() -> None:
    driver = RetryingDriver(polls=[api_error(503)] * 6)
    with pytest.raises(ServiceUnavailableError):
        wait(driver, deadline=1000.0)
    assert driver.polls == []


def test_outage_at_the_deadline_is_a_timeout_and_cancels() -> None:
    driver = RetryingDriver(polls=[RUNNING, *[api_error(503)] * 5])
    with pytest.raises(OperationTimeoutError):
        wait(driver, deadline=30.0, cancel_on_timeout=True)
    assert "cancel" in driver.trace
