"""``veowrap batch FILE -o DIR --journal postgresql://… --batch NAME``: the first run loads the
batch, later runs join it; ``veowrap batch status`` counts its items per state."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from veowrap.testing import VeoEmulator

MODEL = "veo-3.1-generate-001"


@pytest.fixture
def emu() -> VeoEmulator:
    with VeoEmulator(latency=0.05) as emulator:
        yield emulator  # type: ignore[misc]


def veowrap(emu: VeoEmulator, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("GOOGLE_", "GEMINI_"))}
    return subprocess.run(
        [sys.executable, "-m", "veowrap.cli", *args],
        cwd=cwd,
        env={**clean, **emu.env(vertex=True), "PYTHONPATH": os.pathsep.join(sys.path)},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_runs_share_a_named_batch_and_status_counts_it(
    emu: VeoEmulator, pg_dsn: str, tmp_path: Path
) -> None:
    jobs = tmp_path / "jobs.jsonl"
    jobs.write_text(
        "".join(
            json.dumps({"key": f"clip-{i}", "prompt": f"clip {i}", "model": MODEL}) + "\n"
            for i in range(6)
        )
    )
    status = veowrap(emu, tmp_path, "batch", "status", "--journal", pg_dsn, "--batch", "spring")
    assert status.returncode == 0 and "0 items" in status.stdout  # nothing loaded yet
    common = ["--journal", pg_dsn, "--batch", "spring", "--poll-interval", "0.02", "-q"]
    first = veowrap(emu, tmp_path, "batch", str(jobs), "-o", "a", *common)
    assert first.returncode == 0, first.stderr
    second = veowrap(emu, tmp_path, "batch", str(jobs), "-o", "b", *common)  # joins: all done
    assert second.returncode == 0, second.stderr
    assert emu.accepted_submissions == 6  # the second run sent nothing
    assert len(list((tmp_path / "a").glob("*.mp4"))) == 6

    status = veowrap(
        emu, tmp_path, "batch", "status", "--journal", pg_dsn, "--batch", "spring", "--json"
    )
    assert status.returncode == 0, status.stderr
    found = json.loads(status.stdout)
    assert found["total"] == 6 and found["states"]["done"] == 6
    assert "spring" in found["journal"]
    other = veowrap(emu, tmp_path, "batch", "status", "--journal", pg_dsn, "--batch", "autumn")
    assert other.returncode == 0 and "0 items" in other.stdout  # another batch, untouched


def test_status_reads_an_sqlite_journal_too(emu: VeoEmulator, tmp_path: Path) -> None:
    from veowrap import Journal

    journal = Journal(tmp_path / "run.sqlite")
    journal.load([("a", 0, "fp-a"), ("b", 1, "fp-b")])
    journal.mark("a", "done", paths=["out/a.mp4"])
    journal.close()
    status = veowrap(
        emu, tmp_path, "batch", "status", "--journal", str(tmp_path / "run.sqlite"), "--json"
    )
    assert status.returncode == 9  # not every item is done
    assert json.loads(status.stdout)["states"] == {
        "pending": 1, "submitting": 0, "submitted": 0, "done": 1, "failed": 0, "uncertain": 0
    }  # fmt: skip
    named = veowrap(
        emu, tmp_path, "batch", "status", "--journal", str(tmp_path / "run.sqlite"), "--batch", "x"
    )
    assert named.returncode == 2 and "batch" in named.stderr  # one file holds one batch
    missing = veowrap(emu, tmp_path, "batch", "status", "--journal", "nowhere.sqlite")
    assert missing.returncode == 2
