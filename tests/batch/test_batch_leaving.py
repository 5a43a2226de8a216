"""Leaving a batch early never loses a paid job, in either flavour.

However the caller leaves — closing the iterator after a ``break``, dropping it, cancelling the
consuming task, or an ``on_event`` hook raising ``SystemExit``/``KeyboardInterrupt`` — creates
already sent finish and their handles are journaled before the close (or the exception) returns,
nothing new is sent afterwards, and nothing is left behind: no batch thread, no active run, no
signal handler. A rerun with the same journal collects every item without paying twice.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import gc
import logging
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import veowrap
from veowrap._journal import Journal
from veowrap.events import Submitted
from veowrap.testing import Fault, VeoEmulator

FAST = {
    "poll_schedule": veowrap.PollSchedule.fixed(0.02),
    "retry_policy": veowrap.RetryPolicy(attempts=4, initial_delay=0.01, max_delay=0.05, jitter=0),
}
MODEL = "veo-3.1-fast-generate-001"
N = 6
LIMIT = 10.0  # seconds: far beyond what anything here needs; reaching it means a hang
KEYS = [f"k{i}" for i in range(N)]


@pytest.fixture
def emu() -> Iterator[VeoEmulator]:
    with VeoEmulator(latency=0.2) as emulator:
        # Creates 2 and 3 answer late: they are on the wire when the first item is done.
        emulator.inject("create", Fault.stall(0.5), call=2)
        emulator.inject("create", Fault.stall(0.5), call=3)
        yield emulator


def requests() -> list[veowrap.VideoRequest]:
    return [veowrap.VideoRequest(prompt=f"clip number {i}", model=MODEL) for i in range(N)]


def options(tmp_path: Path, **more: Any) -> dict[str, Any]:
    return {
        "keys": KEYS,
        "journal": tmp_path / "run.sqlite",
        "output_dir": tmp_path / "out",
        "concurrency": 3,
        **more,
    }


def creates_by_prompt(emu: VeoEmulator) -> collections.Counter[str]:
    counts: collections.Counter[str] = collections.Counter()
    for request in emu.requests:
        if request.endpoint == "create" and isinstance(request.body, dict):
            counts[request.body["instances"][0]["prompt"]] += 1
    return counts


def rows(tmp_path: Path) -> dict[str, tuple[str, str | None, str | None]]:
    db = sqlite3.connect(tmp_path / "run.sqlite")
    try:
        found = db.execute("SELECT key, state, handle, owner_run FROM items").fetchall()
    finally:
        db.close()
    return {key: (state, handle, owner) for key, state, handle, owner in found}


def batch_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "veowrap-batch" and t.is_alive()]


def all_creates_landed(emu: VeoEmulator) -> None:
    """Waits until the server has accepted every create it received (stalled ones included)."""
    deadline = time.monotonic() + LIMIT
    while emu.accepted_submissions < sum(creates_by_prompt(emu).values()):
        assert time.monotonic() < deadline, "a create never landed"
        time.sleep(0.01)


def assert_nothing_paid_is_lost(emu: VeoEmulator, tmp_path: Path) -> None:
    """Every accepted create has its handle journaled, and nothing is held by a dead run."""
    all_creates_landed(emu)
    journal = rows(tmp_path)
    handles = [handle for _, handle, _ in journal.values() if handle is not None]
    names = sorted(veowrap.OperationHandle.from_json(handle).name for handle in handles)
    assert names == sorted(emu.operations), journal
    assert {state for state, _, _ in journal.values()} <= {"pending", "submitted", "done"}, journal
    assert all(owner is None for _, _, owner in journal.values()), journal
    assert Journal.active_runs() == frozenset()
    assert batch_threads() == []
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def assert_rerun_collects_everything(emu: VeoEmulator, tmp_path: Path) -> None:
    gen = veowrap.VideoGenerator(client=emu.client(vertex=True), **FAST)
    final = gen.generate_all(requests(), **options(tmp_path))
    assert all(item.ok for item in final), [repr(item.error) for item in final]
    creates = creates_by_prompt(emu)
    assert len(creates) == N and set(creates.values()) == {1}, creates
    assert emu.accepted_submissions == N


# -- sync ------------------------------------------------------------------------------------


def test_closing_a_sync_batch_after_break_keeps_creates_in_flight(
    emu: VeoEmulator, tmp_path: Path
) -> None:
    gen = veowrap.VideoGenerator(client=emu.client(vertex=True), **FAST)
    batch = gen.generate_many(requests(), **options(tmp_path))
    with contextlib.closing(batch):
        for _item in batch:
            break
    # close() has returned: the loop and its thread are gone, so nothing can be sent any more.
    sent = sum(creates_by_prompt(emu).values())
    assert_nothing_paid_is_lost(emu, tmp_path)
    assert sent < N  # it really stopped early
    assert_rerun_collects_everything(emu, tmp_path)


def test_dropping_a_sync_batch_keeps_creates_in_flight(emu: VeoEmulator, tmp_path: Path) -> None:
    gen = veowrap.VideoGenerator(client=emu.client(vertex=True), **FAST)
    batch = iter(gen.generate_many(requests(), **options(tmp_path)))
    next(batch)
    del batch  # its finalizer winds the batch down
    gc.collect()
    assert_nothing_paid_is_lost(emu, tmp_path)
    assert_rerun_collects_everything(emu, tmp_path)


@pytest.mark.parametrize("exit_with", [SystemExit(3), KeyboardInterrupt()], ids=["exit", "ctrl-c"])
def test_a_sync_hook_raising_a_base_exception_stops_the_batch_cleanly(
    emu: VeoEmulator, tmp_path: Path, exit_with: BaseException
) -> None:
    seen: list[Any] = []

    def hook(event: Any) -> None:
        seen.append(event)
        if isinstance(event, Submitted):
            raise exit_with

    gen = veowrap.VideoGenerator(client=emu.client(vertex=True), **FAST)
    with pytest.raises(type(exit_with)) as raised:
        gen.generate_all(requests(), **options(tmp_path, on_event=hook))
    assert raised.value is exit_with
    assert len(seen) == 1  # no event after the one the hook stopped at
    journal = rows(tmp_path)
    assert seen[0].handle.to_json() in {handle for _, handle, _ in journal.values()}
    assert_nothing_paid_is_lost(emu, tmp_path)
    assert_rerun_collects_everything(emu, tmp_path)


def test_a_sync_batch_without_journal_logs_the_jobs_created_while_closing(
    emu: VeoEmulator, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    gen = veowrap.VideoGenerator(client=emu.client(vertex=True), **FAST)
    yielded: list[veowrap.BatchItem] = []
    with caplog.at_level(logging.WARNING, logger="veowrap"):
        batch = gen.generate_many(requests(), output_dir=tmp_path / "out", concurrency=3)
        with contextlib.closing(batch):
            for item in batch:
                yielded.append(item)
                break
    assert batch_threads() == []
    all_creates_landed(emu)
    known = {item.handle.name for item in yielded if item.handle is not None}
    for name in emu.operations:  # every paid job is either in the caller's hands or logged
        assert name in known or name in caplog.text, (name, caplog.text)


def test_a_sync_batch_left_open_at_interpreter_exit_does_not_hang(tmp_path: Path) -> None:
    # At exit the (daemon) worker is frozen: the iterator's finalizer must not wait for it.
    script = textwrap.dedent(
        f"""
        import veowrap
        from veowrap.testing import VeoEmulator
        emu = VeoEmulator(latency=0.2).start()
        gen = veowrap.VideoGenerator(
            client=emu.client(vertex=True), poll_schedule=veowrap.PollSchedule.fixed(0.02)
        )
        reqs = [veowrap.VideoRequest(prompt=f"p{{i}}", model={MODEL!r}) for i in range(4)]
        BATCH = iter(gen.generate_many(reqs, journal={str(tmp_path / "run.sqlite")!r}))
        print(next(BATCH).key, flush=True)
        """
    )
    child = subprocess.run(
        [sys.executable, "-c", script],
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
        capture_output=True,
        text=True,
        timeout=LIMIT,
        check=False,
    )
    assert child.returncode == 0, child.stderr


# -- async -----------------------------------------------------------------------------------


def test_closing_an_async_batch_after_break_keeps_creates_in_flight(
    emu: VeoEmulator, tmp_path: Path
) -> None:
    async def go() -> None:
        agen = veowrap.AsyncVideoGenerator(client=emu.client(vertex=True), **FAST)
        async with contextlib.aclosing(agen.generate_many(requests(), **options(tmp_path))) as b:
            async for _item in b:
                break
        # aclose() has returned: nothing of the batch is still running.
        current = asyncio.current_task()
        assert [t for t in asyncio.all_tasks() if t is not current] == []

    asyncio.run(go())
    assert_nothing_paid_is_lost(emu, tmp_path)
    assert_rerun_collects_everything(emu, tmp_path)


def test_cancelling_the_task_consuming_an_async_batch_keeps_creates_in_flight(
    emu: VeoEmulator, tmp_path: Path
) -> None:
    async def go() -> None:
        agen = veowrap.AsyncVideoGenerator(client=emu.client(vertex=True), **FAST)
        first = asyncio.Event()

        async def consume() -> None:
            async for _item in agen.generate_many(requests(), **options(tmp_path)):
                first.set()

        task = asyncio.create_task(consume())
        await first.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        # The cancellation completed only once every item task had recorded its state.
        assert [t for t in asyncio.all_tasks() if t is not asyncio.current_task()] == []

    asyncio.run(go())
    assert_nothing_paid_is_lost(emu, tmp_path)
    assert_rerun_collects_everything(emu, tmp_path)


@pytest.mark.parametrize("exit_with", [SystemExit(3), KeyboardInterrupt()], ids=["exit", "ctrl-c"])
def test_an_async_hook_raising_a_base_exception_stops_the_batch_cleanly(
    emu: VeoEmulator, tmp_path: Path, exit_with: BaseException
) -> None:
    seen: list[Any] = []

    def hook(event: Any) -> None:
        seen.append(event)
        if isinstance(event, Submitted):
            raise exit_with

    async def go() -> BaseException | None:
        agen = veowrap.AsyncVideoGenerator(client=emu.client(vertex=True), **FAST)
        try:
            async for _item in agen.generate_many(requests(), **options(tmp_path, on_event=hook)):
                pass
        except BaseException as error:  # what the consumer gets: the hook's own exception
            return error
        return None

    assert asyncio.run(go()) is exit_with
    assert len(seen) == 1
    assert seen[0].handle.to_json() in {handle for _, handle, _ in rows(tmp_path).values()}
    assert_nothing_paid_is_lost(emu, tmp_path)
    assert_rerun_collects_everything(emu, tmp_path)
