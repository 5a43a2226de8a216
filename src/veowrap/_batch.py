"""Batch generation: many requests, paced at the quota, journaled so that nothing is paid twice.

The batch runs on an :class:`~veowrap.AsyncVideoGenerator` through its public ``submit``,
``wait`` and ``save_async``; the sync ``VideoGenerator.generate_many`` runs the same code on an
event loop in a worker thread, so the two share every step.
"""

from __future__ import annotations

import asyncio
import queue
import re
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any

from veowrap._core.pacing import Pacer
from veowrap._errors import (
    ContentFilteredError,
    QuotaExceededError,
    RequestValidationError,
    SubmissionUncertainError,
    VeowrapError,
)
from veowrap._events import Event
from veowrap._handle import OperationHandle
from veowrap._journal import Journal
from veowrap._request import VideoRequest
from veowrap._result import GenerationResult

if TYPE_CHECKING:
    from veowrap._async import AsyncVideoGenerator

__all__ = ["BatchItem", "BatchSummary", "summarize"]

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
# A create refused for quota is certainly not accepted, so it is queued again, this many times.
_MAX_QUOTA_ROUNDS = 50


@dataclass(frozen=True)
class BatchItem:
    """The outcome of one request in a batch.

    Attributes:
        index: Its position in the input.
        key: Its stable key (a user key, or one derived from the request's fingerprint).
        request: The request.
        result: The finished result (``None`` on error, or when skipped as done earlier).
        paths: Where its videos were saved (also for items done in an earlier run).
        error: The typed error, if it failed, was filtered, or its submission is uncertain.
        skipped: ``True`` when a journal showed it done in an earlier run.
        handle: The operation, when one exists.
    """

    index: int
    key: str
    request: VideoRequest
    result: GenerationResult | None = None
    paths: tuple[Path, ...] = ()
    error: VeowrapError | None = None
    skipped: bool = False
    handle: OperationHandle | None = None

    @property
    def ok(self) -> bool:
        """Whether the item has its videos."""
        return self.error is None


@dataclass(frozen=True)
class BatchSummary:
    """Counts, estimated cost and wall time of a batch."""

    total: int
    succeeded: int
    failed: int
    uncertain: int
    skipped: int
    estimated_cost_usd: float | None
    wall_seconds: float

    def __str__(self) -> str:
        cost = "unknown" if self.estimated_cost_usd is None else f"${self.estimated_cost_usd:.2f}"
        return (
            f"{self.total} requests: {self.succeeded} succeeded ({self.skipped} from an earlier "
            f"run), {self.failed} failed, {self.uncertain} uncertain; estimated cost {cost} "
            f"(estimate); {self.wall_seconds:.1f} s"
        )


def item_keys(requests: Sequence[VideoRequest], keys: Sequence[str | None] | None) -> list[str]:
    """Stable keys: the user's, or the request fingerprint plus an occurrence number.

    Fingerprint keys do not depend on input order, so a re-ordered rerun finds its items.
    """
    seen: dict[str, int] = {}
    result = []
    for index, request in enumerate(requests):
        user = keys[index] if keys is not None else None
        if user is not None:
            key = user
        else:
            fingerprint = request.fingerprint()[:16]
            seen[fingerprint] = seen.get(fingerprint, 0) + 1
            key = f"{fingerprint}-{seen[fingerprint]}"
        result.append(key)
    if len(set(result)) != len(result):
        duplicate = next(k for k in result if result.count(k) > 1)
        raise RequestValidationError("keys", duplicate, "a different key for every request")
    return result


