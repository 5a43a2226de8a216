"""`JobObserver`: what a running job leaves behind: a latency in the history, and a trace.

The plan runner hands it every action and event of one job. It records the latency of a
finished job (:mod:`veowrap._history`) and, when the ``opentelemetry`` package is installed,
keeps one span per job (``veowrap.generate``, ``veowrap.submit`` or ``veowrap.wait``) with the
polls as span events. A wait resumed from a handle links its span to the trace that submitted
the job (the handle's ``traceparent``), in this process or another.

Nothing of OpenTelemetry is imported when it is not installed. Neither history nor tracing may
break a generation: their errors are logged at debug level and dropped.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import logging
import os
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from veowrap._events import Completed, Event, Polled, Retrying, Submitted

if TYPE_CHECKING:
    from veowrap._core.plan import Action
    from veowrap._handle import OperationHandle
    from veowrap._history import LatencyHistory

__all__ = ["JobObserver", "current_traceparent", "save_span", "tracing_available"]

logger = logging.getLogger("veowrap")

# OpenTelemetry GenAI semantic conventions where a name exists
# (https://opentelemetry.io/docs/specs/semconv/gen-ai/gen-ai-spans/); veowrap.* otherwise.
_PROVIDER = {"gemini": "gcp.gemini", "vertex": "gcp.vertex_ai"}
OPERATION = "generate_video"


@functools.cache
def tracing_available() -> bool:
    """Whether the OpenTelemetry API is installed (checked without importing it)."""
    try:
        return importlib.util.find_spec("opentelemetry.trace") is not None
    except (ImportError, ValueError):
        return False


def current_traceparent() -> str | None:
    """The W3C ``traceparent`` of the active span, or ``None`` (no OpenTelemetry, no span)."""
    if not tracing_available():
        return None
    try:
        import opentelemetry.trace as trace

        context = trace.get_current_span().get_span_context()
        if not context.is_valid:
            return None
        return f"00-{context.trace_id:032x}-{context.span_id:016x}-{int(context.trace_flags):02x}"
    except Exception:  # tracing must never break a generation
        logger.debug("could not read the current trace context", exc_info=True)
        return None


def _remote(traceparent: str) -> Any:
    import opentelemetry.trace as trace

    _, trace_id, span_id, flags = traceparent.split("-")
    return trace.SpanContext(
        trace_id=int(trace_id, 16),
        span_id=int(span_id, 16),
        is_remote=True,
        trace_flags=trace.TraceFlags(int(flags, 16)),
    )


def _link_from(traceparent: str) -> Any:
    import opentelemetry.trace as trace

    return trace.Link(_remote(traceparent), {"veowrap.link": "submitted"})


@contextlib.contextmanager
def save_span(handle: OperationHandle, index: int) -> Iterator[None]:
    """A ``veowrap.save`` span around one video's download, in the job's trace.

    Its parent is the span that submitted the job (the handle's ``traceparent``), so the
    create, the polls and the save of one job read as one trace, even when the save comes
    later or in another process. Without OpenTelemetry, or without a trace context, it does
    nothing more than the caller's current span would.
    """
    if not tracing_available():
        yield
        return
    span: Any = None
    with _quiet("start a save span"):
        import opentelemetry.trace as trace

        parent = None
        if handle.traceparent:
            parent = trace.set_span_in_context(trace.NonRecordingSpan(_remote(handle.traceparent)))
        span = trace.get_tracer("veowrap").start_span(
            "veowrap.save",
            context=parent,
            kind=trace.SpanKind.CLIENT,
            attributes={
                "veowrap.operation": handle.name,
                "veowrap.platform": handle.platform,
                "veowrap.video.index": index,
            },
        )
    try:
        yield
    except BaseException as error:
        if span is not None:
            with _quiet("end a save span"):
                span.set_attribute("veowrap.outcome", _outcome(error))
                span.set_attribute("error.type", type(error).__name__)
                span.set_status(trace.Status(trace.StatusCode.ERROR, type(error).__name__))
                span.end()
        raise
    if span is not None:
        with _quiet("end a save span"):
            span.set_attribute("veowrap.outcome", "succeeded")
            span.end()


class JobObserver:
    """Records one job's latency and traces it (see the module's description).

    Args:
        history: Where latencies go, or ``None`` to record nothing.
        platform: The backend's platform.
        handle: The job being resumed (``wait``), or ``None`` when this run submits it.
    """

    def __init__(
        self, history: LatencyHistory | None, platform: str, handle: OperationHandle | None
    ) -> None:
        self._history = history
        self._platform = platform
        self._handle = handle
        self._resumed = handle is not None
        self._request: Any = None
        self._model: str | None = handle.model if handle else None
        self._polls = 0
        self._retries = 0
        self._pending_age: float | None = None
        self._done_age: float | None = None
        self._videos: int | None = None
        self._span: Any = None
        self._started = False
        self._ended = False
        self._submitted = False
        self._waited = False

    # -- the runner's side ----------------------------------------------------------------

    def action(self, action: Action) -> None:
        """Sees an action the plan yields (before the driver performs it)."""
        from veowrap._core.plan import Poll, Submit

        if not self._started and isinstance(action, Submit | Poll):
            if isinstance(action, Poll) and not self._resumed:
                return  # a status read or a cancel: not a job to observe
            self._start()
        if isinstance(action, Submit):
            self._request = action.request
            self._model = action.model
            self._set("gen_ai.request.model", action.model)
            self._set_cost(action.request, action.model)
        elif isinstance(action, Poll) and self._submitted:
            self._waited = True

    def event(self, event: Event) -> None:
        """Sees an event the plan emits."""
        if not self._started:
            return
        if isinstance(event, Submitted):
            self._submitted = True
            self._handle = event.handle
            self._set("veowrap.operation", event.handle.name)
            self._set("veowrap.route", event.handle.route)
        elif isinstance(event, Polled):
            self._polls = event.poll_count
            if event.done:
                self._done_age = event.age
            else:
                self._pending_age = event.age
            self._add_event(
                "veowrap.poll",
                {
                    "veowrap.poll.count": event.poll_count,
                    "veowrap.poll.done": event.done,
                    **({"veowrap.eta.p50_s": event.eta_p50} if event.eta_p50 is not None else {}),
                    **({"veowrap.eta.p90_s": event.eta_p90} if event.eta_p90 is not None else {}),
                },
            )
        elif isinstance(event, Retrying):
            self._retries += 1
            self._add_event("veowrap.retry", {"veowrap.phase": event.phase})
        elif isinstance(event, Completed):
            self._videos = event.videos

    def end(self, error: BaseException | None) -> None:
        """The plan finished (``error`` is ``None``) or ended with ``error``."""
        if not self._started or self._ended:
            return
        self._ended = True
        outcome = _outcome(error)
        with _quiet("record latency history"):
            self._record(outcome)
        with _quiet("end the trace span"):
            self._end_span(outcome, error)

    @contextlib.contextmanager
    def active(self) -> Iterator[None]:
        """Makes this job's span the current one (so the handle can carry its context)."""
        if self._span is None:
            yield
            return
        import opentelemetry.context as context
        import opentelemetry.trace as trace

        token = context.attach(trace.set_span_in_context(self._span))
        try:
            yield
        finally:
            context.detach(token)

    # -- history ----------------------------------------------------------------------------

    def _record(self, outcome: str) -> None:
        from veowrap._history import FINISHED, HistoryRow

        if self._history is None or self._model is None or self._done_age is None:
            return
        if outcome not in FINISHED:
            return
        lower = self._pending_age
        if lower is None and self._resumed:
            return  # done at the first poll of a resume: it may have finished long before
        request = self._request
        self._history.record(
            HistoryRow(
                model=self._model,
                platform=self._platform,
                outcome=outcome,
                latency_s=self._done_age,
                lower_s=lower,
                resolution=getattr(request, "resolution", None),
                duration_s=getattr(request, "duration_seconds", None),
                videos=self._handle.expected_videos if self._handle else None,
            )
        )

    # -- tracing ----------------------------------------------------------------------------

    def _start(self) -> None:
        self._started = True
        if not tracing_available():
            return
        with _quiet("start a trace span"):
            import opentelemetry.trace as trace

            links = []
            if self._handle is not None and self._handle.traceparent:
                links.append(_link_from(self._handle.traceparent))
            attributes: dict[str, Any] = {
                "gen_ai.operation.name": OPERATION,
                "gen_ai.provider.name": _PROVIDER.get(self._platform, self._platform),
                "veowrap.platform": self._platform,
            }
            if self._handle is not None:
                attributes["veowrap.operation"] = self._handle.name
                attributes["veowrap.route"] = self._handle.route
                if self._handle.model:
                    attributes["gen_ai.request.model"] = self._handle.model
            if os.environ.get("VEOWRAP_TRACE_PROMPTS") == "1":
                attributes["veowrap.trace_prompts"] = True
            tracer = trace.get_tracer("veowrap")
            name = "veowrap.wait" if self._resumed else "veowrap.generate"
            self._span = tracer.start_span(
                name, kind=trace.SpanKind.CLIENT, links=links, attributes=attributes
            )

    def _set(self, key: str, value: Any) -> None:
        if self._span is not None:
            with _quiet("set a span attribute"):
                self._span.set_attribute(key, value)

    def _set_cost(self, request: Any, model: str) -> None:
        if self._span is None:
            return
        with _quiet("estimate the cost"):
            from veowrap._cost import estimate_cost

            estimate = estimate_cost(request, model, self._platform)  # type: ignore[arg-type]
            if estimate.amount_usd is not None:
                self._span.set_attribute("veowrap.cost.estimated_usd", estimate.amount_usd)
        if os.environ.get("VEOWRAP_TRACE_PROMPTS") == "1" and getattr(request, "prompt", None):
            from veowrap._redact import redact

            self._span.set_attribute("veowrap.prompt", redact(str(request.prompt)))

    def _add_event(self, name: str, attributes: dict[str, Any]) -> None:
        if self._span is not None:
            with _quiet("add a span event"):
                self._span.add_event(name, attributes)

    def _end_span(self, outcome: str, error: BaseException | None) -> None:
        span = self._span
        if span is None:
            return
        self._span = None
        import opentelemetry.trace as trace

        if self._submitted and not self._waited and outcome == "succeeded":
            span.update_name("veowrap.submit")
            outcome = "submitted"
        span.set_attribute("veowrap.outcome", outcome)
        span.set_attribute("veowrap.poll.count", self._polls)
        span.set_attribute("veowrap.retry.count", self._retries)
        if self._videos is not None:
            span.set_attribute("veowrap.videos", self._videos)
        if self._handle is not None and self._handle.expected_videos is not None:
            span.set_attribute("veowrap.videos.requested", self._handle.expected_videos)
        if error is not None:
            span.set_attribute("error.type", type(error).__name__)
            span.set_status(trace.Status(trace.StatusCode.ERROR, type(error).__name__))
        span.end()


def _outcome(error: BaseException | None) -> str:
    if error is None:
        return "succeeded"
    from veowrap._errors import (
        ContentFilteredError,
        OperationCancelledError,
        OperationFailedError,
        OperationTimeoutError,
    )

    if isinstance(error, ContentFilteredError):
        return "filtered"
    if isinstance(error, OperationCancelledError):
        return "cancelled"
    if isinstance(error, OperationFailedError):
        return "failed"
    if isinstance(error, OperationTimeoutError):
        return "timeout"
    if isinstance(error, Exception):
        return "error"
    return "interrupted"


@contextlib.contextmanager
def _quiet(what: str) -> Iterator[None]:
    try:
        yield
    except Exception:  # history and tracing are advice: never break the job for them
        logger.debug("could not %s", what, exc_info=True)
