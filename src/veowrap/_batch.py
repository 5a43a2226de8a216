"""Batch generation: many requests, paced at the quota, journaled so that nothing is paid twice.

The batch runs on an :class:`~veowrap.AsyncVideoGenerator` through its public ``submit``,
``wait`` and ``save_async``; the sync ``VideoGenerator.generate_many`` runs the same code on an
event loop in a worker thread, so the two share every step.

Every item is a task, supervised: whatever an item's task dies of becomes that item's typed
error (never a silent hang). Leaving the batch early, however it happens, cancels and awaits
every task, but lets creates already sent finish and journals their handles first (see
``BatchRunner._wind_down``). The decisions (when an item may be sent, resumed or must be
reported, and what its files are called) live in :mod:`veowrap._core.batch_rules`.
"""

from __future__ import annotations

import asyncio
import contextlib
import filecmp
import logging
import queue
import secrets
import sys
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from veowrap._core import batch_rules, validation
from veowrap._core.batch_rules import Action, Decision, Owner, Phase, Slot
from veowrap._core.pacing import Pacer
from veowrap._errors import (
    ContentFilteredError,
    DestinationExistsError,
    JournalError,
    QuotaExceededError,
    RequestValidationError,
    SubmissionUncertainError,
    VeowrapError,
)
from veowrap._events import Event
from veowrap._handle import RESUME_NOTE, OperationHandle, note_resumable
from veowrap._journal import HEARTBEAT_SECONDS, LEASE_SECONDS, Journal, JournalEntry
from veowrap._request import VideoRequest
from veowrap._result import GeneratedVideo, GenerationResult

if TYPE_CHECKING:
    from veowrap._async import AsyncVideoGenerator
    from veowrap.webhooks import Inbox

__all__ = ["BatchItem", "BatchSummary", "summarize"]

logger = logging.getLogger("veowrap")

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
        error: The typed error, if it failed, was filtered, its submission is uncertain, or it
            is held by another process.
        skipped: ``True`` when the journal showed it done by an earlier (or another) run.
        handle: The operation, when one exists.
        held_elsewhere: ``True`` when another live process sharing the journal is working on
            it (submitting, waiting or saving): this run left it alone. ``error`` is then a
            :class:`~veowrap.JournalError` naming that process; rerun with the same journal
            once it has finished to collect the item.
        sent: ``True`` when this run sent the item's create and the service accepted it (so
            this run pays for it). ``False`` for an item skipped, resumed or reported from an
            earlier run's journal: its job was paid for by the run that sent it.
    """

    index: int
    key: str
    request: VideoRequest
    result: GenerationResult | None = None
    paths: tuple[Path, ...] = ()
    error: VeowrapError | None = None
    skipped: bool = False
    handle: OperationHandle | None = None
    held_elsewhere: bool = False
    sent: bool = False

    @property
    def ok(self) -> bool:
        """Whether the item has its videos."""
        return self.error is None


@dataclass(frozen=True)
class BatchSummary:
    """Counts, estimated cost and wall time of a batch run.

    ``failed`` counts neither uncertain items nor items held by another process.
    ``estimated_cost_usd`` adds up the jobs this run sent (``sent`` of them): a rerun that
    finds its items done in the journal sends nothing and costs nothing new.
    """

    total: int
    succeeded: int
    failed: int
    uncertain: int
    skipped: int
    estimated_cost_usd: float | None
    wall_seconds: float
    held_elsewhere: int = 0
    sent: int = 0

    def __str__(self) -> str:
        held = f", {self.held_elsewhere} held by another process" if self.held_elsewhere else ""
        if self.sent:
            amount = self.estimated_cost_usd
            cost = "unknown" if amount is None else f"${amount:.2f}"
            spent = f"{self.sent} sent, estimated cost {cost} (estimate)"
        else:
            spent = "nothing sent, no new cost"
        return (
            f"{self.total} requests: {self.succeeded} succeeded ({self.skipped} from an earlier "
            f"run), {self.failed} failed, {self.uncertain} uncertain{held}; {spent}; "
            f"{self.wall_seconds:.1f} s"
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


class _SafeHook:
    """The caller's ``on_event``, kept from breaking the batch.

    A hook that raises an ``Exception`` is reported once per batch, by exception type only (its
    text may hold anything the hook put there), and keeps receiving events.

    A hook that raises anything else (``SystemExit``, ``KeyboardInterrupt``…) asks the batch to
    stop. The exception is kept, not raised inside the engine: the step that called the hook
    completes (a create whose ``Submitted`` event the hook just saw returns its handle, which is
    journaled), the hook gets no further events, and ``on_stop`` is called. The batch winds down
    like any early exit and re-raises the exception to its caller.
    """

    def __init__(
        self,
        hook: Callable[[Event], None] | None,
        on_stop: Callable[[], None] = lambda: None,
    ) -> None:
        self._hook = hook
        self._on_stop = on_stop
        self._reported = False
        self.stop: BaseException | None = None

    def __call__(self, event: Event) -> None:
        if self._hook is None or self.stop is not None:
            return
        try:
            self._hook(event)
        except Exception as error:
            if not self._reported:
                self._reported = True
                logger.warning(
                    "The batch's on_event hook raised %s; the batch goes on (further errors "
                    "from the hook are not reported).",
                    type(error).__name__,
                )
        except BaseException as error:
            self.stop = error
            self._on_stop()

    @property
    def hook(self) -> Callable[[Event], None] | None:
        return self if self._hook is not None else None


@dataclass
class _Lease:
    """This run's identity in a shared journal, and the journal itself."""

    journal: Journal
    owner: Owner