@dataclass
class BatchRunner:
    """Runs a batch on an async generator. Use ``generate_many`` rather than this class."""

    generator: AsyncVideoGenerator
    submitter: AsyncVideoGenerator  # the same, but leaves 429s on create to the pacer
    requests: list[VideoRequest]
    keys: list[str]
    concurrency: int
    pacer: Pacer
    journal: Journal | None
    output_dir: Path | None
    timeout: float | None
    on_event: Callable[[Event], None] | None
    resend_uncertain: bool
    retry_failed: bool
    _loop_time: Callable[[], float] = field(default=time.monotonic)

    async def run(self) -> AsyncIterator[BatchItem]:
        """Yields items in completion order."""
        queue: asyncio.Queue[BatchItem] = asyncio.Queue()
        gate = asyncio.Semaphore(self.concurrency)

        async def one(index: int) -> None:
            async with gate:
                await queue.put(await self._item(index))

        tasks = [asyncio.ensure_future(one(index)) for index in range(len(self.requests))]
        try:
            for _ in tasks:
                yield await queue.get()
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def _item(self, index: int) -> BatchItem:
        request, key = self.requests[index], self.keys[index]
        item = BatchItem(index=index, key=key, request=request)
        entry = self.journal.register(key, index, request.fingerprint()) if self.journal else None
        handle: OperationHandle | None = None
        if entry is not None:
            if entry.handle:
                handle = OperationHandle.from_json(entry.handle)
            if entry.state == "done":
                done = tuple(Path(p) for p in entry.paths)
                return _replace(item, paths=done, skipped=True, handle=handle)
            if entry.state in ("submitting", "uncertain") and not self.resend_uncertain:
                self._mark(key, "uncertain")
                return _replace(item, error=_uncertain(request, entry.state))
            if entry.state == "failed" and not self.retry_failed:
                return _replace(item, error=_recorded_error(entry.error), handle=handle)
        try:
            if handle is None:
                handle = await self._submit(key, request)
            result = await self.generator.wait(handle, timeout=self.timeout, on_event=self.on_event)
            paths: tuple[Path, ...] = ()
            if self.output_dir is not None:
                target = self.output_dir / f"{_UNSAFE.sub('-', key)}.mp4"
                paths = tuple(await result.save_async(target))
            self._mark(key, "done", paths=[str(p) for p in paths])
            return _replace(item, result=result, paths=paths, handle=handle)
        except SubmissionUncertainError as error:
            self._mark(key, "uncertain", error=_describe(error))
            return _replace(item, error=error)
        except VeowrapError as error:
            # A submitted item stays resumable; only an item with no operation is re-tried.
            if handle is None:
                self._mark(key, "pending", error=_describe(error))
            else:
                self._mark(key, "failed", error=_describe(error))
            return _replace(item, error=error, handle=handle or error.handle)

    async def _submit(self, key: str, request: VideoRequest) -> OperationHandle:
        for _ in range(_MAX_QUOTA_ROUNDS):
            delay = self.pacer.reserve(self._loop_time())
            if delay > 0:
                await asyncio.sleep(delay)
            self.pacer.sent(self._loop_time())
            self._mark(key, "submitting")  # on disk before the create is sent
            try:
                handle = await self.submitter.submit(request, on_event=self.on_event)
            except QuotaExceededError as error:
                # A 429 proves the create was not accepted: back off and queue it again.
                self._mark(key, "pending")
                self.pacer.throttled(self._loop_time(), error.retry_after)
                continue
            except SubmissionUncertainError:
                raise
            except VeowrapError:
                self._mark(key, "pending")
                raise
            self.pacer.succeeded()
            self._mark(key, "submitted", handle=handle.to_json())
            return handle
        raise QuotaExceededError(
            f"The quota refused this request {_MAX_QUOTA_ROUNDS} times.",
            hint="Lower requests_per_minute or ask for more quota, then rerun with the journal.",
        )

    def _mark(self, key: str, state: Any, **details: Any) -> None:
        if self.journal is not None:
            self.journal.mark(key, state, **details)


