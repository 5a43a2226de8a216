"""Leases in a shared journal: who may resume an item, and who must leave it alone."""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import veowrap
from veowrap import _batch, _journal
from veowrap._journal import Journal
from veowrap.testing import VeoEmulator

FAST = {"poll_schedule": veowrap.PollSchedule.fixed(0.02)}
MODEL = "veo-3.1-fast-generate-001"


@pytest.fixture
def emu() -> Iterator[VeoEmulator]:
    with VeoEmulator(latency=0.05) as emulator:
        yield emulator


def journal_with_submitted_item(
    emu: VeoEmulator, tmp_path: Path, owner: tuple[str, int, str | None, float] | None
) -> tuple[Path, veowrap.VideoRequest, veowrap.OperationHandle]:
    """A journal recording one submitted item, held by ``owner`` (host, pid, start, lease age)."""
    gen = veowrap.VideoGenerator(client=emu.client(vertex=True), **FAST)
    request = veowrap.VideoRequest(prompt="a paper boat", model=MODEL)
    handle = gen.submit(request)
    path = tmp_path / "run.sqlite"
    journal = Journal(path)
    journal.register("boat", 0, request.fingerprint())
    journal.mark("boat", "submitted", handle=handle.to_json())
    journal.close()
    if owner is not None:
        host, pid, start, age = owner
        with sqlite3.connect(path) as db:
            db.execute(
                "UPDATE items SET owner_host = ?, owner_pid = ?, owner_start = ?, "
                "owner_run = 'elsewhere', lease_at = ? WHERE key = 'boat'",
                (host, pid, start, time.time() - age),
            )
    return path, request, handle


def run(emu: VeoEmulator, request: veowrap.VideoRequest, **options: Any) -> veowrap.BatchItem:
    gen = veowrap.VideoGenerator(client=emu.client(vertex=True), **FAST)
    (item,) = gen.generate_all([request], keys=["boat"], **options)
    return item


def polls(emu: VeoEmulator) -> int:
    return sum(r.endpoint == "poll" for r in emu.requests)


def test_item_held_by_a_live_remote_owner_is_left_alone(emu: VeoEmulator, tmp_path: Path) -> None:
    path, request, _ = journal_with_submitted_item(emu, tmp_path, ("far-away", 1, None, 1.0))
    item = run(emu, request, journal=path, output_dir=tmp_path / "out")
    assert item.held_elsewhere and not item.ok
    assert isinstance(item.error, veowrap.JournalError) and "far-away" in item.error.message
    assert polls(emu) == 0 and not (tmp_path / "out" / "boat.mp4").exists()
    summary = veowrap.summarize([item], 1.0)
    assert summary.held_elsewhere == 1 and summary.failed == 0
    assert Journal(path).get("boat").owner.run == "elsewhere"  # type: ignore[union-attr]


def test_item_whose_remote_lease_lapsed_is_resumed(emu: VeoEmulator, tmp_path: Path) -> None:
    age = _journal.LEASE_SECONDS + 5
    path, request, handle = journal_with_submitted_item(emu, tmp_path, ("far-away", 1, None, age))
    item = run(emu, request, journal=path, output_dir=tmp_path / "out")
    assert item.ok and item.handle is not None and item.handle.name == handle.name
    assert emu.accepted_submissions == 1  # waited for, never re-sent
    entry = Journal(path).get("boat")
    assert entry is not None and entry.state == "done" and entry.owner is None


def test_item_whose_local_owner_died_is_resumed_at_once(emu: VeoEmulator, tmp_path: Path) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    start = _journal._start_token(dead.pid)
    dead.wait()
    path, request, _ = journal_with_submitted_item(
        emu,
        tmp_path,
        (_journal._HOST, dead.pid, start, 0.0),  # a fresh lease, but no process
    )
    item = run(emu, request, journal=path, output_dir=tmp_path / "out")
    assert item.ok and emu.accepted_submissions == 1


def test_item_held_by_a_live_local_process_is_left_alone(emu: VeoEmulator, tmp_path: Path) -> None:
    alive = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        owner = (_journal._HOST, alive.pid, _journal._start_token(alive.pid), 0.0)
        path, request, _ = journal_with_submitted_item(emu, tmp_path, owner)
        item = run(emu, request, journal=path)
        assert item.held_elsewhere and polls(emu) == 0
    finally:
        alive.kill()
        alive.wait()


def test_a_reused_pid_does_not_keep_a_lease_alive(emu: VeoEmulator, tmp_path: Path) -> None:
    alive = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        if _journal._start_token(alive.pid) is None:
            pytest.skip("no process start times on this platform")
        owner = (_journal._HOST, alive.pid, "another-boot:1", 0.0)  # same pid, other process
        path, request, _ = journal_with_submitted_item(emu, tmp_path, owner)
        item = run(emu, request, journal=path)
        assert item.ok
    finally:
        alive.kill()
        alive.wait()


def test_submitting_item_of_a_live_remote_owner_is_held_not_uncertain(
    emu: VeoEmulator, tmp_path: Path
) -> None:
    path, request, _ = journal_with_submitted_item(emu, tmp_path, ("far-away", 1, None, 1.0))
    with sqlite3.connect(path) as db:
        db.execute("UPDATE items SET state = 'submitting', handle = NULL")
    item = run(emu, request, journal=path)
    assert item.held_elsewhere
    assert Journal(path).get("boat").state == "submitting"  # type: ignore[union-attr]


def test_owner_renews_its_lease_while_waiting(
    emu: VeoEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_batch, "HEARTBEAT_SECONDS", 0.05)
    emu.set_latency(1.0)
    path = tmp_path / "run.sqlite"
    request = veowrap.VideoRequest(prompt="a paper boat", model=MODEL)
    leases: list[float] = []

    async def go() -> None:
        agen = veowrap.AsyncVideoGenerator(client=emu.client(vertex=True), **FAST)
        batch = asyncio.ensure_future(agen.generate_all([request], keys=["boat"], journal=path))
        while not batch.done():
            await asyncio.sleep(0.1)
            try:
                with sqlite3.connect(path) as db:
                    row = db.execute("SELECT state, lease_at FROM items").fetchone()
            except sqlite3.Error:
                continue
            if row and row[0] == "submitted" and row[1] is not None:
                leases.append(row[1])
        (item,) = await batch
        assert item.ok

    asyncio.run(go())
    assert len(set(leases)) >= 3 and leases == sorted(leases)  # renewed again and again
    entry = Journal(path).get("boat")
    assert entry is not None and entry.owner is None and entry.lease_at is None


def test_two_batches_in_one_process_share_a_journal(emu: VeoEmulator, tmp_path: Path) -> None:
    emu.set_latency(0.3)
    path = tmp_path / "run.sqlite"
    reqs = [veowrap.VideoRequest(prompt=f"clip {i}", model=MODEL) for i in range(6)]

    async def go() -> list[list[veowrap.BatchItem]]:
        agen = veowrap.AsyncVideoGenerator(client=emu.client(vertex=True), **FAST)
        return list(
            await asyncio.gather(
                agen.generate_all(reqs, journal=path, requests_per_minute=1200),
                agen.generate_all(reqs, journal=path, requests_per_minute=1200),
            )
        )

    first, second = asyncio.run(go())
    assert emu.accepted_submissions == 6
    for a, b in zip(first, second, strict=True):
        assert (a.ok and not a.skipped) + (b.ok and not b.skipped) <= 1
        assert (a.ok or a.held_elsewhere) and (b.ok or b.held_elsewhere)
