"""Several worker processes on one PostgreSQL batch, against the emulator: every item is paid
for exactly once, whoever sends it, and a worker killed mid-way loses nothing."""

from __future__ import annotations

import collections
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from veowrap._journal_postgres import PostgresJournal
from veowrap.testing import Fault, PostgresServer, VeoEmulator

WORKER = Path(__file__).with_name("_worker.py")
MODEL = "veo-3.1-generate-001"


@pytest.fixture
def emu() -> Iterator[VeoEmulator]:
    with VeoEmulator(latency=0.05) as emulator:
        yield emulator


def spawn(emu: VeoEmulator, dsn: str, **config: Any) -> subprocess.Popen[str]:
    settings = {"base_url": emu.base_url, "token": emu.token, "model": MODEL, "journal": dsn}
    return subprocess.Popen(
        [sys.executable, str(WORKER), json.dumps({**settings, **config})],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )


def finish(worker: subprocess.Popen[str]) -> list[dict[str, Any]]:
    out, err = worker.communicate(timeout=120)
    assert worker.returncode == 0, err
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


def start_together(
    emu: VeoEmulator, dsn: str, tmp_path: Path, workers: int, **config: Any
) -> list[subprocess.Popen[str]]:
    go = tmp_path / "go"
    started = [
        spawn(emu, dsn, ready=str(tmp_path / f"ready-{n}"), go=str(go), **config)
        for n in range(workers)
    ]
    deadline = time.monotonic() + 60
    while not all((tmp_path / f"ready-{n}").exists() for n in range(workers)):
        assert time.monotonic() < deadline, "the workers did not start"
        time.sleep(0.01)
    go.touch()
    return started


def creates_per_prompt(emu: VeoEmulator) -> collections.Counter[str]:
    return collections.Counter(
        r.body["instances"][0]["prompt"]  # type: ignore[index]
        for r in emu.requests
        if r.endpoint == "create"
    )


def states(dsn: str, batch: str = "default") -> dict[str, str]:
    with psycopg.connect(dsn) as db:
        try:
            rows = db.execute(
                "SELECT key, state FROM veowrap_items WHERE batch = %s", (batch,)
            ).fetchall()
        except psycopg.errors.UndefinedTable:
            return {}  # no worker has created the schema yet
    return dict(rows)


def test_four_workers_send_every_item_exactly_once(
    emu: VeoEmulator, pg_dsn: str, tmp_path: Path
) -> None:
    count = 60
    workers = start_together(
        emu, pg_dsn, tmp_path, 4, count=count, concurrency=6, output_dir=str(tmp_path / "out")
    )
    reports = [finish(worker) for worker in workers]

    per_prompt = creates_per_prompt(emu)
    assert len(per_prompt) == count and max(per_prompt.values()) == 1  # never two creates
    assert emu.accepted_submissions == count
    assert set(states(pg_dsn).values()) == {"done"}
    assert len(list((tmp_path / "out").glob("*.mp4"))) == count
    sent = sorted(r["key"] for report in reports for r in report if r["sent"])
    assert sent == [f"clip-{i:03d}" for i in range(count)]  # each item sent by one worker
    for report in reports:  # every worker reports every item: its own, or another worker's
        assert sorted(r["key"] for r in report) == sent
        assert all(r["ok"] or r["held"] for r in report), report  # done, or still running there
    assert sum(any(r["sent"] for r in report) for report in reports) >= 2  # work was shared


def test_four_workers_share_one_quota(emu: VeoEmulator, pg_dsn: str, tmp_path: Path) -> None:
    count = 200
    emu.set_quota(60, per_seconds=1.0)  # 3600 a minute, a sliding window
    workers = start_together(
        emu, pg_dsn, tmp_path, 4, count=count, concurrency=8, rpm=2400, poll=0.05
    )
    reports = [finish(worker) for worker in workers]

    assert emu.accepted_submissions == count  # paid once each: 200 items, 200 paid, all done
    assert set(states(pg_dsn).values()) == {"done"}
    assert all(r["ok"] or r["held"] for report in reports for r in report)
    # The shared pacer keeps the four workers under the one quota: not the storm of 429s
    # that four pacers each at the full rate meet (see benchmarks/workers.py for figures).
    assert emu.quota_rejections <= count // 10, emu.quota_rejections


def wait_for(check: Any, what: str) -> None:
    deadline = time.monotonic() + 30
    while not check():
        assert time.monotonic() < deadline, what
        time.sleep(0.01)