def build_runner(
    generator: AsyncVideoGenerator,
    requests: Iterable[VideoRequest | str],
    *,
    keys: Sequence[str | None] | None,
    concurrency: int,
    requests_per_minute: float | None,
    journal: Journal | str | PathLike[str] | None,
    output_dir: str | PathLike[str] | None,
    timeout: float | None,
    on_event: Callable[[Event], None] | None,
    resend_uncertain: bool,
    retry_failed: bool,
    budget: float | None = None,
) -> BatchRunner:
    """Checks a batch's arguments (before anything is sent) and builds its runner."""
    items = [r if isinstance(r, VideoRequest) else VideoRequest(prompt=r) for r in requests]
    if keys is not None and len(keys) != len(items):
        raise RequestValidationError(
            "keys", f"{len(keys)} keys", f"one key per request ({len(items)})"
        )
    if concurrency < 1:
        raise RequestValidationError("concurrency", concurrency, "a whole number >= 1")
    for item in items:  # validate every request up front: one bad row must not cost a run
        generator._prepare(item)
    generator._check_budget(items, budget)
    submitter = type(generator)(
        backend=generator.backend,  # type: ignore[arg-type]
        **{
            **generator._settings(),
            "retry_policy": replace(generator.retry_policy, retry_quota=False),
        },
    )
    return BatchRunner(
        generator=generator,
        submitter=submitter,
        requests=items,
        keys=item_keys(items, keys),
        concurrency=concurrency,
        pacer=Pacer(requests_per_minute),
        journal=journal if isinstance(journal, Journal) or journal is None else Journal(journal),
        output_dir=Path(output_dir) if output_dir is not None else None,
        timeout=timeout,
        on_event=on_event,
        resend_uncertain=resend_uncertain,
        retry_failed=retry_failed,
    )


def iterate_in_thread(items: AsyncIterator[BatchItem]) -> Iterator[BatchItem]:
    """Runs an async iterator on its own event loop in a worker thread; yields its items.

    Closing the returned iterator early (``break``) cancels the batch's remaining tasks.
    """
    handoff: queue.Queue[tuple[str, Any]] = queue.Queue()
    loop = asyncio.new_event_loop()

    async def pump() -> None:
        try:
            async for item in items:
                handoff.put(("item", item))
        except asyncio.CancelledError:
            pass
        except BaseException as error:
            handoff.put(("error", error))
        finally:
            await items.aclose()  # type: ignore[attr-defined]
            handoff.put(("end", None))

    task = loop.create_task(pump())
    worker = threading.Thread(
        target=loop.run_until_complete, args=(task,), name="veowrap-batch", daemon=True
    )
    worker.start()
    try:
        while True:
            kind, value = handoff.get()
            if kind == "end":
                break
            if kind == "error":
                raise value
            yield value
    finally:
        if not task.done():
            loop.call_soon_threadsafe(task.cancel)
        worker.join()
        loop.close()


def summarize(items: Iterable[BatchItem], wall_seconds: float) -> BatchSummary:
    """Counts outcomes and adds up the estimated cost of the items that were submitted."""
    from veowrap._cost import estimate_cost

    items = list(items)
    cost: float | None = 0.0
    for item in items:
        if item.handle is None or item.handle.model is None:
            continue
        if isinstance(item.error, ContentFilteredError):
            continue  # filtered videos are not billed
        estimate = estimate_cost(item.request, item.handle.model, item.handle.platform)
        cost = None if cost is None or estimate.amount_usd is None else cost + estimate.amount_usd
    return BatchSummary(
        total=len(items),
        succeeded=sum(item.ok for item in items),
        failed=sum(
            item.error is not None and not isinstance(item.error, SubmissionUncertainError)
            for item in items
        ),
        uncertain=sum(isinstance(item.error, SubmissionUncertainError) for item in items),
        skipped=sum(item.skipped for item in items),
        estimated_cost_usd=cost,
        wall_seconds=wall_seconds,
    )


def _replace(item: BatchItem, **changes: Any) -> BatchItem:
    return replace(item, **changes)


def _describe(error: VeowrapError) -> dict[str, str]:
    return {"type": type(error).__name__, "message": error.message}


def _recorded_error(recorded: dict[str, str] | None) -> VeowrapError:
    from veowrap import _errors

    recorded = recorded or {}
    kind = getattr(_errors, recorded.get("type", ""), None)
    message = recorded.get("message", "failed in an earlier run")
    text = f"{message} (recorded in the journal; pass retry_failed=True to try again)"
    if isinstance(kind, type) and issubclass(kind, VeowrapError):
        error = kind.__new__(kind)
        VeowrapError.__init__(error, text)
        return error
    return VeowrapError(text)


def _uncertain(request: VideoRequest, state: str) -> SubmissionUncertainError:
    when = "the process stopped while submitting it" if state == "submitting" else "it was lost"
    return SubmissionUncertainError(
        f"This request's submission is uncertain: {when}. It was not re-sent.",
        request=request,
        hint="Check for an operation you did not expect; pass resend_uncertain=True to send it "
        "again.",
    )
