"""`AsyncVideoGenerator`: the asynchronous driver of the same plans as `VideoGenerator`."""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Iterable, Sequence
from os import PathLike
from types import TracebackType
from typing import TYPE_CHECKING, Any

from veowrap._bounded import call_within_async
from veowrap._core.retrying import RetryPolicy, replay_failure_async
from veowrap._core.schedule import PollSchedule
from veowrap._errors import UnsupportedCapabilityError
from veowrap._generator_base import BaseGenerator, EventHook
from veowrap.backends._protocol import AsyncBackend, AsyncClosable

if TYPE_CHECKING:
    # Loaded on first use, not by ``AsyncVideoGenerator(...)`` (see ``_sync.py``).
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

__all__ = ["AsyncVideoGenerator"]


class AsyncVideoGenerator(BaseGenerator):
    """Generates videos from async code; the same methods as :class:`VideoGenerator`, awaitable.

    Example:
        >>> async with AsyncVideoGenerator() as agen:                  # doctest: +SKIP
        ...     result = await agen.generate("a paper boat", model="veo-3.1-generate-001")
    """

    _flavour = "async"

    def __init__(
        self,
        client: Client | None = None,
        *,
        backend: AsyncBackend | str | None = None,
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
        if not isinstance(checked, AsyncBackend):  # pragma: no cover - refused while resolving
            raise UnsupportedCapabilityError(
                f"{checked!r} is a sync-only backend.", hint="Use VideoGenerator."
            )
        self._calls = checked

    async def generate(
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
        """Submits a request and waits for its videos. See :meth:`VideoGenerator.generate`."""
        from veowrap._progress import attach_progress

        request = self._request(prompt, fields)
        inbox = self._listening(webhooks)
        plan = self._generation(request, self._deadline(timeout), cancel_on_timeout, budget, inbox)
        with attach_progress(on_event, progress) as hook:
            return self._result(await self._run(plan, hook, inbox=inbox), on_event)

    async def submit(
        self,
        request: str | VideoRequest,
        *,
        on_event: EventHook | None = None,
        budget: float | None = None,
        timeout: float | None = None,
        **fields: Unpack[RequestOptions],
    ) -> OperationHandle:
        """Submits a request and returns its handle, without waiting for the video.

        See :meth:`VideoGenerator.submit`.
        """
        plan = self._submission(self._request(request, fields), self._deadline(timeout), budget)
        handle, _ = await self._run(plan, on_event)
        from veowrap._handle import OperationHandle

        assert isinstance(handle, OperationHandle)
        return handle

    async def wait(
        self,
        handle: OperationHandle | str,
        *,
        timeout: float | None = None,
        on_event: EventHook | None = None,
        cancel_on_timeout: bool = False,
        webhooks: Inbox | None = None,
    ) -> GenerationResult:
        """Waits for a submitted operation (a handle, its JSON, or an operation name).

        ``webhooks=inbox`` completes on a webhook delivery; see :meth:`VideoGenerator.wait`.
        """
        inbox = self._listening(webhooks)
        handle, plan = self._resumption(handle, timeout, cancel_on_timeout, inbox)
        return self._result(await self._run(plan, on_event, handle, inbox), on_event)

    async def status(
        self, handle: OperationHandle | str, *, timeout: float | None = None
    ) -> OperationStatus:
        """Reads the operation's status once, without waiting."""
        result: OperationStatus = await self._run(self._status(handle, timeout), None)
        return result

    async def cancel(self, handle: OperationHandle | str, *, timeout: float | None = None) -> None:
        """Cancels the operation where its route allows it."""
        await self._run(self._cancelling(handle, timeout), None)

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
    ) -> AsyncIterator[BatchItem]:
        """Generates many videos; yields each item's outcome as it completes.

        One failed or filtered item never stops the others: its ``BatchItem.error`` says why.
        Every request is validated (and the budget checked) before anything is sent.

        Args:
            requests: Requests (or prompts): a list or any other iterable. A lone string (or
                a lone ``VideoRequest``) is refused, not read one character (or field) at a
                time: pass ``[prompt]``, or use :meth:`generate` for one video.
            keys: A stable key per request; by default derived from each request's fingerprint,
                so a re-ordered rerun still finds its items in the journal.
            concurrency: Jobs in flight at once.
            requests_per_minute: Pace submissions at this rate (your quota); 429s slow the pace
                down and it recovers afterwards.
            journal: A SQLite file (or :class:`~veowrap.Journal`) recording every item's state
                before each step: a rerun skips done items, resumes submitted ones, and reports
                uncertain submissions instead of re-sending them. A ``postgresql://`` URL
                (the ``postgres`` extra) makes this run one worker of a batch that any number
                of processes, on any hosts, run together: each item is sent at most once,
                creates share one ``requests_per_minute``, and a worker that dies leaves its
                operations to the others.
            batch: The batch's name in a PostgreSQL journal (default ``"default"``): many
                batches share one database.
            output_dir: Save each item's videos as ``<output_dir>/<key>.mp4``.
            timeout: Seconds each item may wait for its operation, and again for saving its
                videos (default: the generator's ``timeout``).
            on_event: Receives every item's events.
            resend_uncertain: Re-send items whose earlier submission is uncertain.
            retry_failed: Re-submit items recorded as failed in the journal.
            budget: Refuse the whole batch, before anything is sent, if its estimate is higher.
            overwrite: Replace files already at the items' destinations (by default an
                existing file is never replaced: the item fails with
                :class:`~veowrap.DestinationExistsError` and keeps its handle).
            webhooks: Each item's wait completes on a webhook delivery to this inbox (with a
                slow backstop poll); see :meth:`wait`.

        Raises:
            RequestValidationError: Before anything is sent: a request, or an option that is
                not what it should be (``concurrency`` not an int >= 1, a
                ``requests_per_minute``, ``timeout`` or ``budget`` that is not a finite
                positive number, a key that is not a non-blank string, a path with a NUL).
        """
        from veowrap._batch import build_runner

        runner = build_runner(
            self,
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
            webhooks=self._listening(webhooks),
        )
        return runner.run()

    async def generate_all(
        self, requests: Iterable[VideoRequest | str], **options: Unpack[BatchOptions]
    ) -> list[BatchItem]:
        """Like :meth:`generate_many` (same options), collected into a list in input order."""
        items = [item async for item in self.generate_many(requests, **options)]
        return sorted(items, key=lambda item: item.index)

    async def aclose(self) -> None:
        """Releases the backend's connections."""
        if isinstance(self._backend, AsyncClosable):
            await self._backend.aclose()

    async def __aenter__(self) -> AsyncVideoGenerator:
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def _run(
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
                    runner.reply(await self._pause(action, inbox))
                    continue
                try:
                    runner.reply(await self._call(action))
                    continue
                except Exception as error:
                    first = error
                # Retried outside the except block: a later attempt's error keeps its own
                # __context__ (the fault rules read it).
                try:
                    runner.reply(await self._retry(first, action, hook))
                except Exception as error:
                    self._note_secrets()
                    runner.fail(error)
        except BaseException as error:
            runner.interrupted(error)
            raise
        return runner.result

    async def _pause(self, sleep: Sleep, inbox: Inbox | None) -> int | None:
        """Sleeps; listening to ``inbox``, ends early on a new delivery (its number)."""
        if inbox is None or not sleep.wake:
            await self._sleep_async(sleep.seconds)
            return None
        if not self._real_time:  # a virtual clock: look, then let virtual time pass
            if (seq := inbox.latest(sleep.wake)) > sleep.after:
                return seq
            await self._sleep_async(sleep.seconds)
            return seq if (seq := inbox.latest(sleep.wake)) > sleep.after else None
        return await inbox.wait_async(sleep.wake, sleep.seconds, sleep.after)

    async def _retry(self, first: Exception, call: Call, hook: EventHook | None) -> Any:
        """Retries a call whose first attempt failed with ``first``, under the core's rules.

        Only here is a ``tenacity.AsyncRetrying`` built: a call that succeeds at once needs none.
        """
        import tenacity

        retrying = tenacity.AsyncRetrying(sleep=self._sleep_async, **self._retry_kwargs(call, hook))
        return await retrying(replay_failure_async(first, self._call), call)

    async def _call(self, call: Call) -> Any:
        backend = self._calls
        # Imported here: the plan module loads with the first flow, not with the package.
        from veowrap._core.plan import Cancel, Poll, Submit

        match call:
            case Submit(request=request, model=model):
                operation = functools.partial(backend.submit_async, request, model)
            case Poll(handle=handle):
                operation = functools.partial(backend.poll_async, handle)
            case Cancel(handle=handle):
                operation = functools.partial(backend.cancel_async, handle)
        if call.deadline is None or not self._real_time:
            return await operation()
        return await call_within_async(operation, call.deadline, self._clock)

    def __repr__(self) -> str:
        return f"AsyncVideoGenerator(backend={self._backend!r}, model={self.model!r})"
