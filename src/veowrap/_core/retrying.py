"""Request-level retry rules, expressed as tenacity arguments.

Tenacity performs the retries (``Retrying`` in the sync driver, ``AsyncRetrying`` in the async
one); this module only decides: which failures are retried (:func:`classify`), how long to
wait (exponential with jitter, never less than the server's ``Retry-After``), and when to stop
(attempts used up, or the next wait would cross the caller's deadline).

Most calls succeed at once, so the drivers make the first attempt themselves and build a
tenacity object only after it failed; :func:`replay_failure` hands that failed attempt to
tenacity as its attempt 1, so every decision is the one it would have made from the start.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from veowrap._core import validation
from veowrap._errors import RequestValidationError

if TYPE_CHECKING:
    # tenacity is imported by the drivers only once a call has failed; the fault rules and
    # events with the first retry_arguments (a generator is built without them).
    from tenacity import RetryCallState

    from veowrap._core.faults import Phase
    from veowrap._events import Retrying

__all__ = [
    "DeadlineReached",
    "RetryPolicy",
    "replay_failure",
    "replay_failure_async",
    "retry_arguments",
]

A = TypeVar("A")
T = TypeVar("T")


class DeadlineReached(Exception):
    """Retries stopped because the next wait would cross the caller's deadline.

    The last failure is its ``__cause__``; plans turn this into a timeout (where an operation
    exists) or into the cause's own error (a create that was never accepted).
    """


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to retry transient failures of a single call.

    Attributes:
        attempts: Calls at most, the first included.
        initial_delay: Seconds before the first retry.
        max_delay: The longest single wait, a server's ``Retry-After`` included. A server
            asking for a longer wait is not waited for: the call fails at once with its
            typed error (e.g. :class:`~veowrap.QuotaExceededError` with ``retry_after``), so a
            hostile or confused ``Retry-After: 1e9`` cannot hold the caller.
        multiplier: Growth of the wait per attempt.
        jitter: Fraction of the wait added at random (spreads clients apart).
        retry_quota: Retry a create refused with 429 inside the call. A batch turns this off:
            its pacer, which spaces every submission, re-queues a refused create after the
            server's Retry-After instead.
        retry_unavailable_create: Retry a create answered 503 (Google's rule for
            non-idempotent calls allows it). ``False`` is stricter: a 503 on a create is then
            reported as :class:`~veowrap.SubmissionUncertainError`, never re-sent.
    """

    attempts: int = 6
    initial_delay: float = 1.0
    max_delay: float = 300.0
    multiplier: float = 2.0
    jitter: float = 0.5
    retry_quota: bool = True
    retry_unavailable_create: bool = True

    def __post_init__(self) -> None:
        validation.whole_number("RetryPolicy.attempts", self.attempts, minimum=1)
        validation.seconds(
            "RetryPolicy.initial_delay", self.initial_delay, optional=False, zero=True
        )
        validation.seconds("RetryPolicy.max_delay", self.max_delay, optional=False, zero=True)
        if self.max_delay < self.initial_delay:
            raise RequestValidationError(
                "RetryPolicy.max_delay",
                self.max_delay,
                f"a number of seconds >= initial_delay ({self.initial_delay:g})",
                hint="max_delay caps every wait; make it at least initial_delay.",
            )
        validation.number(
            "RetryPolicy.multiplier", self.multiplier, minimum=0.0, allowed="a number >= 0"
        )
        validation.number("RetryPolicy.jitter", self.jitter, minimum=0.0, allowed="a number >= 0")

    def delay(self, attempt: int, retry_after: float | None, rand: float) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
        steps = min(attempt - 1, 100)  # bounded: no overflow however many attempts
        try:
            base = self.initial_delay * self.multiplier**steps * (1 + self.jitter * rand)
        except OverflowError:  # a steep multiplier passes max_delay long before 100 attempts
            base = self.max_delay
        return max(min(self.max_delay, base), retry_after or 0.0)


def retry_arguments(
    policy: RetryPolicy,
    phase: Phase,
    *,
    deadline: float | None,
    clock: Callable[[], float],
    rand: Callable[[], float],
    on_retry: Callable[[Retrying], None],
) -> dict[str, Any]:
    """Keyword arguments for ``tenacity.Retrying`` / ``tenacity.AsyncRetrying``.

    Args:
        policy: Attempts and delays.
        phase: What the retried call does; decides which failures are retryable.
        deadline: The caller's deadline on ``clock``'s scale, or ``None``.
        clock: The driver's monotonic clock.
        rand: The driver's source of uniform random numbers in [0, 1).
        on_retry: Receives a :class:`~veowrap.events.Retrying` event before each wait.
    """
    from veowrap._core.faults import classify, describe
    from veowrap._events import Retrying

    def should_retry(state: RetryCallState) -> bool:
        error = state.outcome.exception() if state.outcome else None
        if error is None:
            return False
        verdict = classify(error, phase, retry_unavailable_create=policy.retry_unavailable_create)
        quota = phase == "submit" and verdict.fault.status == 429
        return verdict.retry and (policy.retry_quota or not quota)

    def wait(state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        retry_after = describe(error).retry_after if error is not None else None
        return policy.delay(state.attempt_number, retry_after, rand())

    def past_deadline(state: RetryCallState) -> bool:
        return deadline is not None and clock() + state.upcoming_sleep > deadline

    def too_long(state: RetryCallState) -> bool:
        return state.upcoming_sleep > policy.max_delay

    def stop(state: RetryCallState) -> bool:
        return state.attempt_number >= policy.attempts or too_long(state) or past_deadline(state)

    def give_up(state: RetryCallState) -> Any:
        error = state.outcome.exception() if state.outcome else None
        if error is None:  # pragma: no cover - tenacity only gives up after a failure
            return state.outcome.result() if state.outcome else None
        # A server asking for a wait beyond max_delay gets its own error, not a timeout.
        if state.attempt_number < policy.attempts and not too_long(state) and past_deadline(state):
            raise DeadlineReached(f"the deadline passed while retrying: {error}") from error
        raise error

    def before_sleep(state: RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome else None
        cause = describe(error).describe() if error is not None else "unknown"
        on_retry(
            Retrying(
                phase=phase, attempt=state.attempt_number, delay=state.upcoming_sleep, cause=cause
            )
        )

    return {
        "retry": should_retry,
        "wait": wait,
        "stop": stop,
        "before_sleep": before_sleep,
        "retry_error_callback": give_up,
    }


def replay_failure(first: Exception, call: Callable[[A], T]) -> Callable[[A], T]:
    """``call``, except that its first invocation raises ``first`` instead of calling.

    A driver that already made attempt 1 itself passes this to ``tenacity.Retrying``: tenacity
    then sees the same attempt numbers, outcomes and waits as if it had made every attempt.
    """
    pending = [first]

    def attempt(argument: A) -> T:
        if pending:
            raise pending.pop()
        return call(argument)

    return attempt


def replay_failure_async(
    first: Exception, call: Callable[[A], Awaitable[T]]
) -> Callable[[A], Awaitable[T]]:
    """:func:`replay_failure` for ``tenacity.AsyncRetrying``."""
    pending = [first]

    async def attempt(argument: A) -> T:
        if pending:
            raise pending.pop()
        return await call(argument)

    return attempt
