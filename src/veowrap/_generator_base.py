"""What the sync and async generators share: settings, request building, plans, events.

Like httpx's ``BaseClient``, this class builds and decides; ``VideoGenerator`` and
``AsyncVideoGenerator`` only perform the actions the plans yield.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Literal, Self, cast

from veowrap._core import validation
from veowrap._core.retrying import RetryPolicy, retry_arguments
from veowrap._core.schedule import PollSchedule
from veowrap._errors import RequestValidationError
from veowrap._redact import install_filter, register_secrets
from veowrap.backends._protocol import AsyncBackend, Backend, HoldsSecrets, VirtualClock
from veowrap.backends._registry import resolve_backend

if TYPE_CHECKING:
    # Plans, requests, handles and results are loaded by the first call, not by building a
    # generator: its first construction stays close to a ``genai.Client``'s (benchmarks).
    from datetime import datetime

    from google.auth.credentials import Credentials
    from google.genai import Client
    from typing_extensions import Unpack

    from veowrap._core.plan import Call, Outcome, Plan, ResultT
    from veowrap._core.status import OperationStatus
    from veowrap._cost import CostEstimate
    from veowrap._download import Downloader
    from veowrap._events import Event
    from veowrap._handle import OperationHandle
    from veowrap._history import LatencyHistory
    from veowrap._plan_runner import PlanRunner
    from veowrap._request import VideoRequest
    from veowrap._request_fields import RequestFields, RequestOptions
    from veowrap._result import GenerationResult
    from veowrap._settings import GeneratorOptions
    from veowrap.webhooks import Inbox

__all__ = ["BaseGenerator", "EventHook"]

logger = logging.getLogger("veowrap")
install_filter(logger)

EventHook = Callable[["Event"], None]


class BaseGenerator:
    """Shared configuration and plan building for the generators."""

    _flavour: ClassVar[Literal["sync", "async"] | None] = None

    def __init__(
        self,
        backend: Backend | AsyncBackend | str | None,
        *,
        client: Client | None = None,
        api_key: str | None = None,
        vertexai: bool | None = None,
        project: str | None = None,
        location: str | None = None,
        credentials: Credentials | None = None,
        model: str | None = None,
        poll_schedule: PollSchedule | None = None,
        retry_policy: RetryPolicy | None = None,
        timeout: float | None = 900.0,
        strict: bool = True,
        max_cost_usd: float | None = None,
        allow_unknown_cost: bool = False,
        history: bool = True,
    ) -> None:
        self._backend = resolve_backend(
            backend,
            client=client,
            api_key=api_key,
            vertexai=vertexai,
            project=project,
            location=location,
            credentials=credentials,
            require=self._flavour,
        )
        # Checked like a request's model, so a bad id fails here rather than mid-submit.
        self.model = None if model is None else validation.model_id("model", model)
        # None: a schedule per model, from its latency distribution (PollSchedule.adaptive()).
        self.poll_schedule = (
            PollSchedule.adaptive()
            if poll_schedule is None
            else _setting("poll_schedule", poll_schedule, PollSchedule)
        )
        self.retry_policy = _setting("retry_policy", retry_policy, RetryPolicy)
        self.timeout = validation.seconds("timeout", timeout)
        self.strict = strict
        self.max_cost_usd = validation.dollars("max_cost_usd", max_cost_usd)
        self.allow_unknown_cost = allow_unknown_cost
        self.history = history
        # A backend may keep its own time (FakeBackend: virtual time). Checked once, here.
        self._clock: Callable[[], float] = time.monotonic
        self._sleep: Callable[[float], None] = time.sleep
        self._sleep_async: Callable[[float], Awaitable[None]] = asyncio.sleep
        if isinstance(self._backend, VirtualClock):
            self._clock = self._backend.clock
            self._sleep = self._backend.sleep
            self._sleep_async = self._backend.sleep_async
        self._secrets = self._backend if isinstance(self._backend, HoldsSecrets) else None
        self._rand: Callable[[], float] = random.random
        # Calls are bounded by their deadline on real time only; a backend with its own clock
        # (virtual time) answers at once.
        self._real_time = self._clock is time.monotonic
        self._note_secrets()

    @property
    def backend(self) -> Backend | AsyncBackend:
        """The backend this generator drives."""
        return self._backend

    # -- building requests and plans ----------------------------------------------------------

    def _request(self, prompt: str | VideoRequest | None, fields: RequestOptions) -> VideoRequest:
        from veowrap._request import VideoRequest

        if isinstance(prompt, VideoRequest):
            if fields:
                merged: dict[str, Any] = {**_fields_of(prompt), **fields}
                return VideoRequest(**cast("RequestFields", merged))
            return prompt
        if prompt is not None and not isinstance(prompt, str):
            raise RequestValidationError("prompt", prompt, "a string or a VideoRequest")
        return VideoRequest(prompt=prompt, **fields)

    def _submission(
        self, request: VideoRequest, deadline: float | None, budget: float | None = None
    ) -> Plan[tuple[OperationHandle, OperationStatus]]:
        """Checks the request (platform, catalog, budget) and returns the plan that submits it.

        Every check runs here, when the plan is built, so bad input fails before any I/O.
        """
        model = self._prepare(request)
        platform = self._backend.platform
        self.check_budget([request], budget)
        from veowrap._core.plan import submit_plan
        from veowrap._observe import current_traceparent

        return submit_plan(
            request,
            platform=platform,
            route=self._backend.route_for(model),
            model=model,
            deadline=deadline,
            now_utc=self._now_utc,
            retry_unavailable_create=self.retry_policy.retry_unavailable_create,
            trace_context=current_traceparent,
        )

    def validate(self, request: str | VideoRequest, **fields: Unpack[RequestOptions]) -> str:
        """Runs every check a submit runs, without sending anything; returns the model.

        What the platform and route can carry, what the installed SDK can send, and what the
        model takes (catalog warnings are logged). The budget is not checked here: see
        :meth:`check_budget`.

        Raises:
            RequestValidationError: A field, value or combination that would be refused.
            UnsupportedCapabilityError: The model or route is not available here.
        """
        return self._prepare(self._request(request, fields))

    def _prepare(self, request: VideoRequest) -> str:
        model = self._model_for(request)
        from veowrap._catalog import load_catalog  # loaded on first use: keeps import cheap

        route = self._backend.route_for(model)
        load_catalog().check_access(request, model, self._backend.platform, route)
        self._backend.prepare(request, model)
        from veowrap._catalog import check_request  # loaded on first use: keeps import cheap

        for warning in check_request(request, model, self._backend.platform, strict=self.strict):
            logger.warning("%s", warning)
        return model

    def estimate_cost(
        self, request: str | VideoRequest, **fields: Unpack[RequestOptions]
    ) -> CostEstimate:
        """Estimates what ``request`` would cost on this generator's model and platform.

        Nothing is sent. The model is the request's, else the generator's ``model``, else the
        backend's default; the platform is the backend's.

        Example:
            >>> gen.estimate_cost("a kite", duration_seconds=6).amount_usd  # doctest: +SKIP
            2.4
        """
        from veowrap._cost import estimate_cost

        built = self._request(request, fields)
        return estimate_cost(built, self._model_for(built), self._backend.platform)

    def _model_for(self, request: VideoRequest) -> str:
        return request.model or self.model or self._backend.default_model()

    def check_budget(self, requests: Sequence[VideoRequest], budget: float | None = None) -> None:
        """Refuses requests whose estimated total cost exceeds the budget in force.

        Args:
            requests: The requests about to be sent (each priced on its model, else the
                generator's, on this generator's platform).
            budget: Dollars; by default the generator's ``max_cost_usd`` (no limit if unset).

        Raises:
            BudgetExceededError: The estimate exceeds the budget; nothing has been sent.
            RequestValidationError: ``budget`` is not a number of dollars >= 0.
        """
        limit = validation.dollars("budget", budget)
        if limit is None:
            limit = self.max_cost_usd
        if limit is None:
            return
        from veowrap._cost import check_budget, estimate_cost

        platform = self._backend.platform
        estimates = [estimate_cost(r, self._model_for(r), platform) for r in requests]
        check_budget(estimates, limit, allow_unknown=self.allow_unknown_cost)

    def _generation(
        self,
        request: VideoRequest,
        deadline: float | None,
        cancel_on_timeout: bool,
        budget: float | None = None,
        inbox: Inbox | None = None,
    ) -> Plan[Outcome]:
        submission = self._submission(request, deadline, budget)  # validates now, before any I/O
        return self._submit_then_wait(submission, deadline, cancel_on_timeout, inbox)

    def _submit_then_wait(
        self,
        submission: Plan[tuple[OperationHandle, OperationStatus]],
        deadline: float | None,
        cancel_on_timeout: bool,
        inbox: Inbox | None = None,
    ) -> Plan[Outcome]:
        handle, status = yield from submission
        return (
            yield from self._waiting(
                handle,
                deadline,
                poll_first=False,
                cancel_on_timeout=cancel_on_timeout,
                known=status if status.done else None,
                inbox=inbox,
            )
        )

    def _waiting(
        self,
        handle: OperationHandle,
        deadline: float | None,
        *,
        poll_first: bool,
        cancel_on_timeout: bool = False,
        known: OperationStatus | None = None,
        inbox: Inbox | None = None,
    ) -> Plan[Outcome]:
        from veowrap._core.plan import wait_plan
        from veowrap._history import distribution_for

        latency = distribution_for(
            handle.model, handle.platform, handle.expected_videos, self._latency_history()
        )
        age = None
        if handle.submitted_at is not None:
            age = max(0.0, (self._now_utc() - handle.submitted_at).total_seconds())
        # Listening to webhooks: a delivery ends each sleep; the inbox's slow backstop polls.
        wake = frozenset[str]()
        if inbox is not None:
            from veowrap._core.webhooks import match_keys

            wake = match_keys(handle.name)
        return wait_plan(
            handle,
            schedule=self.poll_schedule.for_latency(latency) if inbox is None else inbox.schedule(),
            age=age,
            latency=latency,
            deadline=deadline,
            clock=self._clock,
            rand=self._rand,
            poll_first=poll_first,
            cancel_on_timeout=cancel_on_timeout,
            known=known,
            wake=wake,
        )

    def _resumption(
        self,
        handle: OperationHandle | str,
        timeout: float | None,
        cancel_on_timeout: bool,
        inbox: Inbox | None = None,
    ) -> tuple[OperationHandle, Plan[Outcome]]:
        """The plan that waits for an existing operation (polling at once: it may be done)."""
        from veowrap._handle import OperationHandle

        handle = OperationHandle.coerce(handle)
        deadline = self._deadline(timeout)
        plan = self._waiting(
            handle, deadline, poll_first=True, cancel_on_timeout=cancel_on_timeout, inbox=inbox
        )
        return handle, plan

    def _result(self, outcome: Any, hook: EventHook | None) -> GenerationResult:
        """Wraps a finished wait into a result whose videos download through this backend."""
        from veowrap._result import GenerationResult

        return GenerationResult.from_outcome(outcome, self._downloader(hook))

    def _status(
        self, handle: OperationHandle | str, timeout: float | None = None
    ) -> Plan[OperationStatus]:
        from veowrap._core.plan import status_plan
        from veowrap._handle import OperationHandle

        return status_plan(OperationHandle.coerce(handle), self._deadline(timeout))

    def _cancelling(
        self, handle: OperationHandle | str, timeout: float | None = None
    ) -> Plan[None]:
        from veowrap._core.plan import cancel_plan
        from veowrap._handle import OperationHandle

        return cancel_plan(OperationHandle.coerce(handle), self._deadline(timeout))

    def _latency_history(self) -> LatencyHistory | None:
        """Where finished jobs' latencies are kept, or ``None`` when history is off."""
        from veowrap._history import LatencyHistory, cache_dir, disabled_by_env

        if not self.history or disabled_by_env():
            return None
        # One store (and its read cache) per generator, while the cache directory stays put.
        store: LatencyHistory | None = getattr(self, "_history_store", None)
        if store is None or store.path.parent != cache_dir():
            store = self._history_store = LatencyHistory()
        return store

    @staticmethod
    def _listening(webhooks: Inbox | None) -> Inbox | None:
        """``webhooks=`` checked: an :class:`~veowrap.webhooks.Inbox` or ``None``."""
        if webhooks is None:
            return None
        from veowrap.webhooks import Inbox

        if not isinstance(webhooks, Inbox):
            raise RequestValidationError(
                "webhooks",
                webhooks,
                "a veowrap.webhooks.Inbox, or None to poll",
                hint="Build one with webhooks.Inbox(secret=...) and feed it from your endpoint.",
            )
        return webhooks

    def _deadline(self, timeout: float | None) -> float | None:
        from veowrap._core.deadline import deadline_after

        return deadline_after(self.timeout if timeout is None else timeout, self._clock)

    def _retry_kwargs(self, call: Call, hook: EventHook | None) -> dict[str, Any]:
        return retry_arguments(
            self.retry_policy,
            call.op,
            deadline=call.deadline,
            clock=self._clock,
            rand=self._rand,
            on_retry=lambda event: self._emit(event, hook),
        )

    def _downloader(self, hook: EventHook | None) -> Downloader:
        from veowrap._download import Downloader

        return Downloader(
            self._backend.open_video,
            policy=self.retry_policy,
            on_event=lambda event: self._emit(event, hook),
        )

    def _note_secrets(self) -> None:
        """Registers the backend's current credentials for redaction (tokens are refreshed)."""
        if self._secrets is not None:
            try:
                register_secrets(self._secrets.secrets())
            except Exception:  # reading credentials must never mask the failure being reported
                logger.debug("could not read the backend's credentials for redaction")

    def _emit(self, event: Event, hook: EventHook | None) -> None:
        logger.debug("%s", event)
        if event.kind == "submitted":
            logger.info("submitted %s", event.handle.name)
        if hook is not None:
            hook(event)

    def _now_utc(self) -> datetime:
        from veowrap._handle import utcnow

        return utcnow()

    def options(self) -> GeneratorOptions:
        """This generator's behaviour settings (not its connection): a sibling's keywords."""
        return {
            "model": self.model,
            "poll_schedule": self.poll_schedule,
            "retry_policy": self.retry_policy,
            "timeout": self.timeout,
            "strict": self.strict,
            "max_cost_usd": self.max_cost_usd,
            "allow_unknown_cost": self.allow_unknown_cost,
            "history": self.history,
        }

    def with_options(self, **overrides: Unpack[GeneratorOptions]) -> Self:
        """A generator on the same backend (and connections) with some settings changed.

        Example:
            >>> patient = gen.with_options(timeout=3600)  # doctest: +SKIP
        """
        settings: GeneratorOptions = {**self.options(), **overrides}
        factory = cast("Callable[..., Self]", type(self))
        return factory(backend=self._backend, **settings)

    def _runner(
        self, plan: Plan[ResultT], hook: EventHook | None, handle: OperationHandle | None = None
    ) -> PlanRunner[ResultT]:
        from veowrap._observe import JobObserver
        from veowrap._plan_runner import PlanRunner

        # A backend with its own clock (virtual time) measures no real latency: nothing learnt.
        history = self._latency_history() if self._real_time else None
        observer = JobObserver(history, self._backend.platform, handle)
        return PlanRunner(plan, lambda event: self._emit(event, hook), handle, observer)


def _setting(field: str, value: Any, kind: type[Any]) -> Any:
    """``value`` if it is a ``kind`` (its own checks ran when it was built); a default if None."""
    if value is None:
        return kind()
    if not isinstance(value, kind):
        raise RequestValidationError(
            field,
            value,
            f"a veowrap.{kind.__name__}, or None for the default",
            hint=f"Build one, e.g. {field}=veowrap.{kind.__name__}(...).",
        )
    return value


def _fields_of(request: VideoRequest) -> dict[str, Any]:
    from veowrap._request import VideoRequest

    return {name: getattr(request, name) for name in VideoRequest.model_fields}
