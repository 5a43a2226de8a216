"""Attack: typo'd keywords and wrong Literal values must not type-check (mypy --strict, pyright).

Every line of ``typo_consumer.py`` ending in ``# must-reject`` must get an error from each checker.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent
CONSUMER = HERE / "typo_consumer.py"
BIN = Path(sys.executable).parent


def _marked() -> set[int]:
    lines = CONSUMER.read_text(encoding="utf-8").splitlines()
    return {n for n, text in enumerate(lines, 1) if text.endswith("# must-reject")}


def test_mypy_strict_rejects_every_typo() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--show-error-codes",
         "--no-error-summary", str(CONSUMER)],
        capture_output=True, text=True, timeout=300, check=False, cwd=HERE,
    )  # fmt: skip
    flagged = {int(m.group(1)) for m in re.finditer(r"typo_consumer\.py:(\d+): error", done.stdout)}
    assert _marked() - flagged == set(), done.stdout[-3000:]
    assert flagged - _marked() == set(), done.stdout[-3000:]


def test_pyright_rejects_every_typo() -> None:
    pyright = BIN / "pyright"
    if not pyright.exists():
        pytest.skip("pyright not installed in this venv")
    done = subprocess.run(
        [str(pyright), "--pythonpath", sys.executable, "--outputjson", str(CONSUMER)],
        capture_output=True, text=True, timeout=300, check=False, cwd=HERE,
    )  # fmt: skip
    report = json.loads(done.stdout)
    flagged = {
        d["range"]["start"]["line"] + 1
        for d in report["generalDiagnostics"]
        if d["severity"] == "error"
    }
    assert _marked() - flagged == set(), done.stdout[-3000:]
    assert flagged - _marked() == set(), done.stdout[-3000:]
