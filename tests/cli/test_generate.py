"""`veowrap generate` against the emulator: results, JSON, and one exit code per failure kind."""

from __future__ import annotations

import json
from pathlib import Path

from veowrap.cli._exit import ExitCode
from veowrap.testing import Fault, Outcome, VeoEmulator, inspect_mp4

from .conftest import API_KEY, POLL, Invoke, Run

MODEL = ["-m", "veo-3.1-generate-001"]


def test_generate_saves_the_video_and_prints_its_path(
    run: Run, vertex_env: dict[str, str], tmp_path: Path
) -> None:
    done = run("generate", "a paper boat", *MODEL, *POLL, "-o", "out/boat.mp4", env=vertex_env)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "out/boat.mp4\n"
    assert inspect_mp4((tmp_path / "out/boat.mp4").read_bytes()).duration_s > 0
    assert "submitted publishers/google/models/veo-3.1-generate-001/operations/" in done.stderr
    assert "completed in" in done.stderr
    assert "\r" not in done.stderr  # not a terminal: plain lines only
    assert API_KEY not in done.stdout + done.stderr


def test_offline_needs_no_account(run: Run, tmp_path: Path) -> None:
    done = run("generate", "--offline", "--offline-latency", "0.3", "a kite", "-o", "kite.mp4")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "kite.mp4\n"
    assert "offline: a local emulator answers" in done.stderr
    assert (tmp_path / "kite.mp4").stat().st_size > 1000


def test_json_result(invoke: Invoke, vertex_env: dict[str, str], tmp_path: Path) -> None:
    result = invoke(
        "generate", "boats", *MODEL, *POLL, "-n", "2", "-o", "out/", "--json", env=vertex_env
    )
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert set(data) == {
        "paths",
        "handle",
        "model",
        "elapsed",
        "polls",
        "filtered_count",
        "filtered_reasons",
    }
    assert len(data["paths"]) == 2
    assert all((tmp_path / path).is_file() for path in data["paths"])
    assert data["handle"]["platform"] == "vertex"
    assert data["handle"]["model"] == "veo-3.1-generate-001"
    assert data["model"] == "veo-3.1-generate-001"
    assert data["filtered_count"] == 0
    assert data["elapsed"] > 0 and data["polls"] >= 1


def test_partly_filtered_result_is_a_success_with_a_note(
    invoke: Invoke, emu: VeoEmulator, vertex_env: dict[str, str]
) -> None:
    emu.script(Outcome.partially_filtered())
    result = invoke("generate", "boats", *MODEL, *POLL, "-n", "2", "-o", "out/", env=vertex_env)
    assert result.exit_code == 0, result.stderr
    assert len(result.stdout.splitlines()) == 1
    assert "1 video(s) withheld by safety filters" in result.stderr


def test_usage_error_exits_2(invoke: Invoke) -> None:
    result = invoke("generate")
    assert result.exit_code == ExitCode.USAGE == 2
    assert "Missing argument 'PROMPT'" in result.stderr


def test_validation_error_exits_3_before_anything_is_sent(
    invoke: Invoke, emu: VeoEmulator, vertex_env: dict[str, str]
) -> None:
    result = invoke("generate", "a boat", *MODEL, "--duration", "7", env=vertex_env)
    assert result.exit_code == ExitCode.VALIDATION == 3
    assert result.stderr.splitlines()[0].startswith("error: duration_seconds=7 is not valid")
    assert result.stderr.splitlines()[1].startswith("hint: ")
    assert "Traceback" not in result.stderr
    assert emu.requests == []


def test_budget_refusal_exits_3(invoke: Invoke, vertex_env: dict[str, str]) -> None:
    result = invoke("generate", "a boat", *MODEL, "--max-cost", "0.01", env=vertex_env)
    assert result.exit_code == ExitCode.VALIDATION
    assert result.stderr.startswith("error: ")


def test_filtered_exits_4_with_json_error(
    invoke: Invoke, emu: VeoEmulator, vertex_env: dict[str, str]
) -> None:
    emu.script(Outcome.filtered(["prompt could violate our policies"]))
    result = invoke("generate", "a boat", *MODEL, *POLL, "--json", env=vertex_env)
    assert result.exit_code == ExitCode.FILTERED == 4
    error = json.loads(result.stdout)["error"]
    assert set(error) >= {"type", "message", "hint", "handle", "exit_code"}
    assert error["type"] == "ContentFilteredError"
    assert error["exit_code"] == 4
    assert "not billed" in error["hint"]
    assert error["handle"]["name"].startswith("publishers/google/models/veo-3.1")
    assert error["handle_file"] is None  # nothing to resume


def test_failed_exits_5(invoke: Invoke, emu: VeoEmulator, vertex_env: dict[str, str]) -> None:
    emu.script(Outcome.error(code=13, message="Internal generation failure."))
    result = invoke("generate", "a boat", *MODEL, *POLL, env=vertex_env)
    assert result.exit_code == ExitCode.FAILED == 5
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and "Internal generation failure." in errors[0]
    assert "resume with" not in result.stderr


def test_timeout_exits_6_and_saves_the_handle(
    invoke: Invoke, emu: VeoEmulator, vertex_env: dict[str, str], tmp_path: Path
) -> None:
    emu.set_latency(30)
    result = invoke(
        "generate",
        "a boat",
        *MODEL,
        *POLL,
        "--timeout",
        "0.3",
        "-o",
        "out/boat.mp4",
        env=vertex_env,
    )
    assert result.exit_code == ExitCode.TIMEOUT == 6
    saved = tmp_path / "out/boat.mp4.handle.json"
    handle = json.loads(saved.read_text())
    assert handle["name"] == emu.operations[0]
    assert "handle saved to out/boat.mp4.handle.json" in result.stderr
    assert "resume with: veowrap wait out/boat.mp4.handle.json -o out/boat.mp4" in result.stderr
    assert API_KEY not in saved.read_text()

    emu.set_latency(0)  # later creates only; this one still runs: finish it by name
    emu.expire(emu.operations[0])
    again = invoke("wait", str(saved), "-o", "out/boat.mp4", *POLL, env=vertex_env)
    assert again.exit_code == ExitCode.SERVICE  # expired: OperationNotFoundError


def test_configuration_error_exits_8(invoke: Invoke) -> None:
    result = invoke("generate", "a boat", *MODEL)
    assert result.exit_code == ExitCode.CONFIGURATION == 8
    assert result.stderr.startswith("error: veowrap found no Google configuration")
    assert "\nhint: " in result.stderr


def test_rejected_key_exits_8_without_showing_it(
    invoke: Invoke, emu: VeoEmulator, vertex_env: dict[str, str]
) -> None:
    emu.inject("create", Fault.http(403, message="Permission denied."))
    for extra in ([], ["--debug"], ["--json"]):
        result = invoke("generate", "a boat", *MODEL, *extra, env=vertex_env)
        assert result.exit_code == ExitCode.CONFIGURATION
        assert API_KEY not in result.stdout + result.stderr
        assert ("Traceback" in result.stderr) == (extra == ["--debug"])
        emu.inject("create", Fault.http(403, message="Permission denied."))


def test_uncertain_submission_exits_9(
    invoke: Invoke, emu: VeoEmulator, vertex_env: dict[str, str]
) -> None:
    emu.inject("create", Fault.reset_after_accept())
    result = invoke("generate", "a boat", *MODEL, *POLL, env=vertex_env)
    assert result.exit_code == ExitCode.SERVICE == 9
    assert emu.accepted_submissions == 1
    assert "Traceback" not in result.stderr
