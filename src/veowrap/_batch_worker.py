"""A batch as one worker among many, on a shared (PostgreSQL) journal.

Every worker of a batch runs this with the same requests: the first loads the items, the others
find them loaded. Instead of one task per item (as on an SQLite journal), one dispatcher per
worker takes the next item until none is left:

1. an operation to resume (a ``submitted`` item whose worker died): claimed at once, since no
   create is sent for it;
2. otherwise it books one slot from the shared pacer, waits for it, and only then claims the
   next item to send (``SELECT … FOR UPDATE SKIP LOCKED``; ``submitting`` and the lease,
   committed) and sends its create.

Each item then runs as its own task (at most ``concurrency`` at once). A worker books one slot
at a time, so no slot is booked for an item another worker takes, nothing waits claimed for a
slot (dying there would leave an item uncertain for nothing), and the one claim between a slot
and its create is the only database call on that path. The rules of each look are
:func:`veowrap._core.batch_rules.decide` and :func:`~veowrap._core.batch_rules.for_stage`.

Items this worker did not take are reported at the end from the journal: done (by another
worker), failed, uncertain, or still held by a live worker.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from veowrap._core import batch_rules
from veowrap._core.batch_rules import Decision, Slot, Stage
from veowrap._errors import JournalError, VeowrapError
from veowrap._journal import LEASE_SECONDS, JournalEntry, State

if TYPE_CHECKING:
    from veowrap._batch import BatchItem, BatchRunner
    from veowrap._journals import BatchJournal

__all__ = ["run_worker"]

_RESUME_LOOK_SECONDS = 1.0
_UNCERTAIN = {
    "type": "SubmissionUncertainError",
    "message": "This request's submission is uncertain: the worker stopped while submitting it.",
}


async def run_worker(runner: BatchRunner) -> AsyncIterator[BatchItem]:
    """Runs ``runner``'s batch as one worker; yields an item for every request, as they end."""
    from veowrap._batch import BatchItem, _Lease, _SafeHook, _unexpected, _warn_uncertain

    journal = runner.journal
    assert journal is not None
    journal.load(
        [(key, i, request.fingerprint()) for i, (key, request) in enumerate(_pairs(runner))]
    )
    loop = asyncio.get_running_loop()
    stopped: asyncio.Future[None] = loop.create_future()

    def wake() -> None:
        if not stopped.done():
            stopped.set_result(None)

    def stop() -> None:  # the hook asked to stop
        runner._stopping = True
        loop.call_soon_threadsafe(wake)

    runner._hook = _SafeHook(runner.on_event, on_stop=stop)
    runner._lease = _Lease(journal, journal.begin_run())
    seen = {entry.key: entry.claims for entry in journal.entries()}
    index_of = {key: index for index, key in enumerate(runner.keys)}
    out: asyncio.Queue[BatchItem | None] = asyncio.Queue()
    yielded: set[int] = set()
    failures: list[BaseException] = []

    def take(stage: Stage) -> tuple[JournalEntry, Decision] | None:
        assert runner._lease is not None
        me, active = runner._lease.owner, journal.active_runs()

        def decide(entry: JournalEntry) -> tuple[Decision, Any]:
            if entry.key not in index_of:  # another input's item: not this worker's to run
                return Decision("held"), None
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
            decision = batch_rules.for_stage(
                batch_rules.decide(
                    Slot(entry.state, entry.handle is not None, entry.claims),
                    verdict,
                    phase="send",
                    resend_uncertain=runner.resend_uncertain,
                    retry_failed=runner.retry_failed,
                    seen_claims=seen.get(entry.key, entry.claims),
                ),
                stage,
            )
            return decision, decision.write

        claimed, offered = journal.claim_next(
            decide, me, states=_states(runner, stage), error=_UNCERTAIN
        )
        for entry, decision in offered:
            if decision.write == "mark_uncertain":
                _warn_uncertain(entry.key, entry.fingerprint)
        return claimed

    async def one(entry: JournalEntry, decision: Decision) -> BatchItem | None:
        index = index_of[entry.key]
        item = BatchItem(index=index, key=entry.key, request=runner.requests[index])
        if decision.action == "resume":
            return await runner._guarded(index, lambda it: _resume(runner, it, entry))
        try:
            handle = await runner._send(item)
        except VeowrapError as error:
            return replace(item, error=error, handle=error.handle, sent=item.key in runner._sent)
        except Exception as error:
            return replace(item, error=_unexpected(error))
        if handle is None:
            return None  # refused for quota: pending again, for whichever worker comes next
        sent = handle
        return await runner._guarded(index, lambda it: runner._finish(it, sent))

    def sendable() -> bool:
        # After a look that found nothing: book a slot only if something may be sent, so a
        # worker waiting for its last jobs does not push the other workers' slots back.
        counts = journal.counts()
        return any(counts[state] for state in _states(runner, "submit"))

    async def taking(stage: Stage) -> tuple[JournalEntry, Decision] | None:
        """``take`` in a thread. If the batch stops meanwhile, the claim the thread may still
        commit is given back (nothing was sent for it) before the stop goes on."""
        call = asyncio.ensure_future(asyncio.to_thread(take, stage))
        try:
            return await asyncio.shield(call)
        except asyncio.CancelledError:
            claimed = await call
            if claimed is not None:
                back: State = "submitted" if claimed[1].action == "resume" else "pending"
                runner._record(claimed[0].key, back)
            raise

    async def run_one(claimed: tuple[JournalEntry, Decision], gate: asyncio.Semaphore) -> None:
        try:
            item = await one(*claimed)
            if item is not None:
                out.put_nowait(item)
        finally:
            gate.release()

    async def dispatch() -> None:
        # The database calls run in threads: a loop blocked on one would wake the sleepers
        # late and together, and creates sent in a bunch trip a sliding-window quota.
        gate = asyncio.Semaphore(runner.concurrency)
        running: set[asyncio.Future[None]] = set()
        next_resume_look, last_look, found_nothing = 0.0, False, False

        def start(claimed: tuple[JournalEntry, Decision]) -> None:
            task = asyncio.ensure_future(run_one(claimed, gate))
            running.add(task)
            task.add_done_callback(running.discard)

        try:
            while not runner._stopping:
                await gate.acquire()
                claimed = None
                # Orphaned operations appear only when a worker dies: looking for them once a
                # second keeps a round trip off the path of every create.
                if time.monotonic() >= next_resume_look:
                    claimed = await taking("resume")
                    if claimed is None:
                        next_resume_look = time.monotonic() + _RESUME_LOOK_SECONDS
                if claimed is None and (not found_nothing or sendable()):
                    delay = await asyncio.to_thread(runner.pacer.reserve, runner._loop_time())
                    if delay > 0:
                        await asyncio.sleep(delay)
                    if runner._stopping:
                        gate.release()
                        break
                    claimed = await taking("submit")
                    found_nothing = claimed is None
                if claimed is not None:
                    start(claimed)
                    continue
                gate.release()
                if not running:
                    if last_look:
                        break  # nothing left to take, nothing of ours that could come back
                    last_look, next_resume_look = True, 0.0  # one more look for orphans
                    continue
                last_look = False
                # An item of ours refused for quota comes back as pending: wait, look again.
                await asyncio.wait(set(running), return_when=asyncio.FIRST_COMPLETED)
            if running:
                await asyncio.wait(set(running))
        except JournalError as error:
            failures.append(error)
        finally:
            for task in running:
                task.cancel()
            if running:
                await asyncio.wait(set(running))
            out.put_nowait(None)

    tasks: list[asyncio.Future[None]] = []
    beat: asyncio.Future[None] | None = None
    try:
        tasks = [asyncio.ensure_future(dispatch())]
        beat = asyncio.ensure_future(runner._heartbeat())
        finished = 0
        while finished < len(tasks):
            getting: asyncio.Future[BatchItem | None] = asyncio.ensure_future(out.get())
            either: list[asyncio.Future[Any]] = [getting, stopped]
            await asyncio.wait(either, return_when=asyncio.FIRST_COMPLETED)
            if not getting.done():
                getting.cancel()
                break
            got = getting.result()
            if got is None:
                finished += 1
            else:
                yielded.add(got.index)
                yield got
        if failures:
            raise failures[0]
        if not stopped.done():
            for item in _the_rest(runner, journal, yielded):
                yield item
    finally:
        stopped.cancel()
        await runner._wind_down(tasks, beat)
    if runner._hook.stop is not None:
        raise runner._hook.stop