@dataclass
class BatchRunner:
    """Runs a batch on an async generator. Use ``generate_many`` rather than this class."""

    generator: AsyncVideoGenerator
    submitter: AsyncVideoGenerator  # the same, but leaves 429s on create to the pacer
    requests: list[VideoRequest]
    keys: list[str]
    names: list[tuple[str, ...]]
    concurrency: int
    pacer: Pacer
    journal: Journal | None
    output_dir: Path | None
    timeout: float | None
    on_event: Callable[[Event], None] | None
    resend_uncertain: bool
    retry_failed: bool
    overwrite: bool = False
    owns_journal: bool = False
    webhooks: Inbox | None = None  # each item's wait completes on a delivery to this inbox
    _loop_time: Callable[[], float] = field(default=time.monotonic)
    _lease: _Lease | None = field(default=None, init=False)
    _hook: _SafeHook = field(default_factory=lambda: _SafeHook(None), init=False)
    _stopping: bool = field(default=False, init=False)  # no new create may be sent
    _creates: set[asyncio.Future[OperationHandle]] = field(default_factory=set, init=False)
    _sent: set[str] = field(default_factory=set, init=False)  # keys whose create this run sent

    async def run(self) -> AsyncIterator[BatchItem]:
        """Yields items in completion order.

        However the batch ends early — ``aclose()`` (after a ``break``, or when the iterator is
        garbage collected), cancellation of the consuming task, or an ``on_event`` hook raising
        ``SystemExit``/``KeyboardInterrupt`` — it winds down through :meth:`_wind_down` before
        the close, the cancellation or the hook's exception reaches the caller.
        """
        loop = asyncio.get_running_loop()
        stopped: asyncio.Future[None] = loop.create_future()

        def wake() -> None:
            if not stopped.done():
                stopped.set_result(None)

        def stop() -> None:  # the hook asked to stop; thread-safe, should it ever run elsewhere
            self._stopping = True
            loop.call_soon_threadsafe(wake)

        self._hook = _SafeHook(self.on_event, on_stop=stop)
        gate = asyncio.Semaphore(self.concurrency)

        async def one(index: int) -> BatchItem:
            async with gate:
                return await self._guarded(index)

        if self.journal is not None:
            self._lease = _Lease(self.journal, self.journal.begin_run())
        tasks: dict[asyncio.Future[BatchItem], int] = {}
        beat: asyncio.Future[None] | None = None
        try:
            tasks = {asyncio.ensure_future(one(i)): i for i in range(len(self.requests))}
            if self._lease is not None:
                beat = asyncio.ensure_future(self._heartbeat())
            waiting: set[asyncio.Future[Any]] = set(tasks)
            while waiting:
                done, waiting = await asyncio.wait(
                    waiting | {stopped}, return_when=asyncio.FIRST_COMPLETED
                )
                if stopped.done():  # the hook's exception goes to the caller now
                    break
                waiting.discard(stopped)
                finished = [cast("asyncio.Future[BatchItem]", task) for task in done]
                for task in sorted(finished, key=tasks.__getitem__):
                    yield self._collect(task, tasks[task])
        finally:
            stopped.cancel()
            await self._wind_down(tasks, beat)
        if self._hook.stop is not None:
            raise self._hook.stop

    async def _wind_down(
        self, tasks: Iterable[asyncio.Future[BatchItem]], beat: asyncio.Future[None] | None
    ) -> None:
        """Ends the batch's tasks, however it ends: nothing new is sent, nothing paid is lost.

        Every item task is cancelled. One whose create is in flight lets the create finish
        (within the create's own deadline) and journals the handle before it ends: the server
        may accept the create, and bill it, whatever this process does. Only then does this
        return. A second cancellation meanwhile (a second Ctrl-C) stops waiting: those creates
        are cancelled and journaled as uncertain. Leases are renewed until the tasks have ended
        and the run is released in any case.
        """
        self._stopping = True
        tasks = list(tasks)
        for task in tasks:
            task.cancel()
        in_flight = sum(not create.done() for create in self._creates)
        if in_flight:
            logger.warning(
                "Stopping the batch: waiting for %d create call(s) in flight to be answered, so "
                "that their jobs (which may be billed) are journaled. Interrupt again to stop "
                "waiting; they are then recorded as uncertain.",
                in_flight,
            )
        try:
            await asyncio.gather(*tasks, return_exceptions=True)
        finally:
            if beat is not None:
                beat.cancel()
            self._end()
        if beat is not None:
            await asyncio.wait({beat})  # at once: it only sleeps between renewals

    def _end(self) -> None:
        if self._lease is None:
            return
        journal, owner = self._lease.journal, self._lease.owner
        self._lease = None
        try:
            for entry in journal.end_run(owner):
                _warn_uncertain(entry.key, entry.fingerprint)
        except JournalError as error:
            logger.warning("Could not release this batch's items in the journal: %s", error)
        if self.owns_journal:
            journal.close()

    async def _heartbeat(self) -> None:
        assert self._lease is not None
        reported = False
        while True:
            await asyncio.sleep(HEARTBEAT_SECONDS)
            try:
                self._lease.journal.heartbeat(self._lease.owner)
            except JournalError as error:
                if not reported:
                    reported = True
                    logger.warning("Could not renew this batch's leases: %s", error.message)

    def _collect(self, task: asyncio.Future[BatchItem], index: int) -> BatchItem:
        item = BatchItem(index=index, key=self.keys[index], request=self.requests[index])
        if task.cancelled():
            return replace(item, error=VeowrapError("This item's task was cancelled."))
        error = task.exception()
        if error is not None:  # _guarded converts everything; this is the last safety net
            return replace(item, error=_unexpected(error))
        return task.result()

    async def _guarded(self, index: int) -> BatchItem:
        item = BatchItem(index=index, key=self.keys[index], request=self.requests[index])
        try:
            outcome = await self._item(item)
        except VeowrapError as error:
            outcome = replace(item, error=error, handle=item.handle or error.handle)
        except Exception as error:
            logger.error(
                "Batch item %s failed with an unexpected %s.", item.key, type(error).__name__
            )
            outcome = replace(item, error=_unexpected(error))
        return replace(outcome, sent=item.key in self._sent)

    async def _item(self, item: BatchItem) -> BatchItem:
        if self._lease is None:
            outcome = await self._submit(item, None)
            assert isinstance(outcome, OperationHandle)
            return await self._finish(item, outcome)
        entry, decision = self._step(item, "look", seen_claims=None)
        seen = entry.claims
        if decision.action == "submit":
            outcome = await self._submit(item, seen)
            if isinstance(outcome, OperationHandle):
                return await self._finish(item, outcome)
            entry, decision = outcome
        handle = _handle(entry, self._lease.journal)
        if decision.action == "resume":
            if handle is None:
                missing = _missing_handle(self._lease.journal)
                self._record(item.key, "failed", error=_describe(missing))
                raise missing
            return await self._finish(replace(item, handle=handle), handle)
        return self._report(replace(item, handle=handle), entry, decision.action)

    def _step(
        self, item: BatchItem, phase: Phase, seen_claims: int | None
    ) -> tuple[JournalEntry, Decision]:
        """Reads the item (registering it if new) and decides, in one write transaction."""
        assert self._lease is not None
        journal, me = self._lease.journal, self._lease.owner
        active = journal.active_runs()

        def decide(entry: JournalEntry) -> tuple[Decision, Any]:
            owner = entry.owner
            verdict = batch_rules.liveness(
                owner,
                me,
                lease_at=entry.lease_at,
                now=time.time(),
                lease_seconds=LEASE_SECONDS,
                process_gone=owner is not None and journal.owner_gone(owner),
                active_runs=active,
            )
            decision = batch_rules.decide(
                Slot(entry.state, entry.handle is not None, entry.claims),
                verdict,
                phase=phase,
                resend_uncertain=self.resend_uncertain,
                retry_failed=self.retry_failed,
                seen_claims=entry.claims if seen_claims is None else seen_claims,
            )
            return decision, decision.write

        uncertain = _uncertain_record(item.request, "the process stopped while submitting it")
        entry, decision = journal.step(
            item.key,
            item.index,
            item.request.fingerprint(),
            decide,
            me,
            error=uncertain,
        )
        if decision.write == "mark_uncertain":
            _warn_uncertain(item.key, entry.fingerprint)
        return entry, decision

    async def _submit(
        self, item: BatchItem, seen_claims: int | None
    ) -> OperationHandle | tuple[JournalEntry, Decision]:
        """Paces, claims and sends the item's create.

        Returns:
            The new operation's handle; or, when the item is no longer this run's to send
            (another process took or finished it meanwhile), its entry and what to do instead.
        """
        request, key = item.request, item.key
        for _ in range(_MAX_QUOTA_ROUNDS):
            delay = self.pacer.reserve(self._loop_time())
            if delay > 0:
                await asyncio.sleep(delay)
            if self._stopping:  # the batch is winding down: start nothing new
                raise asyncio.CancelledError
            if self._lease is not None:
                assert seen_claims is not None
                entry, decision = self._step(item, "send", seen_claims)
                if decision.action != "submit":
                    return entry, decision
                seen_claims = entry.claims + 1
            # Claimed and on disk: from here the create may be accepted at any moment.
            self.pacer.sent(self._loop_time())
            # Its own task, so that a batch that stops can let it finish (see _settle).
            create = asyncio.ensure_future(self.submitter.submit(request, on_event=self._hook.hook))
            self._creates.add(create)
            create.add_done_callback(self._creates.discard)
            stop: asyncio.CancelledError | None = None
            try:
                stop = await _settle(create)
                handle = create.result()
            except QuotaExceededError as error:
                # A 429 proves the create was not accepted: back off and queue it again.
                self._record(key, "pending")
                self.pacer.throttled(self._loop_time(), error.retry_after)
                if stop is not None:
                    raise stop from None
                continue
            except SubmissionUncertainError as error:
                _warn_uncertain(key, error.fingerprint)
                self._record(key, "uncertain", error=_describe(error))
                raise
            except VeowrapError as error:
                self._record(key, "pending", error=_describe(error))  # provably not accepted
                raise
            except Exception as error:
                uncertain = _uncertain_error(request, "an unexpected error interrupted its create")
                _warn_uncertain(key, uncertain.fingerprint)
                self._record(key, "uncertain", error=_describe(uncertain))
                raise uncertain from error
            except BaseException:
                # Cancelled twice (a second Ctrl-C) with the create in flight: it may be paid for.
                _warn_uncertain(key, request.fingerprint())
                self._record(
                    key,
                    "uncertain",
                    error=_uncertain_record(request, "the batch was interrupted while submitting"),
                )
                raise
            self.pacer.succeeded()
            self._sent.add(key)
            self._record(key, "submitted", handle=handle.to_json(), keep_lease=True, force=True)
            if stop is not None:  # the batch is stopping: a rerun resumes the journaled handle
                if self._lease is None:  # no journal: the log is where the caller finds it
                    logger.warning(
                        "Batch item %s: %s",
                        key,
                        note_resumable(stop, handle),
                        extra={RESUME_NOTE: True},
                    )
                raise stop
            return handle
        raise QuotaExceededError(
            f"The quota refused this request {_MAX_QUOTA_ROUNDS} times.",
            hint="Lower requests_per_minute or ask for more quota, then rerun with the journal.",
        )

    async def _finish(self, item: BatchItem, handle: OperationHandle) -> BatchItem:
        """Waits for the operation and saves its videos, holding the item's lease."""
        item = replace(item, handle=handle)
        try:
            result = await self.generator.wait(
                handle, timeout=self.timeout, on_event=self._hook.hook, webhooks=self.webhooks
            )
            paths: tuple[Path, ...] = ()
            if self.output_dir is not None:
                paths = await self._save(result, self.names[item.index])
        except VeowrapError as error:
            self._record(item.key, "failed", handle=handle.to_json(), error=_describe(error))
            return replace(item, error=error)
        except BaseException:
            self._record(item.key, "submitted", handle=handle.to_json())  # resumable by anyone
            raise
        # The handle again: it reaches the journal even if recording "submitted" failed.
        self._record(item.key, "done", handle=handle.to_json(), paths=[str(p) for p in paths])
        return replace(item, result=result, paths=paths)

    async def _save(self, result: GenerationResult, names: tuple[str, ...]) -> tuple[Path, ...]:
        assert self.output_dir is not None
        paths = []
        for video in result.videos:
            if video.index < len(names):
                name = names[video.index]
            else:  # more videos than asked for: a name no other item of the batch can have
                name = batch_rules.surplus_name(names, video.index)
            paths.append(await self._place(video, self.output_dir / name))
        return tuple(paths)

    async def _place(self, video: GeneratedVideo, target: Path) -> Path:
        """Saves a video at ``target``; an existing file is replaced only with ``overwrite``.

        Without ``overwrite`` the video is saved beside ``target`` under a private name, then
        hard-linked to it, which fails if a file is there: no moment exists in which another
        file at ``target`` could be replaced. A file that is already there with exactly these
        bytes (this item's own, saved by a run that stopped before journaling it) counts as
        saved.
        """
        # A save is bounded like the wait: a trickling download must not hold the batch forever.
        timeout = self.timeout if self.timeout is not None else self.generator.timeout
        if self.overwrite:
            return await video.save_async(target, overwrite=True, timeout=timeout)
        if target.exists() and not target.is_file():
            raise _exists(target, video.handle)
        staging = target.with_name(f".{target.name}.veowrap-staging-{secrets.token_hex(4)}")
        try:
            await video.save_async(staging, timeout=timeout)
            _link_no_clobber(staging, target, video.handle)
        finally:
            with contextlib.suppress(OSError):
                staging.unlink()
        return target

    def _report(self, item: BatchItem, entry: JournalEntry, action: Action) -> BatchItem:
        if action == "skip_done":
            return replace(item, paths=tuple(Path(p) for p in entry.paths), skipped=True)
        if action == "report_failed":
            return replace(item, error=_recorded_error(entry.error))
        if action == "report_uncertain":
            state = "submitting" if entry.state == "submitting" else "uncertain"
            return replace(item, error=_uncertain(item.request, state))
        assert action == "held"
        assert self._lease is not None
        return replace(item, held_elsewhere=True, error=_held(entry, self._lease.journal))

    def _record(self, key: str, state: Any, **details: Any) -> None:
        """Records a state this run reached; a journal failure is logged, never raised.

        By now the work is done (or paid for): a journal that fails must not turn a result, or
        the original error, into a journal error. The item's lease stays with this run, so a
        later record, or the end of the run, still settles it.
        """
        if self._lease is None:
            return
        try:
            written = self._lease.journal.record(key, self._lease.owner, state, **details)
        except JournalError as error:
            handle = details.get("handle")
            where = ""
            if handle is not None:
                where = f" (operation {OperationHandle.from_json(handle).name})"
            logger.warning(
                "Could not record batch item %s as %s%s: %s", key, state, where, error.message
            )
            return
        if not written:
            logger.warning(
                "Item %s was taken over by another process (its lease lapsed); its state %r "
                "was not recorded by this one.",
                key,
                state,
            )


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
    overwrite: bool = False,
    webhooks: Inbox | None = None,
) -> BatchRunner:
    """Checks a batch's arguments (before anything is sent) and builds its runner.

    Raises:
        RequestValidationError: A bad request, key list, concurrency, rate, timeout or budget
            (:func:`veowrap._core.validation.batch_options`).
        BudgetExceededError: The batch's estimate exceeds the budget.
        DestinationError: ``output_dir`` cannot be created or written.
        JournalError: The journal cannot be used.
    """
    from veowrap._destination import check_directory

    validation.batch_options(
        requests,
        keys=keys,
        concurrency=concurrency,
        requests_per_minute=requests_per_minute,
        timeout=timeout,
        budget=budget,
    )
    items = [r if isinstance(r, VideoRequest) else VideoRequest(prompt=r) for r in requests]
    if keys is not None and len(keys) != len(items):
        raise RequestValidationError(
            "keys", f"{len(keys)} keys", f"one key per request ({len(items)})"
        )
    for item in items:  # validate every request up front: one bad row must not cost a run
        generator.validate(item)
    generator.check_budget(items, budget)
    pacer = Pacer(requests_per_minute)
    item_key_list = item_keys(items, keys)
    names = batch_rules.file_names(item_key_list, [r.number_of_videos or 1 for r in items])
    directory = check_directory(output_dir) if output_dir is not None else None
    opened = journal if isinstance(journal, Journal) or journal is None else Journal(journal)
    # The same generator, but 429s on create are left to the pacer.
    submitter = generator.with_options(
        retry_policy=replace(generator.retry_policy, retry_quota=False)
    )
    return BatchRunner(
        generator=generator,
        submitter=submitter,
        requests=items,
        keys=item_key_list,
        names=names,
        concurrency=concurrency,
        pacer=pacer,
        journal=opened,
        output_dir=directory,
        timeout=timeout,
        on_event=on_event,
        resend_uncertain=resend_uncertain,
        retry_failed=retry_failed,
        overwrite=overwrite,
        owns_journal=opened is not journal,
        webhooks=webhooks,
    )