def test_a_worker_killed_mid_submit_leaves_its_item_uncertain(
    emu: VeoEmulator, pg_dsn: str, tmp_path: Path
) -> None:
    emu.inject("create", Fault.stall(10), call=1)  # the first create hangs in flight
    first = spawn(emu, pg_dsn, count=4, concurrency=1)
    wait_for(
        lambda: (
            any(r.endpoint == "create" for r in emu.requests)
            and "submitting" in states(pg_dsn).values()
        ),
        "the worker never reached 'submitting'",
    )
    first.send_signal(signal.SIGKILL)
    first.wait()

    others = [spawn(emu, pg_dsn, count=4, concurrency=2) for _ in range(2)]
    reports = [finish(worker) for worker in others]
    for report in reports:
        uncertain = [r["key"] for r in report if r["error"] == "SubmissionUncertainError"]
        assert uncertain == ["clip-000"]  # reported by every worker, never re-sent
    assert creates_per_prompt(emu)["clip number 0"] == 1
    assert max(creates_per_prompt(emu).values()) == 1
    assert states(pg_dsn) == {
        "clip-000": "uncertain", "clip-001": "done", "clip-002": "done", "clip-003": "done"
    }  # fmt: skip

    decided = finish(spawn(emu, pg_dsn, count=4, concurrency=2, resend_uncertain=True))
    assert all(r["ok"] for r in decided)
    assert creates_per_prompt(emu)["clip number 0"] == 2  # only because the caller opted in
    assert set(states(pg_dsn).values()) == {"done"}


def test_a_worker_killed_after_its_create_leaves_a_handle_others_resume(
    emu: VeoEmulator, pg_dsn: str, tmp_path: Path
) -> None:
    emu.set_latency(1.0)  # the worker is killed while it waits for its operations
    first = spawn(emu, pg_dsn, count=3, concurrency=3, output_dir=str(tmp_path / "a"))
    wait_for(lambda: list(states(pg_dsn).values()) == ["submitted"] * 3, "no handles recorded")
    first.send_signal(signal.SIGKILL)
    first.wait()
    assert emu.accepted_submissions == 3

    second = spawn(emu, pg_dsn, count=3, concurrency=3, output_dir=str(tmp_path / "b"))
    report = finish(second)
    assert emu.accepted_submissions == 3  # resumed, not re-sent
    assert all(r["ok"] and not r["sent"] for r in report), report
    assert set(states(pg_dsn).values()) == {"done"}
    assert len(list((tmp_path / "b").glob("*.mp4"))) == 3


def workers_running(dsn: str) -> int:
    with psycopg.connect(dsn) as db:
        row = db.execute("SELECT count(*) FROM veowrap_workers").fetchone()
    return 0 if row is None else int(row[0])


def test_workers_ride_out_a_database_restart(
    emu: VeoEmulator, pg_server: PostgresServer, pg_dsn: str
) -> None:
    emu.set_latency(0.3)
    # 30 creates at 10 a second: the batch runs for 3 s, both workers join long before its end.
    workers = [spawn(emu, pg_dsn, count=30, concurrency=10, rpm=600) for _ in range(2)]
    wait_for(lambda: "submitted" in states(pg_dsn).values(), "no create recorded")
    wait_for(lambda: workers_running(pg_dsn) == 2, "the second worker did not start")
    pg_server.restart()  # every connection breaks mid-batch
    reports = [finish(worker) for worker in workers]
    assert emu.accepted_submissions == 30
    assert max(creates_per_prompt(emu).values()) == 1
    assert set(states(pg_dsn).values()) == {"done"}
    assert all(r["ok"] or r["held"] for report in reports for r in report)


def test_a_worker_on_a_stale_schema_stops_with_a_typed_error(emu: VeoEmulator, pg_dsn: str) -> None:
    import veowrap

    PostgresJournal(pg_dsn).close()
    with psycopg.connect(pg_dsn, autocommit=True) as db:  # as a newer veowrap would leave it
        db.execute("UPDATE veowrap_schema SET version = version + 1")
    gen = veowrap.VideoGenerator(client=emu.client(vertex=True))
    with pytest.raises(veowrap.JournalError, match="newer veowrap") as caught:
        gen.generate_many(["a boat"], journal=pg_dsn, batch="spring", requests_per_minute=60)
    assert caught.value.hint is not None and "Upgrade veowrap" in caught.value.hint
    assert emu.accepted_submissions == 0  # refused before anything was sent


def test_a_worker_that_stops_early_leaves_nothing_uncertain(emu: VeoEmulator, pg_dsn: str) -> None:
    import veowrap

    gen = veowrap.VideoGenerator(
        client=emu.client(vertex=True), poll_schedule=veowrap.PollSchedule.fixed(0.02)
    )
    prompts = [f"clip {i}" for i in range(6)]
    batch = gen.generate_many(prompts, journal=pg_dsn, requests_per_minute=600, concurrency=2)
    first = next(iter(batch))
    batch.close()  # leave after the first item: the worker winds down
    assert first.ok
    found = states(pg_dsn)
    assert "uncertain" not in found.values() and "submitting" not in found.values()
    with psycopg.connect(pg_dsn) as db:
        assert db.execute("SELECT count(*) FROM veowrap_workers").fetchone() == (0,)
        assert db.execute(
            "SELECT count(*) FROM veowrap_items WHERE owner_run IS NOT NULL"
        ).fetchone() == (0,)
    again = list(gen.generate_many(prompts, journal=pg_dsn, requests_per_minute=600))
    assert all(item.ok for item in again)  # the rest, finished by the next run
    assert emu.accepted_submissions == 6
