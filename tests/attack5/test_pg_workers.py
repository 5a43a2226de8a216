"""Attacks with worker processes racing on one PostgreSQL batch: kill -9 at many moments,
a lease that lapses while its worker is alive, skewed clocks, a 429 storm on the shared pacer."""

from __future__ import annotations

import random
import signal
import time
from pathlib import Path

import pytest

import veowrap
from veowrap.testing import Fault, VeoEmulator

from .h5 import MODEL, creates_per_prompt, finish, rows, spawn, sql, states, wait_for


def test_killed_while_waiting_for_its_pacer_slot_the_item_is_sent_once_by_another(
    dsn: str, emu: VeoEmulator
) -> None:
    emu.set_latency(5.0)  # clip-000 stays submitted while the worker waits for slot 2
    first = spawn(emu, dsn, count=2, concurrency=2, rpm=30)  # a slot every 2 s
    wait_for(lambda: states(dsn).get("clip-000") == "submitted", "clip-000 never submitted")
    time.sleep(0.3)
    assert states(dsn).get("clip-001") == "pending"  # waiting for its slot, nothing claimed
    first.send_signal(signal.SIGKILL)
    first.wait()
    emu.set_latency(0.05)
    report = finish(spawn(emu, dsn, count=2, concurrency=2, rpm=30))
    assert all(r["ok"] for r in report), report
    assert creates_per_prompt(emu) == {"clip number 0": 1, "clip number 1": 1}
    assert set(states(dsn).values()) == {"done"}


def test_racing_workers_killed_at_random_moments_never_pay_twice_nor_lose_a_job(
    dsn: str, emu: VeoEmulator, tmp_path: Path
) -> None:
    count = 40
    emu.set_latency(0.3)
    chance = random.Random(5)
    workers = [
        spawn(emu, dsn, count=count, concurrency=4, rpm=3000, output_dir=str(tmp_path / f"o{n}"))
        for n in range(4)
    ]
    wait_for(lambda: "submitted" in states(dsn).values(), "nothing submitted")
    for worker in workers[:3]:  # three of four die, each at its own moment
        time.sleep(chance.uniform(0.05, 0.6))
        worker.send_signal(signal.SIGKILL)
        worker.wait()
    finish(workers[3])
    # Survivors and latecomers finish the batch: two more clean workers.
    reports = [finish(w) for w in [spawn(emu, dsn, count=count, concurrency=4) for _ in range(2)]]
    per_prompt = creates_per_prompt(emu)
    assert max(per_prompt.values()) == 1, per_prompt.most_common(3)  # never paid twice
    found = rows(dsn)
    assert len(found) == count
    assert {state for state, _ in found.values()} <= {"done", "uncertain"}, found
    for key, (state, handle) in found.items():
        if state == "done":
            assert handle, key  # a paid job is findable by its handle
    for prompt in per_prompt:  # every paid create is in the journal: done or uncertain
        key = f"clip-{int(prompt.rsplit(' ', 1)[1]):03d}"
        assert found[key][0] in {"done", "uncertain"}
    uncertain = [k for k, (s, _) in found.items() if s == "uncertain"]
    for report in reports:
        assert sorted(r["key"] for r in report if r["error"] == "SubmissionUncertainError") == (
            sorted(uncertain)
        )


def test_lease_lapsing_while_its_worker_lives_never_makes_a_second_create(
    dsn: str, emu: VeoEmulator
) -> None:
    """Worker A's create hangs in flight. Its rows are relabelled as another host's, so
    others judge it by its lease alone. Workers with clocks two hours off must still see the
    lease as fresh; once the lease has lapsed, a worker reports the item as uncertain without
    sending it; and A's late answer is still journaled and its video finished."""
    emu.inject("create", Fault.stall(8), call=1)
    first = spawn(emu, dsn, count=1, concurrency=1, rpm=6000)
    try:
        wait_for(
            lambda: (
                any(r.endpoint == "create" for r in emu.requests)
                and states(dsn).get("clip-000") == "submitting"
            ),
            "A never reached submitting",
        )
        sql(dsn, "UPDATE veowrap_items SET owner_host = 'far.example'")
        sql(dsn, "UPDATE veowrap_workers SET host = 'far.example'")
        skewed = [spawn(emu, dsn, count=1, concurrency=1, skew=s) for s in (7200, -7200)]
        for report in [finish(w) for w in skewed]:
            assert [(r["held"], r["sent"]) for r in report] == [(True, False)], report
        assert states(dsn) == {"clip-000": "submitting"}
        # The lease lapses (a frozen VM, a partition): A is alive but silent for an hour.
        sql(dsn, "UPDATE veowrap_workers SET heartbeat_at = heartbeat_at - 3600")
        sql(dsn, "UPDATE veowrap_items SET lease_at = lease_at - 3600")
        gen = veowrap.VideoGenerator(
            client=emu.client(vertex=True), poll_schedule=veowrap.PollSchedule.fixed(0.02)
        )
        items = gen.generate_all(
            [veowrap.VideoRequest(prompt="clip number 0", model=MODEL)], keys=["clip-000"],
            journal=dsn, batch="default", requests_per_minute=6000,
        )  # fmt: skip
        assert isinstance(items[0].error, veowrap.SubmissionUncertainError)
        assert not items[0].sent
        report = finish(first)
    finally:
        if first.poll() is None:
            first.kill()
    assert emu.accepted_submissions == 1
    state, handle = rows(dsn)["clip-000"]
    assert handle, "A's accepted create was not journaled: the paid job cannot be found"
    assert state == "done", report


