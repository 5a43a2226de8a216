"""Several processes on one journal: every item is sent at most once, whoever sends it.

Each child is a real process running ``VideoGenerator.generate_many`` against the emulator
started here, all on ONE journal file, paced so that items wait in the pacer (where, without a
claim, two processes would both send them).
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from veowrap.testing import Fault, VeoEmulator

CHILD = Path(__file__).with_name("_child.py")
MODEL = "veo-3.1-generate-001"


@pytest.fixture
def emu() -> Iterator[VeoEmulator]:
    with VeoEmulator(latency=0.05) as emulator:
        yield emulator


def spawn(emu: VeoEmulator, tmp_path: Path, **config: Any) -> subprocess.Popen[str]:
    settings = {
        "base_url": emu.base_url,
        "token": emu.token,
        "model": MODEL,
        "journal": str(tmp_path / "run.sqlite"),
        "output_dir": str(tmp_path / "out"),
        **config,
    }
    return subprocess.Popen(
        [sys.executable, str(CHILD), json.dumps(settings)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )


def finish(child: subprocess.Popen[str]) -> list[dict[str, Any]]:
    out, err = child.communicate(timeout=60)
    assert child.returncode == 0, err
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


def journal_states(path: Path) -> dict[str, str]:
    with sqlite3.connect(path) as db:
        return dict(db.execute("SELECT key, state FROM items").fetchall())


@pytest.mark.parametrize("processes", [2, 4])
def test_processes_on_one_journal_send_every_item_once(
    processes: int, emu: VeoEmulator, tmp_path: Path
) -> None:
    count = 10
    go = tmp_path / "go"
    children = [
        spawn(
            emu,
            tmp_path,
            count=count,
            rpm=600,  # one create every 0.1 s per process: items wait in the pacer
            concurrency=count,
            ready=str(tmp_path / f"ready-{n}"),
            go=str(go),
        )
        for n in range(processes)
    ]
    deadline = time.monotonic() + 60
    while not all((tmp_path / f"ready-{n}").exists() for n in range(processes)):
        assert time.monotonic() < deadline, "children did not start"
        time.sleep(0.01)
    go.touch()  # every child starts its batch at the same moment
    reports = [finish(child) for child in children]

    assert emu.accepted_submissions == count  # never more creates than items
    assert sum(r["endpoint"] == "create" for r in map(vars, emu.requests)) == count
    assert set(journal_states(tmp_path / "run.sqlite").values()) == {"done"}
    assert len(list((tmp_path / "out").glob("*.mp4"))) == count
    made = [r for report in reports for r in report if r["ok"] and not r["skipped"]]
    assert sorted(r["key"] for r in made) == [f"clip-{i:02d}" for i in range(count)]
    for report in reports:  # every other outcome is "done elsewhere" or "held elsewhere"
        assert len(report) == count
        assert all(r["ok"] or r["held"] for r in report), report


def test_sigkill_mid_submit_is_uncertain_and_never_resent(emu: VeoEmulator, tmp_path: Path) -> None:
    emu.inject("create", Fault.stall(5), call=1)  # the first create hangs in flight
    first = spawn(emu, tmp_path, count=3, concurrency=1)
    journal = tmp_path / "run.sqlite"
    deadline = time.monotonic() + 30
    while True:
        assert time.monotonic() < deadline, "the child never reached 'submitting'"
        if journal.exists():
            try:
                in_flight = any(r.endpoint == "create" for r in emu.requests)
                if in_flight and "submitting" in journal_states(journal).values():
                    break
            except sqlite3.Error:
                pass  # the child is creating the journal
        time.sleep(0.01)
    first.send_signal(signal.SIGKILL)
    first.wait()

    rerun = finish(spawn(emu, tmp_path, count=3, concurrency=1))
    uncertain = [r for r in rerun if r["error"] == "SubmissionUncertainError"]
    assert [r["key"] for r in uncertain] == ["clip-00"]
    assert sum(r["ok"] for r in rerun) == 2
    creates = sum(r.endpoint == "create" for r in emu.requests)
    assert creates == 3  # the stalled one, then the two others: clip-00 was not re-sent
    assert journal_states(journal)["clip-00"] == "uncertain"

    decided = finish(spawn(emu, tmp_path, count=3, concurrency=1, resend_uncertain=True))
    assert all(r["ok"] for r in decided)
    assert sum(r.endpoint == "create" for r in emu.requests) == 4
    assert set(journal_states(journal).values()) == {"done"}
