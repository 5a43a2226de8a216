"""The generation flow as plans: generators that yield I/O actions and receive their results.

A plan never performs I/O. It yields :class:`Call` (ask the backend for something),
:class:`Sleep` and :class:`Emit` (report an event), and the driver sends back each call's
result, or throws the call's exception into the plan once tenacity has given up on it. The sync
and async generators run the very same plans; they differ only in how they sleep and call.
This mirrors tenacity, whose ``BaseRetrying.iter`` returns actions that ``Retrying`` and
``AsyncRetrying`` perform.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, Literal, TypeAlias, TypeVar

from veowrap._core import validation
from veowrap._core.faults import classify, failed_operation
from veowrap._core.latency import LatencyDistribution
from veowrap._core.retrying import DeadlineReached
from veowrap._core.schedule import PollSchedule
from veowrap._core.status import (
    MalformedResponse,
    OperationStatus,
    read_interaction,
    read_operation,
)
from veowrap._errors import (
    ContentFilteredError,
    OperationCancelledError,
    OperationTimeoutError,
    ServiceUnavailableError,
    VeowrapError,
)
from veowrap._events import Completed, Event, Failed, Polled, Submitted
from veowrap._handle import OperationHandle, Platform, Route
from veowrap._redact import redact
from veowrap._request import VideoRequest

__all__ = [
    "Action",
    "Call",
    "CallKind",
    "Cancel",
    "Emit",
    "Outcome",
    "Plan",
    "Poll",
    "Sleep",
    "Submit",
    "cancel_plan",
    "read_status",
    "status_plan",
    "submit_plan",
    "wait_plan",
]

# Unreadable answers tolerated in a row while waiting before giving up.
_MAX_MALFORMED_POLLS = 3
#: Seconds before polling again when a webhook woke the wait but the status read was not done
#: yet (the delivery may beat the status read's view, or be a non-final event).
RECHECK_AFTER_PUSH = 2.0
#: Seconds a cancel may take after the deadline passed (``cancel_on_timeout``).
CANCEL_GRACE = 0.5


@dataclass(frozen=True)
class Submit:
    """Ask the backend to create a job for ``request`` with ``model`` (billable: the driver
    re-sends it only when the core's rules prove the first attempt was not accepted)."""

    request: VideoRequest
    model: str
    deadline: float | None = None
    op: ClassVar[CallKind] = "submit"


@dataclass(frozen=True)
class Poll:
    """Ask the backend for the current state of ``handle``'s job."""

    handle: OperationHandle
    deadline: float | None = None
    op: ClassVar[CallKind] = "poll"


@dataclass(frozen=True)
class Cancel:
    """Ask the backend to cancel ``handle``'s job."""

    handle: OperationHandle
    deadline: float | None = None
    op: ClassVar[CallKind] = "cancel"


CallKind: TypeAlias = Literal["submit", "poll", "cancel"]
Call: TypeAlias = Submit | Poll | Cancel
"""A backend call. The driver retries it with tenacity under the rules for its ``op`` until
its ``deadline``; drivers dispatch on the class with ``match``."""


@dataclass(frozen=True)
class Sleep:
    """Wait ``seconds`` before the next action.

    With ``wake`` keys, a driver listening to a webhook inbox ends the sleep early when a
    delivery newer than ``after`` is filed under one of them, and answers with its sequence
    number (``None`` when the time ran out).
    """

    seconds: float
    wake: frozenset[str] = frozenset()
    after: int = 0


@dataclass(frozen=True)
class Emit:
    """Report ``event`` to the caller's ``on_event`` hook and the log."""

    event: Event


Action: TypeAlias = Call | Sleep | Emit


@dataclass(frozen=True)
class Outcome:
    """A finished wait: the handle, the final status, and how long it took on the driver's clock."""

    handle: OperationHandle
    status: OperationStatus
    elapsed: float
    polls: int


ResultT = TypeVar("ResultT")

Plan: TypeAlias = Generator[Action, Any, ResultT]
"""A flow that yields actions, receives their results, and returns a ``ResultT``."""


def read_status(raw: Any, route: Route) -> OperationStatus:
    """Reads an SDK object into an :class:`OperationStatus` according to its route.

    A backend may also answer with an :class:`OperationStatus` of its own (a third-party
    backend need not forge Google's JSON); it is taken as it is.
    """
    if isinstance(raw, OperationStatus):
        return raw
    return read_interaction(raw) if route == "interactions" else read_operation(raw)


def submit_plan(
    request: VideoRequest,
    *,
    platform: Platform,
    route: Route,
    model: str,
    deadline: float | None,
    now_utc: Callable[[], datetime],
    retry_unavailable_create: bool = True,
    trace_context: Callable[[], str | None] | None = None,
) -> Plan[tuple[OperationHandle, OperationStatus]]:
    """Submits ``request`` once (retried only where it provably was not accepted).

    A create still in flight when ``deadline`` passes is abandoned by the driver (it raises a
    ``TimeoutError``): that create may have been accepted, so it ends as uncertain.
    ``trace_context`` (supplied by the driver) gives the W3C ``traceparent`` the handle keeps,
    so that a wait resumed elsewhere can link to this trace.
    """
    try:
        raw = yield Submit(request, model, deadline)
    except VeowrapError:
        raise
    except Exception as error:
        # Out of time while retrying a create that was never accepted: report the cause.
        cause = error.__cause__ if isinstance(error, DeadlineReached) else error
        error = cause if isinstance(cause, Exception) else error
        verdict = classify(error, "submit", retry_unavailable_create=retry_unavailable_create)
        failure = verdict.error(request=request, model=model)
        yield Emit(Failed(error=str(failure), handle=None))
        raise failure from error
    try:
        status = read_status(raw, route)
        if redact(status.name) != status.name:
            # A name that carries a credential could never be shown, logged or saved safely.
            raise MalformedResponse("the operation's name contains a credential")
        if (problem := validation.operation_name_problem(status.name)) is not None:
            # The same rule as a loaded handle's: the name goes into authenticated URLs.
            raise MalformedResponse(f"the operation's name cannot be used: {problem}")
    except MalformedResponse as error:
        verdict = classify(error, "submit", retry_unavailable_create=retry_unavailable_create)
        failure = verdict.error(request=request, model=model)
        yield Emit(Failed(error=str(failure), handle=None))
        raise failure from error
    handle = OperationHandle(
        name=status.name,
        platform=platform,
        route=route,
        model=model,
        submitted_at=now_utc(),
        request_fingerprint=request.fingerprint(),
        expected_videos=request.number_of_videos or 1,
        traceparent=trace_context() if trace_context is not None else None,
    )
    yield Emit(Submitted(handle))
    return handle, status


def wait_plan(
    handle: OperationHandle,
    *,
    schedule: PollSchedule,
    deadline: float | None,
    clock: Callable[[], float],
    rand: Callable[[], float],
    poll_first: bool,
    cancel_on_timeout: bool = False,
    known: OperationStatus | None = None,
    wake: frozenset[str] = frozenset(),
    age: float | None = None,
    latency: LatencyDistribution | None = None,
) -> Plan[Outcome]:
    """Polls ``handle`` until it is done, the deadline passes, or an error is final.

    Args:
        handle: The operation to wait for.
        schedule: When to poll.
        deadline: The driver-clock time to give up at, or ``None`` to wait indefinitely.
        clock: The driver's monotonic clock.
        rand: Uniform random numbers in [0, 1) for jitter.
        poll_first: Poll at once (resuming) instead of after ``schedule.first_delay``.
        cancel_on_timeout: Cancel the operation before raising ``OperationTimeoutError``.
        known: A status already read (a create that answered with a finished job).
        wake: Keys of webhook deliveries that end a sleep early (the next poll then reads the
            final state); ``schedule`` is then the slow backstop.
        age: Seconds since the job was submitted, when known: a schedule learned from the
            latency polls at ages, and ETAs are conditional on the age.
        latency: The job's latency distribution, for the ETAs in :class:`Polled` events.
    """
    start = clock()
    polls = 0
    malformed = 0

    def age_now() -> float | None:
        return None if age is None else age + clock() - start

    delay = 0.0 if poll_first else schedule.next_delay(0, age_now(), rand())
    status = known
    heard = 0  # the newest webhook delivery seen; only a newer one wakes the next sleep
    while status is None or not status.done:
        last_chance = False
        if deadline is not None:
            remaining = deadline - clock()
            last_chance = delay >= remaining
            delay = max(0.0, min(delay, remaining))
        pushed = False
        if delay > 0:
            woken = yield Sleep(delay, wake, heard)
            if isinstance(woken, int) and woken > heard:
                heard, last_chance, pushed = woken, False, True
        try:
            raw = yield Poll(handle, deadline)
            status = read_status(raw, handle.route)
            malformed = 0
        except MalformedResponse as error:
            malformed += 1
            if malformed > _MAX_MALFORMED_POLLS:
                unreadable = ServiceUnavailableError(
                    f"The service answered {malformed} polls in a row with something that is "
                    f"not an operation ({error}).",
                    hint="Try again later with generator.wait(handle).",
                    handle=handle,
                )
                yield Emit(Failed(error=str(unreadable), handle=handle))
                raise unreadable from error
            status = None
        except VeowrapError:
            raise
        except DeadlineReached as error:
            yield from _time_out(handle, clock, start, cancel_on_timeout, cause=error.__cause__)
        except Exception as error:
            verdict = classify(error, "poll")
            if verdict.retry and deadline is not None and clock() >= deadline:
                yield from _time_out(handle, clock, start, cancel_on_timeout, cause=error)
            failure = verdict.error(handle=handle)
            yield Emit(Failed(error=str(failure), handle=handle))
            raise failure from error
        polls += 1
        done = status is not None and status.done
        if not done and (last_chance or (deadline is not None and clock() >= deadline)):
            yield from _time_out(handle, clock, start, cancel_on_timeout)
        now = age_now()
        delay = 0.0 if done else schedule.next_delay(polls, now, rand())
        if pushed and not done:
            delay = min(delay, RECHECK_AFTER_PUSH)
        eta = None if done or latency is None or now is None else latency.eta(now)
        yield Emit(
            Polled(
                handle=handle,
                poll_count=polls,
                elapsed=clock() - start,
                done=done,
                next_poll_in=None if done else delay,
                age=now,
                eta_p50=None if eta is None else eta.p50,
                eta_p90=None if eta is None else eta.p90,
            )
        )
    outcome = Outcome(handle=handle, status=status, elapsed=clock() - start, polls=polls)
    try:
        check_finished(outcome)
    except Exception as failure:
        yield Emit(Failed(error=str(failure), handle=handle))
        raise
    yield Emit(
        Completed(
            handle=handle,
            videos=len(status.videos),
            filtered=status.filtered_count,
            elapsed=outcome.elapsed,
        )
    )
    return outcome


def check_finished(outcome: Outcome) -> None:
    """Raises the typed error for a finished operation that produced no usable video."""
    status, handle = outcome.status, outcome.handle
    if status.state == "cancelled":
        raise OperationCancelledError(
            "The operation was cancelled before it produced a video.",
            code=status.error_code or "CANCELLED",
            handle=handle,
        )
    if status.state == "failed":
        raise failed_operation(status.error_message or "", status.error_code, handle)
    if not status.videos:
        reasons = status.filtered_reasons or ("no reason given",)
        raise ContentFilteredError(
            f"All {max(status.filtered_count, 1)} video(s) were withheld by safety filters: "
            f"{'; '.join(reasons)}",
            reasons=reasons,
            filtered_count=max(status.filtered_count, 1),
            handle=handle,
        )


def _time_out(
    handle: OperationHandle,
    clock: Callable[[], float],
    start: float,
    cancel: bool,
    cause: BaseException | None = None,
) -> Plan[None]:
    elapsed = clock() - start
    if cancel:
        try:
            # The deadline has passed: the cancel gets a short grace, never an open-ended wait.
            yield Cancel(handle, clock() + CANCEL_GRACE)
        except Exception as error:  # the timeout is what the caller needs to hear about
            cause = cause or error
    failure = OperationTimeoutError(
        f"The operation did not finish within the deadline ({elapsed:.1f} s)"
        + ("; it was cancelled." if cancel else "; it may still be running."),
        hint=None
        if cancel
        else "Resume with generator.wait(error.handle) or save error.handle.to_json().",
        handle=handle,
    )
    yield Emit(Failed(error=str(failure), handle=handle))
    raise failure from cause


def status_plan(handle: OperationHandle, deadline: float | None = None) -> Plan[OperationStatus]:
    """Reads the status once (with the usual read retries, within ``deadline``)."""
    try:
        raw = yield Poll(handle, deadline)
        return read_status(raw, handle.route)
    except VeowrapError:
        raise
    except Exception as error:
        cause = error.__cause__ if isinstance(error, DeadlineReached) else error
        cause = cause if isinstance(cause, Exception) else error
        raise classify(cause, "poll").error(handle=handle) from error


def cancel_plan(handle: OperationHandle, deadline: float | None = None) -> Plan[None]:
    """Asks the service to cancel ``handle`` (within ``deadline``)."""
    try:
        yield Cancel(handle, deadline)
    except VeowrapError:
        raise
    except Exception as error:
        cause = error.__cause__ if isinstance(error, DeadlineReached) else error
        cause = cause if isinstance(cause, Exception) else error
        raise classify(cause, "cancel").error(handle=handle) from error
