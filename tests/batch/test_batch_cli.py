"""``veowrap batch`` on a broken journal ends with a report, never a hang."""

from __future__ import annotations

import importlib.util
import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from veowrap.testing import VeoEmulator

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("click") is None, reason="needs the cli extra"
)
MODEL = "veo-3.1-fast-generate-001"


@pytest.fixture
def emu() -> Iterator[VeoEmulator]:
    with VeoEmulator(latency=0.05) as emulator:
        yield emulator


def cli(emu: VeoEmulator, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GOOGLE_", "GEMINI_"))}
    env.update(emu.env(vertex=True), PYTHONPATH=os.pathsep.join(sys.path))
    return subprocess.run(
        [sys.executable, "-m", "veowrap.cli", *args],
        capture_output=True,
        text=True,
        timeout=60,  # a hang fails here
        env=env,
        cwd=cwd,
    )


def test_cli_batch_with_a_corrupt_journal_row_reports_it(emu: VeoEmulator, tmp_path: Path) -> None:
    batch = tmp_path / "batch.jsonl"
    batch.write_text(
        "\n".join(
            json.dumps({"prompt": f"clip {i}", "model": MODEL, "key": f"c{i}"}) for i in (0, 1)
        )
    )
    journal = tmp_path / "out" / "veowrap-journal.sqlite"
    result = cli(emu, "batch", str(batch), "-o", "out", "--poll-interval", "0.05", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    with sqlite3.connect(journal) as db:
        db.execute("UPDATE items SET state = 'done', paths = '{oops' WHERE key = 'c0'")
    again = cli(
        emu, "batch", str(batch), "-o", "out", "--json", "--poll-interval", "0.05", cwd=tmp_path
    )
    assert again.returncode == 9, again.stderr
    report = json.loads(again.stdout)
    errors = {item["key"]: item["error"] for item in report["items"]}
    assert errors["c0"]["type"] == "JournalError" and errors["c1"] is None
