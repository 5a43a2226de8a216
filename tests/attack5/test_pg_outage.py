"""Attacks: the database goes away while a create is in flight (restart; an outage longer
than lock_timeout), and CLI workers racing on one named batch."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from veowrap.testing import Fault, PostgresServer, VeoEmulator

from .h5 import MODEL, creates_per_prompt, finish, rows, spawn, states, wait_for


def _in_flight(emu: VeoEmulator, dsn: str) -> bool:
    return any(r.endpoint == "create" for r in emu.requests) and (
        states(dsn).get("clip-000") == "submitting"
    )


def test_database_restart_while_a_create_is_in_flight(
    a5_server: PostgresServer, dsn: str, emu: VeoEmulator
) -> None:
    emu.inject("create", Fault.stall(2), call=1)
    worker = spawn(emu, dsn, count=3, concurrency=1, rpm=6000, lock_timeout=10)
    try:
        wait_for(lambda: _in_flight(emu, dsn), "no create in flight")
        a5_server.restart()
        report = finish(worker)
    finally:
        if worker.poll() is None:
            worker.kill()
    assert all(r["ok"] for r in report), report
    assert emu.accepted_submissions == 3
    assert set(states(dsn).values()) == {"done"}


def test_outage_longer_than_lock_timeout_while_a_create_is_in_flight_loses_nothing(
    a5_server: PostgresServer, dsn: str, emu: VeoEmulator
) -> None:
    """The create is accepted while the database is down for longer than lock_timeout: the
    paid job must be findable (journaled once the database is back, or its handle named),
    and a rerun must not pay for it again."""
    emu.inject("create", Fault.stall(1.5), call=1)
    worker = spawn(emu, dsn, count=1, concurrency=1, rpm=6000, lock_timeout=1)
    try:
        wait_for(lambda: _in_flight(emu, dsn), "no create in flight")
        a5_server.stop("immediate")
        time.sleep(4)  # the create's answer arrives; lock_timeout (1 s) passes
        a5_server.run()
        out, err = worker.communicate(timeout=60)
    finally:
        if worker.poll() is None:
            worker.kill()
        if not (a5_server.root / "data" / "postmaster.pid").exists():
            a5_server.run()
    assert emu.accepted_submissions == 1
    operation = emu.operations[0].rsplit("/", 1)[-1]
    state, handle = rows(dsn)["clip-000"]
    # What happens (held, with a caveat for the report): the worker stops with JournalError;
    # the handle reaches only its WARNING log; the journal says `uncertain`, so a rerun
    # reports it rather than resuming it, and --resend-uncertain would pay again.
    logged = [line for line in (out + err).splitlines() if operation in line]
    assert bool(handle) or logged, (state, out[-1500:], err[-1500:])
    again = finish(spawn(emu, dsn, count=1, concurrency=1, rpm=6000))
    assert emu.accepted_submissions == 1, again  # never paid twice


def _cli(emu: VeoEmulator, cwd: Path, *args: str) -> subprocess.Popen[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("GOOGLE_", "GEMINI_"))}
    return subprocess.Popen(
        [sys.executable, "-m", "veowrap.cli", *args],
        cwd=cwd,
        env={**clean, **emu.env(vertex=True), "PYTHONPATH": os.pathsep.join(sys.path)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_cli_workers_race_and_one_is_killed(dsn: str, emu: VeoEmulator, tmp_path: Path) -> None:
    count = 24
    emu.set_latency(0.3)
    jobs = tmp_path / "jobs.jsonl"
    jobs.write_text(
        "".join(
            json.dumps({"key": f"clip-{i}", "prompt": f"clip {i}", "model": MODEL}) + "\n"
            for i in range(count)
        )
    )
    common = ["--journal", dsn, "--batch", "race", "--poll-interval", "0.02", "-q", "--rpm", "3000"]
    workers = [
        _cli(emu, tmp_path, "batch", str(jobs), "-o", f"o{n}", "--concurrency", "4", *common)
        for n in range(3)
    ]
    wait_for(lambda: "submitted" in states(dsn, "race").values(), "nothing submitted", 60)
    workers[0].send_signal(signal.SIGKILL)
    for worker in workers:
        worker.communicate(timeout=120)
    last = _cli(emu, tmp_path, "batch", str(jobs), "-o", "o9", *common)
    last.communicate(timeout=120)
    assert max(creates_per_prompt(emu).values()) == 1
    found = states(dsn, "race")
    assert len(found) == count and set(found.values()) <= {"done", "uncertain"}, found
    status = _cli(emu, tmp_path, "batch", "status", "--journal", dsn, "--batch", "race", "--json")
    out, err = status.communicate(timeout=60)
    expected = 0 if set(found.values()) == {"done"} else 9
    assert status.returncode == expected, out + err
