"""`veowrap batch`: JSONL/CSV in, videos out, journal for resuming, JSON summary."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

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
    assert result.stderr.startswith("error: bad.csv:3.duration_seconds=5 is not valid")
    assert emu.requests == []


def test_batch_names_the_line_of_a_malformed_file(
    invoke: Invoke, vertex_env: dict[str, str], emu: VeoEmulator, tmp_path: Path
) -> None:
    batch = tmp_path / "bad.jsonl"
    batch.write_bytes(b'{"prompt": "a boat"}\n[1, 2]\n')
    result = invoke("batch", str(batch), "-o", "out", *POLL, env=vertex_env)
    assert result.exit_code == 3
    assert result.stderr.startswith("error: bad.jsonl:2=")
    assert "hint: " in result.stderr and "bug" not in result.stderr
    batch.write_bytes(b'{"prompt": "a boat"}\n\n\xff\xfe garbage\n')
    result = invoke("batch", str(batch), "-o", "out", *POLL, env=vertex_env)
    assert result.exit_code == 3
    assert result.stderr.startswith("error: bad.jsonl:3=")
    assert "UTF-8" in result.stderr and "bug" not in result.stderr
    assert emu.requests == []


def test_batch_refuses_an_empty_file(
    invoke: Invoke, vertex_env: dict[str, str], emu: VeoEmulator, tmp_path: Path
) -> None:
    (tmp_path / "empty.csv").write_bytes(b"\xef\xbb\xbfprompt,model\r\n")
    result = invoke("batch", "empty.csv", "-o", "out", *POLL, env=vertex_env)
    assert result.exit_code == 3
    assert "no requests" in result.stderr
    assert emu.requests == []


def test_batch_reads_a_csv_with_a_byte_order_mark(
    invoke: Invoke, vertex_env: dict[str, str], emu: VeoEmulator, tmp_path: Path
) -> None:
    (tmp_path / "excel.csv").write_bytes(
        f"\ufeffprompt,model,key\r\na boat,{MODEL},boat\r\n".encode()
    )
    result = invoke("batch", "excel.csv", "-o", "out", "-q", *POLL, env=vertex_env)
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "out/boat.mp4").is_file()


@pytest.mark.parametrize("kind", ["garbage", "directory", "under a file", "text"])
def test_batch_journal_problems_are_typed_errors(
    invoke: Invoke, vertex_env: dict[str, str], emu: VeoEmulator, tmp_path: Path, kind: str
) -> None:
    batch = write_batch(tmp_path, 2)
    journal = tmp_path / "journal.sqlite"
    if kind == "garbage":
        journal.write_bytes(bytes(range(256)) * 64)
    elif kind == "text":
        journal.write_text("not a database\n" * 200)
    elif kind == "directory":
        journal.mkdir()
    else:
        (tmp_path / "afile").write_text("x")
        journal = tmp_path / "afile" / "journal.sqlite"
    before = journal.read_bytes() if journal.is_file() else None
    result = invoke(
        "batch", str(batch), "-o", "out", "--journal", str(journal), "--json", *POLL, env=vertex_env
    )
    assert result.exit_code == 7, result.output
    error = json.loads(result.stdout)["error"]
    assert error["type"] == "JournalError", error
    assert error["hint"] and "bug" not in error["hint"]
    assert emu.requests == []
    if before is not None:
        assert journal.read_bytes() == before  # left as it was


def test_a_rerun_that_sends_nothing_costs_nothing_new(
    invoke: Invoke, vertex_env: dict[str, str], emu: VeoEmulator, tmp_path: Path
) -> None:
    batch = write_batch(tmp_path, 2)
    first = invoke("batch", str(batch), "-o", "out", *POLL, env=vertex_env)
    assert first.exit_code == 0, first.stderr
    assert "; 2 sent, estimated cost $2.40 (estimate);" in first.stderr  # 2 x 8 s x $0.15
    again = invoke("batch", str(batch), "-o", "out", *POLL, env=vertex_env)
    assert again.exit_code == 0
    assert "2 succeeded (2 from an earlier run)" in again.stderr
    assert "; nothing sent, no new cost;" in again.stderr and "$" not in again.stderr
    summary = json.loads(invoke("batch", str(batch), "-o", "out", "--json", env=vertex_env).stdout)
    assert summary["summary"]["sent"] == 0 and summary["summary"]["estimated_cost_usd"] == 0
    assert emu.accepted_submissions == 2


def test_batch_off_a_terminal_draws_no_progress_frames(
    invoke: Invoke, vertex_env: dict[str, str], emu: VeoEmulator, tmp_path: Path
) -> None:
    batch = write_batch(tmp_path, 2)
    result = invoke("batch", str(batch), "-o", "out", *POLL, env=vertex_env)
    assert result.exit_code == 0, result.stderr
    assert "\r" not in result.stderr and "batch:" not in result.stderr
    assert result.stderr.splitlines() == [result.stderr.strip()]  # the summary line alone
    assert sorted(result.stdout.splitlines()) == ["out/c0.mp4", "out/c1.mp4"]


def test_batch_offline_needs_no_account(invoke: Invoke, tmp_path: Path) -> None:
    batch = write_batch(tmp_path, 2)
    result = invoke("batch", str(batch), "-o", "out", "--offline", "--offline-latency", "0.2")
    assert result.exit_code == 0, result.stderr
    assert result.stderr.startswith("offline: a local emulator answers (no account, nothing billed")
    assert sorted(p.name for p in (tmp_path / "out").glob("*.mp4")) == ["c0.mp4", "c1.mp4"]