async def _resume(runner: BatchRunner, item: BatchItem, entry: JournalEntry) -> BatchItem:
    from veowrap._batch import _describe, _handle, _missing_handle

    assert runner._lease is not None
    handle = _handle(entry, runner._lease.journal)
    if handle is None:
        missing = _missing_handle(runner._lease.journal)
        runner._record(item.key, "failed", error=_describe(missing))
        raise missing
    return await runner._finish(replace(item, handle=handle), handle)


def _the_rest(runner: BatchRunner, journal: BatchJournal, yielded: set[int]) -> list[BatchItem]:
    """The items this worker did not take, as the journal shows them now."""
    from veowrap._batch import BatchItem, _handle

    entries = {entry.key: entry for entry in journal.entries()}
    items = []
    for index, key in enumerate(runner.keys):
        entry = entries.get(key)
        if index in yielded or entry is None:
            continue
        action: batch_rules.Action = {
            "done": "skip_done",
            "failed": "report_failed",
            "uncertain": "report_uncertain",
        }.get(entry.state, "held")  # type: ignore[assignment]
        item = BatchItem(index=index, key=key, request=runner.requests[index])
        try:
            handle = _handle(entry, journal)
        except JournalError as error:
            items.append(replace(item, error=error))
            continue
        items.append(runner._report(replace(item, handle=handle), entry, action))
    return items


def _states(runner: BatchRunner, stage: Stage) -> list[State]:
    """The states worth looking at in each stage (the rest cannot be claimed there)."""
    if stage == "resume":
        looks: list[State] = ["submitting", "submitted"]
        return [*looks, "failed"] if runner.retry_failed else looks
    states: list[State] = ["pending"]
    if runner.resend_uncertain:
        states.extend(("uncertain", "submitting"))
    if runner.retry_failed:
        states.append("failed")
    return states


def _pairs(runner: BatchRunner) -> list[tuple[str, Any]]:
    return list(zip(runner.keys, runner.requests, strict=True))
