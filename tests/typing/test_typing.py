"""The public API type-checks cleanly for a consumer, under mypy --strict and pyright, and runs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CONSUMER = Path(__file__).with_name("consumer.py")
BIN = Path(sys.executable).parent


def _run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=600, check=False
    )


def test_consumer_passes_mypy_strict() -> None:
    completed = _run(sys.executable, "-m", "mypy", "--strict", "--no-incremental", str(CONSUMER))
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "Success: no issues found" in completed.stdout


def test_consumer_passes_pyright() -> None:
    # The pyright package from PyPI runs the pyright release of the same version on Node.js.
    completed = _run(
        str(BIN / "pyright"), "--pythonpath", sys.executable, "--outputjson", str(CONSUMER)
    )
    assert completed.returncode == 0, completed.stdout[-4000:] + completed.stderr[-2000:]
    assert '"errorCount": 0' in completed.stdout


def test_consumer_runs(tmp_path: Path) -> None:
    completed = _run(sys.executable, str(CONSUMER), str(tmp_path))
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert len(list(tmp_path.glob("*.mp4"))) >= 4


REJECTED = Path(__file__).with_name("rejected.py")


def _marked_lines() -> set[int]:
    lines = REJECTED.read_text(encoding="utf-8").splitlines()
    return {number for number, text in enumerate(lines, 1) if text.endswith("# rejected")}


def test_mypy_rejects_typos_wrong_literals_and_wrong_types() -> None:
    completed = _run(
        sys.executable,
        "-m",
        "mypy",
        "--strict",
        "--no-incremental",
        "--show-error-codes",
        "--no-error-summary",
        str(REJECTED),
    )
    flagged = {
        int(line.split(":")[1])
        for line in completed.stdout.splitlines()
        if line.startswith(("rejected.py", str(REJECTED.relative_to(ROOT)))) and ": error:" in line
    }
    assert flagged == _marked_lines(), completed.stdout


def test_pyright_rejects_typos_wrong_literals_and_wrong_types() -> None:
    import json

    completed = _run(
        str(BIN / "pyright"), "--pythonpath", sys.executable, "--outputjson", str(REJECTED)
    )
    report = json.loads(completed.stdout)
    flagged = {
        item["range"]["start"]["line"] + 1
        for item in report["generalDiagnostics"]
        if item["severity"] == "error"
    }
    assert flagged == _marked_lines(), completed.stdout[-4000:]
