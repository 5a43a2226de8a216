"""`veowrap batch`: JSONL/CSV in, videos out, journal for resuming, JSON summary."""

from __future__ import annotations

import json
from pathlib import Path

from veowrap.testing import Fault, VeoEmulator

from .conftest import POLL, Invoke

MODEL = "veo-3.1-fast-generate-001"


def write_batch(tmp_path: Path, count: int) -> Path:
    path = tmp_path / "batch.jsonl"
    lines = [
        json.dumps({"prompt": f"clip {i}", "model": MODEL, "key": f"c{i}"}) for i in range(count)
    ]
    path.write_text("\n".join(lines))
    return path


def test_batch_saves_and_resumes(
    invoke: Invoke, vertex_env: dict[str, str], emu: VeoEmulator, tmp_path: Path
) -> None:
    batch = write_batch(tmp_path, 4)
    result = invoke("batch", str(batch), "-o", "out", "--rpm", "600", "-q", *POLL, env=vertex_env)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "out").glob("*.mp4")) == [
        "c0.mp4",
        "c1.mp4",
        "c2.mp4",
        "c3.mp4",
    ]
    again = invoke("batch", str(batch), "-o", "out", "--json", *POLL, env=vertex_env)
    assert again.exit_code == 0
    report = json.loads(again.stdout)
    assert report["summary"]["skipped"] == 4 and emu.accepted_submissions == 4


def test_batch_reports_uncertain_items_and_exits_nonzero(
    invoke: Invoke, vertex_env: dict[str, str], emu: VeoEmulator, tmp_path: Path
) -> None:
    emu.inject("create", Fault.reset_after_accept(), call=2)
    batch = write_batch(tmp_path, 3)
    result = invoke(
        "batch", str(batch), "-o", "out", "--concurrency", "1", "--json", *POLL, env=vertex_env
    )
    assert result.exit_code == 9
    summary = json.loads(result.stdout)["summary"]
    assert summary["uncertain"] == 1 and summary["succeeded"] == 2
    assert emu.accepted_submissions == 3


def test_batch_refuses_a_bad_line_before_sending(
    invoke: Invoke, vertex_env: dict[str, str], emu: VeoEmulator, tmp_path: Path
) -> None:
    batch = tmp_path / "bad.csv"
    batch.write_text(f"prompt,model,duration_seconds\na,{MODEL},8\nb,{MODEL},5\n")
    result = invoke("batch", str(batch), "-o", "out", *POLL, env=vertex_env)
    assert result.exit_code == 3
    assert "duration_seconds=5 is not valid" in result.stderr
    assert emu.requests == []
