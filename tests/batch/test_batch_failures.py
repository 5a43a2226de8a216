"""A batch never hangs: whatever goes wrong in one item becomes that item's typed error.

And an interrupted submission is never lost: the interruption waits for the create's answer and
journals the handle; a second interruption stops waiting and records it as uncertain, with a
warning naming it, so the paid job can be found.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import veowrap
from veowrap._batch import item_keys
from veowrap._journal import Journal
from veowrap.testing import Fault, VeoEmulator

FAST = {
    "poll_schedule": veowrap.PollSchedule.fixed(0.02),
    "retry_policy": veowrap.RetryPolicy(attempts=4, initial_delay=0.01, max_delay=0.05, jitter=0),
}
MODEL = "veo-3.1-fast-generate-001"
LIMIT = 20.0  # seconds: far beyond what any of these batches needs; reaching it means a hang


@pytest.fixture
def emu() -> Iterator[VeoEmulator]:
    with VeoEmulator(latency=0.05) as emulator:
        yield emulator


def requests(count: int) -> list[veowrap.VideoRequest]:
    return [veowrap.VideoRequest(prompt=f"clip number {i}", model=MODEL) for i in range(count)]


def run_async(emu: VeoEmulator, reqs: list[Any], **options: Any) -> list[veowrap.BatchItem]:
    async def go() -> list[veowrap.BatchItem]:
        agen = veowrap.AsyncVideoGenerator(client=emu.client(vertex=True), **FAST)
        return await asyncio.wait_for(agen.generate_all(reqs, **options), LIMIT)

    return asyncio.run(go())


def run_sync(emu: VeoEmulator, reqs: list[Any], **options: Any) -> list[veowrap.BatchItem]:
    """The sync engine in a thread, so that a hang fails the test instead of stalling it."""
    found: list[Any] = []
    gen = veowrap.VideoGenerator(client=emu.client(vertex=True), **FAST)

    def go() -> None:
        try:
            found.append(gen.generate_all(reqs, **options))
        except BaseException as error:
            found.append(error)

    worker = threading.Thread(target=go, daemon=True)
    worker.start()
    worker.join(LIMIT)
    assert found, "the batch hung"
    if isinstance(found[0], BaseException):
        raise found[0]
    result: list[veowrap.BatchItem] = found[0]
    return result


def prepared_journal(tmp_path: Path, reqs: list[veowrap.VideoRequest]) -> tuple[Path, list[str]]:
    path = tmp_path / "run.sqlite"
    journal = Journal(path)
    keys = item_keys(reqs, None)
    for index, request in enumerate(reqs):
        journal.register(keys[index], index, request.fingerprint())
    journal.close()
    return path, keys


def tamper(path: Path, sql: str, *args: Any) -> None:
    with sqlite3.connect(path) as db:
        db.execute(sql, args)


@pytest.mark.parametrize("runner", [run_async, run_sync])
def test_corrupt_json_in_a_journal_column_fails_that_item_only(
    runner: Any, emu: VeoEmulator, tmp_path: Path
) -> None:
    reqs = requests(3)
    path, keys = prepared_journal(tmp_path, reqs)
    tamper(path, "UPDATE items SET state = 'done', paths = '[\"a.mp4\", ' WHERE key = ?", keys[1])
    items = runner(emu, reqs, journal=path)
    assert isinstance(items[1].error, veowrap.JournalError)
    assert str(path) in str(items[1].error) and items[1].error.hint
    assert items[0].ok and items[2].ok
    assert emu.accepted_submissions == 2


@pytest.mark.parametrize(
    "handle",
    [
        "not json at all",
        '{"name": 42}',
        '{"name": "projects/p/locations/l/publishers/google/models/m/operations/nope",'
        ' "platform": "vertex"}',
    ],
)
def test_bogus_handle_in_the_journal_fails_that_item_only(
    handle: str, emu: VeoEmulator, tmp_path: Path
) -> None:
    reqs = requests(3)
    path, keys = prepared_journal(tmp_path, reqs)
    tamper(path, "UPDATE items SET state = 'submitted', handle = ? WHERE key = ?", handle, keys[0])
    items = run_async(emu, reqs, journal=path)
    assert isinstance(items[0].error, veowrap.VeowrapError)
    assert items[1].ok and items[2].ok
    assert emu.accepted_submissions == 2  # the recorded item is never re-sent


def test_journal_from_an_unknown_older_layout_is_a_typed_error(
    emu: VeoEmulator, tmp_path: Path
) -> None:
    path = tmp_path / "old.sqlite"
    tamper(path, "CREATE TABLE items (key TEXT PRIMARY KEY, state TEXT)")
    with pytest.raises(veowrap.JournalError, match=r"old\.sqlite"):
        run_async(emu, requests(2), journal=path)
    assert emu.requests == []


def test_journal_locked_by_another_connection_is_a_typed_error(
    emu: VeoEmulator, tmp_path: Path
) -> None:
    reqs = requests(2)
    path, _ = prepared_journal(tmp_path, reqs)
    journal = Journal(path, lock_timeout=0.3)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # another program keeps the write lock
    try:
        started = time.monotonic()
        items = run_async(emu, reqs, journal=journal)
        assert time.monotonic() - started < 5
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert all(isinstance(item.error, veowrap.JournalError) for item in items)
    assert all("locked" in item.error.message for item in items if item.error)
    assert emu.requests == []


def test_journal_locked_at_the_start_is_refused_at_call_time(
    emu: VeoEmulator, tmp_path: Path
) -> None:
    path = tmp_path / "run.sqlite"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(veowrap.JournalError, match="locked"):
            Journal(path, lock_timeout=0.3)
    finally:
        holder.execute("ROLLBACK")
        holder.close()


@pytest.mark.parametrize("runner", [run_async, run_sync])
def test_on_event_hook_that_raises_is_logged_once_and_does_not_stall(
    runner: Any, emu: VeoEmulator, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    def hook(event: Any) -> None:
        raise RuntimeError("token=SECRET-IN-HOOK")

    with caplog.at_level(logging.WARNING, logger="veowrap"):
        items = runner(emu, requests(4), on_event=hook, journal=tmp_path / "j.sqlite")
    assert all(item.ok for item in items)
    reports = [r for r in caplog.records if "on_event" in r.getMessage()]
    assert len(reports) == 1 and "RuntimeError" in reports[0].getMessage()
    assert "SECRET" not in caplog.text


def submitting_keys(path: Path) -> list[str]:
    try:
        with sqlite3.connect(path) as db:
            rows = db.execute("SELECT key FROM items WHERE state = 'submitting'").fetchall()
    except sqlite3.Error:
        return []
    return [key for (key,) in rows]


def create_in_flight(path: Path, emu: VeoEmulator) -> bool:
    return bool(submitting_keys(path) and emu.requests)


def stopping(caplog: pytest.LogCaptureFixture) -> bool:
    """Whether the batch has said it waits for its creates in flight."""
    return any("Stopping the batch" in r.getMessage() for r in list(caplog.records))


def test_cancelling_a_batch_during_submit_journals_the_created_job(
    emu: VeoEmulator, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # The create may be accepted (and billed) whatever this process does: the cancellation
    # waits for its answer and journals the handle, so a rerun resumes the paid job.
    emu.inject("create", Fault.stall(0.5), call=1)
    reqs = requests(1)
    path = tmp_path / "run.sqlite"

    async def go() -> None:
        agen = veowrap.AsyncVideoGenerator(client=emu.client(vertex=True), **FAST)
        task = asyncio.ensure_future(agen.generate_all(reqs, journal=path))
        deadline = time.monotonic() + LIMIT
        while not create_in_flight(path, emu):
            assert time.monotonic() < deadline
            await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    with caplog.at_level(logging.WARNING, logger="veowrap"):
        asyncio.run(go())
    assert stopping(caplog)
    entry = Journal(path).get(item_keys(reqs, None)[0])
    assert entry is not None and entry.state == "submitted" and entry.handle is not None
    assert entry.owner is None  # released: any run may resume it
    assert emu.accepted_submissions == 1
    (item,) = run_async(emu, reqs, journal=path)
    assert item.ok and emu.accepted_submissions == 1


def test_cancelling_a_batch_twice_during_submit_records_uncertain(
    emu: VeoEmulator, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    emu.inject("create", Fault.stall(3), call=1)
    reqs = requests(1)
    path = tmp_path / "run.sqlite"

    async def go() -> None:
        agen = veowrap.AsyncVideoGenerator(client=emu.client(vertex=True), **FAST)
        task = asyncio.ensure_future(agen.generate_all(reqs, journal=path))
        deadline = time.monotonic() + LIMIT
        while not create_in_flight(path, emu):
            assert time.monotonic() < deadline
            await asyncio.sleep(0.01)
        task.cancel()
        while not stopping(caplog):  # the batch waits for the create...
            assert time.monotonic() < deadline
            await asyncio.sleep(0.01)
        task.cancel()  # ...until cancelled again
        with pytest.raises(asyncio.CancelledError):
            await task

    with caplog.at_level(logging.WARNING, logger="veowrap"):
        asyncio.run(go())
    key, fingerprint = item_keys(reqs, None)[0], reqs[0].fingerprint()
    entry = Journal(path).get(key)
    assert entry is not None and entry.state == "uncertain"
    assert entry.error is not None and entry.error.get("fingerprint") == fingerprint
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any(key in text and fingerprint[:16] in text for text in warnings), warnings


@contextlib.contextmanager
def interrupting(*conditions: Callable[[], bool]) -> Iterator[None]:
    """Sends SIGINT to this process once each condition holds in turn, within the block only."""
    finished = threading.Event()

    def send() -> None:
        for condition in conditions:
            while not condition():
                if finished.wait(0.01):
                    return
            os.kill(os.getpid(), signal.SIGINT)

    sender = threading.Thread(target=send, daemon=True)
    sender.start()
    try:
        yield
    finally:
        finished.set()  # never a stray SIGINT into a later test
        sender.join()


def test_ctrl_c_in_a_sync_batch_during_submit_journals_the_created_job(
    emu: VeoEmulator, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    emu.inject("create", Fault.stall(0.5), call=1)
    reqs = requests(1)
    path = tmp_path / "run.sqlite"
    gen = veowrap.VideoGenerator(client=emu.client(vertex=True), **FAST)
    with (
        caplog.at_level(logging.WARNING, logger="veowrap"),
        interrupting(lambda: create_in_flight(path, emu)),
        pytest.raises(KeyboardInterrupt),
    ):
        gen.generate_all(reqs, journal=path)
    assert stopping(caplog)
    entry = Journal(path).get(item_keys(reqs, None)[0])
    assert entry is not None and entry.state == "submitted" and entry.handle is not None
    assert emu.accepted_submissions == 1
    assert [t for t in threading.enumerate() if t.name == "veowrap-batch"] == []


def test_a_second_ctrl_c_in_a_sync_batch_during_submit_records_uncertain(
    emu: VeoEmulator, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    emu.inject("create", Fault.stall(3), call=1)
    reqs = requests(1)
    path = tmp_path / "run.sqlite"
    gen = veowrap.VideoGenerator(client=emu.client(vertex=True), **FAST)
    with (
        caplog.at_level(logging.WARNING, logger="veowrap"),
        interrupting(lambda: create_in_flight(path, emu), lambda: stopping(caplog)),
        pytest.raises(KeyboardInterrupt),
    ):
        gen.generate_all(reqs, journal=path)
    key = item_keys(reqs, None)[0]
    entry = Journal(path).get(key)
    assert entry is not None and entry.state == "uncertain"
    assert any(key in r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)
    assert [t for t in threading.enumerate() if t.name == "veowrap-batch"] == []
    assert Journal.active_runs() == frozenset()


def test_journal_failing_after_the_create_keeps_the_paid_job(
    emu: VeoEmulator, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # The journal is locked by another program from the moment the create is in flight until
    # after it was answered: recording "submitted" fails. The job is paid: the batch must carry
    # on with it, say where it is, and journal it as soon as the journal works again.
    emu.set_latency(1.0)
    emu.inject("create", Fault.stall(0.3), call=1)
    reqs = requests(1)
    path, keys = prepared_journal(tmp_path, reqs)
    journal = Journal(path, lock_timeout=0.1)
    released = threading.Event()

    def lock_during_create() -> None:
        deadline = time.monotonic() + LIMIT
        while not any(r.endpoint == "create" for r in emu.requests):
            if time.monotonic() > deadline:
                return
            time.sleep(0.005)
        holder = sqlite3.connect(path, isolation_level=None)
        holder.execute("BEGIN EXCLUSIVE")
        time.sleep(0.6)
        holder.execute("ROLLBACK")
        holder.close()
        released.set()

    threading.Thread(target=lock_during_create, daemon=True).start()
    with caplog.at_level(logging.WARNING, logger="veowrap"):
        (item,) = run_async(emu, reqs, journal=journal)
    assert released.is_set()
    assert item.ok and item.handle is not None
    assert any(item.handle.name in r.getMessage() for r in caplog.records)
    entry = Journal(path).get(keys[0])
    assert entry is not None and entry.state == "done" and entry.handle is not None
