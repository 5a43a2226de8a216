"""`VideoGenerator`: the synchronous driver. It performs the core's actions and nothing else."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator, Sequence
from os import PathLike
from types import TracebackType
from typing import TYPE_CHECKING, Any

from veowrap._bounded import call_within
from veowrap._core.retrying import RetryPolicy, replay_failure
from veowrap._core.schedule import PollSchedule
from veowrap._errors import UnsupportedCapabilityError
from veowrap._generator_base import BaseGenerator, EventHook
from veowrap.backends._protocol import AsyncBackend, Backend, Closable

if TYPE_CHECKING:
    # Loaded on first use, not by ``VideoGenerator(...)``: building a generator stays close
    # to the cost of building a ``genai.Client`` (benchmarks: "first use").
    from google.auth.credentials import Credentials
    from google.genai import Client
    from typing_extensions import Unpack

    from veowrap._batch import BatchItem
    from veowrap._batch_options import BatchOptions
    from veowrap._core.plan import Call, Plan, ResultT, Sleep
    from veowrap._core.status import OperationStatus
    from veowrap._handle import OperationHandle
    from veowrap._journals import BatchJournal
    from veowrap._request import VideoRequest
    from veowrap._request_fields import RequestOptions
    from veowrap._result import GenerationResult
    from veowrap.webhooks import Inbox

__all__ = ["VideoGenerator"]


class VideoGenerator(BaseGenerator):
    """Generates videos synchronously.

    With no arguments it reads the same environment as ``genai.Client()``
    (``GEMINI_API_KEY``/``GOOGLE_API_KEY``, ``GOOGLE_GENAI_USE_VERTEXAI``,
    ``GOOGLE_CLOUD_PROJECT``/``GOOGLE_CLOUD_LOCATION``, ``GOOGLE_GEMINI_BASE_URL``…).

    Args:
        client: A ready ``google.genai.Client``.
        backend: A backend object instead of the google-genai one.
        api_key: A Gemini API key (or Vertex AI express-mode key).
        vertexai: Use Vertex AI.
        project: Google Cloud project (Vertex AI).
        location: Google Cloud region (Vertex AI).
        credentials: google-auth credentials (Vertex AI).
        model: The model used when a request names none.
        poll_schedule: When to poll (default: tuned for Veo's latency).
        retry_policy: How transient failures of single calls are retried.
        timeout: Default seconds ``generate``/``wait`` may take (``None``: no limit).
        strict: Refuse requests the model catalog says will fail (``False``: only warn).
        max_cost_usd: Refuse any request estimated to cost more than this.
        allow_unknown_cost: With a budget, let through models whose price is unknown.
        history: Record finished jobs' latencies in the user cache (no prompts, no secrets)
            and learn ETAs and poll schedules from them; ``VEOWRAP_NO_HISTORY=1`` also
            turns it off.

    Example:
        >>> gen = VideoGenerator()                                   # doctest: +SKIP
        >>> gen.generate("a paper boat on a rainy street").save("out/")  # doctest: +SKIP
    """

    _flavour = "sync"

    def __init__(
        self,
        client: Client | None = None,
        *,
        backend: Backend | str | None = None,
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
        super().__init__(
            backend,
            client=client,
            api_key=api_key,
            vertexai=vertexai,
            project=project,
            location=location,
            credentials=credentials,
            model=model,
            poll_schedule=poll_schedule,
            retry_policy=retry_policy,
            timeout=timeout,
            strict=strict,
            max_cost_usd=max_cost_usd,
            allow_unknown_cost=allow_unknown_cost,
            history=history,
        )
        # Checked once here (resolve_backend refused it already): an isinstance check against a
        # runtime-checkable protocol costs ~20 µs, too much for every call of every job.
        checked = self._backend
        if not isinstance(checked, Backend):  # pragma: no cover - refused while resolving
            raise UnsupportedCapabilityError(
                f"{checked!r} is an async-only backend.", hint="Use AsyncVideoGenerator."
            )
        self._calls = checked

    def generate(
        self,
        prompt: str | VideoRequest | None = None,
        *,
        timeout: float | None = None,
        on_event: EventHook | None = None,
        cancel_on_timeout: bool = False,
        budget: float | None = None,
        progress: bool = False,
        webhooks: Inbox | None = None,
        **fields: Unpack[RequestOptions],
    ) -> GenerationResult:
        """Submits a request and waits for its videos.

        Args:
            prompt: The prompt, or a complete :class:`VideoRequest`.
            timeout: Seconds to wait in all (default: the generator's ``timeout``).
            on_event: Receives :mod:`veowrap.events` as the job progresses.
            cancel_on_timeout: Cancel the job (where the route can) when the deadline passes.
            budget: Refuse, before submitting, a request estimated to cost more (USD).
            progress: Show a live progress bar (tqdm.auto: a widget in Jupyter); needs
                ``veowrap[cli]``.
            webhooks: Complete on a webhook delivery to this inbox (polling slowly as a
                backstop); see :meth:`wait`.
            **fields: Any :class:`VideoRequest` field except ``prompt``, e.g. ``model=``,
                ``duration_seconds=``; type checkers know each one (:class:`RequestOptions`).

        Raises:
            RequestValidationError: Bad input, before any network call.
            BudgetExceededError: The estimate exceeds ``budget``/``max_cost_usd``; nothing sent.
            SubmissionUncertainError: The create may have been accepted; it was not re-sent.
            OperationTimeoutError: The deadline passed; ``error.handle`` resumes the wait.
            ContentFilteredError: Every video was withheld by safety filters.
            OperationFailedError: The service reported a failure.
        """
        from veowrap._progress import attach_progress

        request = self._request(prompt, fields)
        inbox = self._listening(webhooks)
        plan = self._generation(request, self._deadline(timeout), cancel_on_timeout, budget, inbox)
        with attach_progress(on_event, progress) as hook:
            return self._result(self._run(plan, hook, inbox=inbox), on_event)

    def submit(
        self,
        request: str | VideoRequest,
        *,
        on_event: EventHook | None = None,
        budget: float | None = None,
        timeout: float | None = None,
        **fields: Unpack[RequestOptions],
    ) -> OperationHandle:
        """Submits a request and returns its handle at once, without waiting.

        Args:
            timeout: Seconds the create may take, retries included (default: the
                generator's ``timeout``). A create still unanswered then is reported as
                :class:`SubmissionUncertainError`, never re-sent.
        """
        request = self._request(request, fields)
        plan = self._submission(request, self._deadline(timeout), budget)
        handle, _ = self._run(plan, on_event)
        from veowrap._handle import OperationHandle

        assert isinstance(handle, OperationHandle)
        return handle

    def wait(
        self,
        handle: OperationHandle | str,
        *,
        timeout: float | None = None,
        on_event: EventHook | None = None,
        cancel_on_timeout: bool = False,
        webhooks: Inbox | None = None,
    ) -> GenerationResult:
        """Waits for a submitted operation (a handle, its JSON, or an operation name).

        Args:
            webhooks: An :class:`~veowrap.webhooks.Inbox` your webhook endpoint feeds: the
                wait then returns as soon as a delivery for this operation arrives (it reads
                the final state once, then downloads), and polls only every
                ``inbox.backstop`` seconds in case no webhook ever comes. The deadline holds.
        """
        inbox = self._listening(webhooks)
        handle, plan = self._resumption(handle, timeout, cancel_on_timeout, inbox)
        return self._result(self._run(plan, on_event, handle, inbox), on_event)

    def status(
        self, handle: OperationHandle | str, *, timeout: float | None = None
    ) -> OperationStatus:
        """Reads the operation's status once, without waiting.

        Args:
            timeout: Seconds the read may take, retries included (default: the generator's).
        """
        result: OperationStatus = self._run(self._status(handle, timeout), None)
        return result

    def cancel(self, handle: OperationHandle | str, *, timeout: float | None = None) -> None:
        """Cancels the operation where its route allows it.

        Args:
            timeout: Seconds the cancel may take, retries included (default: the generator's).

        Raises:
            UnsupportedCapabilityError: The route cannot cancel (Veo operations).
        """
        self._run(self._cancelling(handle, timeout), None)

    def generate_many(
        self,
        requests: Iterable[VideoRequest | str],
        *,
        keys: Sequence[str | None] | None = None,
        concurrency: int = 4,
        requests_per_minute: float | None = None,
        journal: BatchJournal | str | PathLike[str] | None = None,
        batch: str | None = None,
        output_dir: str | PathLike[str] | None = None,
        timeout: float | None = None,
        on_event: EventHook | None = None,
        resend_uncertain: bool = False,
        retry_failed: bool = False,
        budget: float | None = None,
        overwrite: bool = False,
        webhooks: Inbox | None = None,
    ) -> Iterator[BatchItem]:
        """Generates many videos; yields each item's outcome as it completes.

        The same batch engine and options as :meth:`AsyncVideoGenerator.generate_many`, run on
        an event loop in a worker thread. Validation errors are raised here, before anything is
        sent.

        Args:
            requests: Requests (or prompts).
            keys: A stable key per request (default: derived from each request's fingerprint).
            concurrency: Jobs in flight at once.
            requests_per_minute: Pace submissions at this rate (your quota).
            journal: A SQLite file (or :class:`~veowrap.Journal`) that makes the batch
                resumable and safe to rerun; or a ``postgresql://`` URL shared by workers on
                any hosts (see :meth:`AsyncVideoGenerator.generate_many`).
            batch: The batch's name in a PostgreSQL journal.
            output_dir: Save each item's videos as ``<output_dir>/<key>.mp4``.
            timeout: Seconds each item may wait for its operation, and again for saving its
                videos (default: the generator's ``timeout``).
            on_event: Receives every item's events.
            resend_uncertain: Re-send items whose earlier submission is uncertain.
            retry_failed: Re-submit items recorded as failed in the journal.
            budget: Refuse the whole batch, before anything is sent, if its estimate is higher.
            overwrite: Replace files already at the items' destinations.
            webhooks: Each item's wait completes on a webhook delivery to this inbox.
        """
        from veowrap._async import AsyncVideoGenerator
        from veowrap._batch import iterate_in_thread
        from veowrap.backends._threaded import ThreadedBackend

        backend = self._backend
        if not isinstance(backend, AsyncBackend):
            # A sync-only backend: the async engine runs its calls in worker threads.
            backend = ThreadedBackend(backend)
        sibling = AsyncVideoGenerator(backend=backend, **self.options())
        running = sibling.generate_many(  # validates now, in this thread
            requests,
            keys=keys,
            concurrency=concurrency,
            requests_per_minute=requests_per_minute,
            journal=journal,
            batch=batch,
            output_dir=output_dir,
            timeout=timeout,
            on_event=on_event,
            resend_uncertain=resend_uncertain,
            retry_failed=retry_failed,
            budget=budget,
            overwrite=overwrite,
            webhooks=webhooks,
        )
        return iterate_in_thread(running)

    def generate_all(
        self, requests: Iterable[VideoRequest | str], **options: Unpack[BatchOptions]
    ) -> list[BatchItem]:
        """Like :meth:`generate_many` (same options), collected into a list in input order."""
        return sorted(self.generate_many(requests, **options), key=lambda item: item.index)

    def close(self) -> None:
        """Releases the backend's connections."""
        if isinstance(self._backend, Closable):
            self._backend.close()

    def __enter__(self) -> VideoGenerator:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def _run(
        self,
        plan: Plan[ResultT],
        hook: EventHook | None,
        handle: OperationHandle | None = None,
        inbox: Inbox | None = None,
    ) -> ResultT:
        from veowrap._core.plan import Sleep

        runner = self._runner(plan, hook, handle)
        try:
            while (action := runner.next()) is not None:
                if isinstance(action, Sleep):
                    runner.reply(self._pause(action, inbox))
                    continue
                try:
                    runner.reply(self._call(action))
                    continue
                except Exception as error:
                    first = error
                # Retried outside the except block: a later attempt's error keeps its own
                # __context__ (the fault rules read it).
                try:
                    runner.reply(self._retry(first, action, hook))
                except Exception as error:
                    self._note_secrets()
                    runner.fail(error)
        except BaseException as error:
            runner.interrupted(error)
            raise
        return runner.result

    def _pause(self, sleep: Sleep, inbox: Inbox | None) -> int | None:
        """Sleeps; listening to ``inbox``, ends early on a new delivery (its number)."""
        if inbox is None or not sleep.wake:
            self._sleep(sleep.seconds)
            return None
        if not self._real_time:  # a virtual clock: look, then let virtual time pass
            if (seq := inbox.latest(sleep.wake)) > sleep.after:
                return seq
            self._sleep(sleep.seconds)
            return seq if (seq := inbox.latest(sleep.wake)) > sleep.after else None
        return inbox.wait(sleep.wake, sleep.seconds, sleep.after)

    def _retry(self, first: Exception, call: Call, hook: EventHook | None) -> Any:
        """Retries a call whose first attempt failed with ``first``, under the core's rules.

        Only here is a ``tenacity.Retrying`` built: a call that succeeds at once needs none.
        """
        import tenacity

        retrying = tenacity.Retrying(sleep=self._sleep, **self._retry_kwargs(call, hook))
        return retrying(replay_failure(first, self._call), call)

    def _call(self, call: Call) -> Any:
        backend = self._calls
        # Imported here: the plan module loads with the first flow, not with the package.
        from veowrap._core.plan import Cancel, Poll, Submit

        match call:
            case Submit(request=request, model=model):
                operation = functools.partial(backend.submit, request, model)
            case Poll(handle=handle):
                operation = functools.partial(backend.poll, handle)
            case Cancel(handle=handle):
                operation = functools.partial(backend.cancel, handle)
        if call.deadline is None or not self._real_time:
            return operation()
        return call_within(operation, call.deadline, self._clock)

    def __repr__(self) -> str:
        return f"VideoGenerator(backend={self._backend!r}, model={self.model!r})"