def iterate_in_thread(items: AsyncIterator[BatchItem]) -> Iterator[BatchItem]:
    """Runs an async iterator on its own event loop in a worker thread; yields its items.

    Leaving early — ``break`` and ``close()``, dropping the iterator (its finalizer closes it),
    or an exception such as Ctrl-C in the caller's thread — stops the batch in one way: the
    worker's task is cancelled, so the batch winds down (creates already sent finish and are
    journaled, nothing new starts, every item records its state), and only then does the close
    or the exception reach the caller. A second Ctrl-C during that wait stops waiting for the
    creates (they are journaled as uncertain). Whatever happens in it, the worker leaves no
    task, async generator or executor thread behind and closes its loop.
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
            with contextlib.suppress(BaseException):
                await items.aclose()  # type: ignore[attr-defined]

    task = loop.create_task(pump())

    def work() -> None:
        try:
            loop.run_until_complete(task)
        except BaseException as error:  # the loop itself failed: never leave the caller waiting
            handoff.put(("error", error))
            # Something (a SystemExit) escaped a task and stopped the loop mid-batch: wind the
            # batch down as on any early exit, before anything else is cancelled.
            task.cancel()
            with contextlib.suppress(BaseException):
                loop.run_until_complete(task)
        finally:
            try:
                _close_loop(loop)
            finally:
                handoff.put(("end", None))

    def stop() -> None:
        with contextlib.suppress(RuntimeError):  # the loop has closed: nothing left to stop
            loop.call_soon_threadsafe(task.cancel)

    def ended() -> None:
        # The worker's last message, not Thread.join(): on Python 3.11 a join interrupted by
        # Ctrl-C marks the thread as finished while it still runs.
        while handoff.get()[0] != "end":
            pass

    worker = threading.Thread(target=work, name="veowrap-batch", daemon=True)
    worker.start()
    running = True
    try:
        while running:
            kind, value = handoff.get()
            if kind == "end":
                running = False
            elif kind == "error":
                raise value
            else:
                yield value
    finally:
        stop()
        # A finalizer may run on any thread, or at interpreter exit, when the (daemon) worker
        # is frozen and would never answer.
        if threading.current_thread() is not worker and not sys.is_finalizing():
            if running:
                try:
                    ended()
                except BaseException:  # a second Ctrl-C: stop waiting for creates in flight
                    stop()
                    ended()
                    raise
            worker.join()  # it has sent its last message: at once


def _close_loop(loop: asyncio.AbstractEventLoop) -> None:
    """Closes ``loop`` as :func:`asyncio.run` does: cancels and awaits its remaining tasks.

    Normally none is left by now. Whatever is, nothing of it (a task, a suspended async
    generator, an executor thread) is left to be finalized later, on whatever thread the
    garbage collector happens to run, or to hold the caller's signals.
    """
    try:
        pending = asyncio.all_tasks(loop)
        for task in pending:
            task.cancel()
        if pending:
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.run_until_complete(loop.shutdown_default_executor())
    finally:
        loop.close()


def summarize(items: Iterable[BatchItem], wall_seconds: float) -> BatchSummary:
    """Counts outcomes and adds up the estimated cost of the jobs this run sent.

    Items done, resumed or reported from an earlier run's journal cost nothing new: the run
    that sent them paid.
    """
    from veowrap._cost import estimate_cost

    items = list(items)
    cost: float | None = 0.0
    for item in items:
        if not item.sent or item.handle is None or item.handle.model is None:
            continue
        if isinstance(item.error, ContentFilteredError):
            continue  # filtered videos are not billed
        estimate = estimate_cost(item.request, item.handle.model, item.handle.platform)
        cost = None if cost is None or estimate.amount_usd is None else cost + estimate.amount_usd
    uncertain = sum(isinstance(item.error, SubmissionUncertainError) for item in items)
    held = sum(item.held_elsewhere for item in items)
    return BatchSummary(
        total=len(items),
        succeeded=sum(item.ok for item in items),
        failed=sum(item.error is not None for item in items) - uncertain - held,
        uncertain=uncertain,
        skipped=sum(item.skipped for item in items),
        estimated_cost_usd=cost,
        wall_seconds=wall_seconds,
        held_elsewhere=held,
        sent=sum(item.sent for item in items),
    )


async def _settle(call: asyncio.Future[Any]) -> asyncio.CancelledError | None:
    """Waits until ``call`` (a create in flight) is done, through one cancellation.

    The server may accept a create that was sent, and bill it, whatever this process does
    next; so a batch that stops lets each create in flight finish, within the create's own
    deadline, to journal its handle.

    Returns:
        The cancellation that arrived while waiting, for the caller to re-raise once the
        create's outcome is journaled; ``None`` if none did.

    Raises:
        asyncio.CancelledError: A second cancellation (a second Ctrl-C): ``call`` was cancelled
            too, and its outcome is unknown.
    """
    try:
        await asyncio.wait({call})
        return None
    except asyncio.CancelledError as first:
        try:
            await asyncio.wait({call})
        except asyncio.CancelledError:
            call.cancel()
            await asyncio.wait({call})
            raise
        return first


def _link_no_clobber(staging: Path, target: Path, handle: OperationHandle) -> None:
    from veowrap._files import place  # the one no-clobber placement

    try:
        place(staging, target, overwrite=False)
    except FileExistsError:
        if target.is_file() and filecmp.cmp(staging, target, shallow=False):
            return  # already there, byte for byte: this item's own video
        raise _exists(target, handle) from None


def _exists(target: Path, handle: OperationHandle) -> DestinationExistsError:
    return DestinationExistsError(
        f"{str(target)!r} already exists; it was not replaced.",
        path=str(target),
        hint="Move that file away and rerun with the same journal and retry_failed=True, or "
        "save the video from the handle yourself (generator.wait(handle).save(...)).",
        handle=handle,
    )


def _handle(entry: JournalEntry, journal: Journal) -> OperationHandle | None:
    if entry.handle is None:
        return None
    try:
        return OperationHandle.from_json(entry.handle)
    except (VeowrapError, ValueError):
        raise JournalError(
            f"The journal {str(journal.path)!r} holds an unreadable operation handle for item "
            f"{entry.key!r}.",
            path=str(journal.path),
            hint="The operation may exist: look for it in the console. Repair or delete that row, "
            "or rerun with a new journal path.",
        ) from None


def _missing_handle(journal: Journal) -> JournalError:
    return JournalError(
        f"The journal {str(journal.path)!r} records an item as submitted without its operation.",
        path=str(journal.path),
        hint="Look for the operation in the console; mark the item 'uncertain' or delete it.",
    )


def _held(entry: JournalEntry, journal: Journal) -> JournalError:
    owner = entry.owner
    who = f"process {owner.pid} on {owner.host}" if owner else "another process"
    doing = "submitting" if entry.state == "submitting" else "waiting for and saving"
    return JournalError(
        f"Another batch ({who}) sharing the journal {str(journal.path)!r} is {doing} this "
        f"item; it was left to it.",
        path=str(journal.path),
        hint="Let that batch finish, then rerun with the same journal to collect the item.",
    )


def _warn_uncertain(key: str, fingerprint: str) -> None:
    logger.warning(
        "Batch item %s: its create may have been accepted (paid) but no answer arrived; it is "
        "recorded as uncertain and will not be re-sent (request fingerprint %s).",
        key,
        fingerprint[:16],
    )


def _describe(error: VeowrapError) -> dict[str, str]:
    record = {"type": type(error).__name__, "message": error.message}
    if isinstance(error, SubmissionUncertainError):
        record["fingerprint"] = error.fingerprint
    return record


def _uncertain_record(request: VideoRequest, why: str) -> dict[str, str]:
    return _describe(_uncertain_error(request, why))


def _uncertain_error(request: VideoRequest, why: str) -> SubmissionUncertainError:
    return SubmissionUncertainError(
        f"This request's submission is uncertain: {why}.",
        request=request,
        hint="Check for an operation you did not expect; pass resend_uncertain=True to send it "
        "again.",
    )


def _unexpected(error: BaseException) -> VeowrapError:
    # Only the exception's type: its text may carry anything (URLs, headers, a hook's data).
    wrapped = VeowrapError(
        f"This item failed with an unexpected {type(error).__name__}.",
        hint="This is a bug in veowrap or in a hook; the rest of the batch went on. Rerun with "
        "the same journal to retry it.",
    )
    wrapped.__cause__ = error
    return wrapped


def _recorded_error(recorded: dict[str, str] | None) -> VeowrapError:
    from veowrap import _errors

    recorded = recorded or {}
    kind = getattr(_errors, str(recorded.get("type", "")), None)
    message = str(recorded.get("message", "failed in an earlier run"))
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
