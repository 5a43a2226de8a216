"""`PlanRunner`: steps a plan for a driver (events reported here, I/O handed to the driver).

Loaded with the first call rather than with the generators, like the plans it runs.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Generic

from veowrap._core.plan import Action, Call, Emit, Plan, ResultT, Sleep, Submit
from veowrap._errors import SubmissionUncertainError, VeowrapError
from veowrap._events import Event, Submitted
from veowrap._handle import RESUME_NOTE, OperationHandle, note_resumable
from veowrap._redact import redact_chain

if TYPE_CHECKING:
    from veowrap._observe import JobObserver

__all__ = ["PlanRunner"]

logger = logging.getLogger("veowrap")


class PlanRunner(Generic[ResultT]):
    """Steps a plan for a driver: reports events itself, hands out the actions needing I/O.

    A driver loops ``while (action := runner.next()) is not None``, performs the action, and
    answers with :meth:`reply` or :meth:`fail`; then reads :attr:`result`.
    """

    def __init__(
        self,
        plan: Plan[ResultT],
        emit: Callable[[Event], None],
        handle: OperationHandle | None,
        observer: JobObserver | None = None,
    ) -> None:
        self._plan = plan
        self._observer = observer
        self._emit = emit
        self._reply: Any = None
        self._failure: Exception | None = None
        self._in_flight: Call | None = None
        self.handle = handle
        self._result: tuple[ResultT] | None = None

    def next(self) -> Call | Sleep | None:
        """The next action the driver must perform, or ``None`` when the plan has finished."""
        while True:
            reply, failure = self._reply, self._failure
            self._reply, self._failure = None, None
            try:
                action = self._step(reply, failure)
            except StopIteration as stop:
                self._result = (stop.value,)
                if self._observer is not None:
                    self._observer.end(None)
                return None
            except BaseException as error:
                if self._observer is not None:
                    self._observer.end(error)
                raise
            if not isinstance(action, Emit):
                self._in_flight = action if isinstance(action, Call) else None
                if self._observer is not None:
                    self._observer.action(action)
                return action
            if isinstance(action.event, Submitted):
                self.handle = action.event.handle
            if self._observer is not None:
                self._observer.event(action.event)
            self._emit(action.event)

    def _step(self, reply: Any, failure: Exception | None) -> Action:
        if self._observer is None:
            return self._plan.throw(failure) if failure else self._plan.send(reply)
        with self._observer.active():  # the job's span is current while the plan runs
            return self._plan.throw(failure) if failure else self._plan.send(reply)

    @property
    def result(self) -> ResultT:
        """What the finished plan returned."""
        if self._result is None:
            raise RuntimeError("the plan has not finished")
        return self._result[0]

    def reply(self, value: Any) -> None:
        """Answers the last action with its result."""
        self._reply, self._in_flight = value, None

    def fail(self, error: Exception) -> None:
        """Answers the last action with the exception it ended with (after retries)."""
        self._failure, self._in_flight = error, None

    def interrupted(self, error: BaseException) -> None:
        """Says what survives an interruption (Ctrl-C, cancellation, a crash) or a failure.

        With an operation: how to resume it. With a create in flight and no answer yet: that
        it may have been accepted (and paid), with the request's fingerprint — never silence.
        """
        redact_chain(error)
        if self._observer is not None:
            self._observer.end(error)
        call = self._in_flight
        # Ctrl-C, a cancelled task or a crash while the create was on the wire.
        if isinstance(call, Submit) and self.handle is None and not isinstance(error, VeowrapError):
            text = (
                f"veowrap: the create call was in flight when {type(error).__name__} arrived; "
                "the service may have accepted it (and will bill it). It was not re-sent. "
                f"Request fingerprint: {call.request.fingerprint()}. Check for an operation you "
                "did not expect before sending it again."
            )
            if text not in getattr(error, "__notes__", ()):
                error.add_note(text)
            logger.warning("%s", text)
            return
        if isinstance(error, SubmissionUncertainError):
            logger.warning(
                "submission uncertain (request fingerprint %s): %s", error.fingerprint, error
            )
            return
        resume = note_resumable(error, self.handle)
        if resume:
            logger.warning("%s", resume, extra={RESUME_NOTE: True})