def test_429_storm_on_the_shared_pacer(dsn: str, emu: VeoEmulator, tmp_path: Path) -> None:
    """Three workers told a rate ten times the real quota: the shared pacer must slow all of
    them down together; every item is paid exactly once."""
    count = 45
    emu.set_quota(15, per_seconds=1.0)
    go = tmp_path / "go"
    workers = [
        spawn(emu, dsn, count=count, concurrency=8, rpm=9000, ready=str(tmp_path / f"r{n}"),
              go=str(go))
        for n in range(3)
    ]  # fmt: skip
    wait_for(lambda: all((tmp_path / f"r{n}").exists() for n in range(3)), "no start", 60)
    go.touch()
    reports = [finish(w) for w in workers]
    assert emu.accepted_submissions == count  # all done, so each paid exactly once
    assert set(states(dsn).values()) == {"done"}
    assert all(r["ok"] or r["held"] for report in reports for r in report)
    # Bounded: one process alone at 10x meets ~55 429s for these 45 items; three workers
    # sharing the pacer must not multiply that.
    assert emu.quota_rejections <= 2 * count, emu.quota_rejections


@pytest.mark.parametrize("phase", ["load", "claimed"])
def test_kill_9_around_the_claim(dsn: str, emu: VeoEmulator, phase: str) -> None:
    """Killed right after starting (loading items) or right after its first claim."""
    emu.set_latency(0.2)
    first = spawn(emu, dsn, count=5, concurrency=5, rpm=6000)
    if phase == "load":
        wait_for(lambda: len(states(dsn)) > 0, "nothing loaded")
    else:
        wait_for(lambda: any(s != "pending" for s in states(dsn).values()), "nothing claimed")
    first.send_signal(signal.SIGKILL)
    first.wait()
    report = finish(spawn(emu, dsn, count=5, concurrency=5, rpm=6000))
    assert max(creates_per_prompt(emu).values(), default=0) == 1
    found = states(dsn)
    assert len(found) == 5 and set(found.values()) <= {"done", "uncertain"}, found
    assert all(r["ok"] or r["error"] == "SubmissionUncertainError" for r in report), report
    paid = set(creates_per_prompt(emu))
    assert all(found[f"clip-{int(p.rsplit(' ', 1)[1]):03d}"] in {"done", "uncertain"} for p in paid)


def test_ctrl_c_while_a_create_is_in_flight_journals_its_handle(dsn: str, emu: VeoEmulator) -> None:
    """Leaving early: a create already sent is allowed to finish and is journaled
    `submitted`; the rerun resumes it without paying again."""
    emu.inject("create", Fault.stall(1.5), call=1)
    emu.set_latency(2.0)
    worker = spawn(emu, dsn, count=3, concurrency=1, rpm=6000)
    wait_for(
        lambda: (
            any(r.endpoint == "create" for r in emu.requests)
            and states(dsn).get("clip-000") == "submitting"
        ),
        "no create in flight",
    )
    worker.send_signal(signal.SIGINT)
    worker.communicate(timeout=60)
    assert worker.returncode != 0
    found = rows(dsn)
    assert found["clip-000"][0] == "submitted" and found["clip-000"][1], found
    assert {found[k][0] for k in ("clip-001", "clip-002")} == {"pending"}
    emu.set_latency(0.05)
    report = finish(spawn(emu, dsn, count=3, concurrency=3, rpm=6000))
    assert all(r["ok"] for r in report), report
    assert emu.accepted_submissions == 3
    assert [r["sent"] for r in sorted(report, key=lambda r: r["key"])] == [False, True, True]


def test_two_different_batches_racing_under_one_name_and_the_same_keys(
    dsn: str, emu: VeoEmulator, tmp_path: Path
) -> None:
    """Two teams start at the same moment with the same batch name and keys but different
    prompts: one list wins; the other is refused before it sends anything."""
    go = tmp_path / "go"
    teams = [
        spawn(
            emu, dsn, prompts=[f"team {t} clip {i}" for i in range(5)], concurrency=5,
            rpm=6000, ready=str(tmp_path / f"r{t}"), go=str(go),
        )
        for t in "ab"
    ]  # fmt: skip
    wait_for(lambda: all((tmp_path / f"r{t}").exists() for t in "ab"), "no start", 60)
    go.touch()
    results = [w.communicate(timeout=90) for w in teams]
    codes = sorted(w.returncode for w in teams)
    assert codes[0] == 0 and codes[1] != 0, results
    loser = results[[w.returncode for w in teams].index(codes[1])]
    assert "RequestValidationError" in loser[1], loser[1][-2000:]
    prompts = set(creates_per_prompt(emu))
    assert len({p.split(" clip")[0] for p in prompts}) == 1, prompts  # one team's only
    assert emu.accepted_submissions == 5
