"""`status`, `wait`, `cancel`, `models`, `doctor`, `emulator` and every command's --help."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import veowrap
from veowrap.cli._exit import ExitCode
from veowrap.testing import Outcome, VeoEmulator

from .conftest import API_KEY, POLL, Invoke, Run

COMMANDS = ["generate", "status", "wait", "cancel", "models", "doctor", "emulator"]


@pytest.mark.parametrize("command", [[], *([name] for name in COMMANDS)])
def test_help(invoke: Invoke, command: list[str]) -> None:
    result = invoke(*command, "--help")
    assert result.exit_code == 0
    assert result.stdout.startswith("Usage: veowrap")
    if command and command[0] in {"generate", "wait", "status", "cancel"}:
        assert "Exit codes:" in result.stdout
        assert "130  interrupted" in result.stdout


def test_help_through_the_module(run: Run) -> None:
    done = run("--help")
    assert done.returncode == 0
    for command in COMMANDS:
        assert f"  {command}" in done.stdout
    assert "Exit codes:" in done.stdout


def test_version(invoke: Invoke) -> None:
    assert invoke("--version").stdout == f"veowrap, version {veowrap.__version__}\n"


def _submit(emu: VeoEmulator, model: str = "veo-3.1-generate-001") -> veowrap.OperationHandle:
    client = emu.client(express=model.startswith("veo"))
    with veowrap.VideoGenerator(client=client) as generator:
        return generator.submit("a paper boat", model=model)


def test_status_of_a_running_then_finished_operation(
    invoke: Invoke, emu: VeoEmulator, vertex_env: dict[str, str], tmp_path: Path
) -> None:
    emu.set_latency(0.5)
    handle = _submit(emu)
    (tmp_path / "job.json").write_text(handle.to_json())
    running = invoke("status", "job.json", env=vertex_env)
    assert running.exit_code == 0, running.stderr
    assert "state      running" in running.stdout
    assert f"operation  {handle.name}" in running.stdout

    waited = invoke("wait", handle.name, "-o", "out/", *POLL, env=vertex_env)  # by name
    assert waited.exit_code == 0, waited.stderr
    assert waited.stdout.startswith("out/") and waited.stdout.strip().endswith(".mp4")

    finished = json.loads(invoke("status", "job.json", "--json", env=vertex_env).stdout)
    assert finished["done"] is True
    assert finished["state"] == "succeeded"
    assert finished["videos"] == 1
    assert finished["handle"]["name"] == handle.name


def test_status_of_a_filtered_operation(
    invoke: Invoke, emu: VeoEmulator, vertex_env: dict[str, str]
) -> None:
    emu.script(Outcome.filtered())
    emu.set_latency(0)
    handle = _submit(emu)
    data = json.loads(invoke("status", handle.to_json(), "--json", env=vertex_env).stdout)
    assert data["state"] == "filtered"
    assert data["filtered_count"] == 1
    filtered = invoke("wait", handle.name, env=vertex_env)
    assert filtered.exit_code == ExitCode.FILTERED


def test_cancel_an_interaction(
    invoke: Invoke, emu: VeoEmulator, gemini_env: dict[str, str]
) -> None:
    emu.set_latency(30)
    handle = _submit(emu, "gemini-omni-1.2-flash")
    result = invoke("cancel", handle.to_json(), env=gemini_env)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == f"cancelled {handle.name}\n"
    assert invoke("wait", handle.name, env=gemini_env).exit_code == ExitCode.FAILED


def test_cancel_a_veo_operation_is_unsupported(
    invoke: Invoke, emu: VeoEmulator, vertex_env: dict[str, str]
) -> None:
    handle = _submit(emu)
    result = invoke("cancel", handle.name, "--json", env=vertex_env)
    assert result.exit_code == ExitCode.CONFIGURATION
    assert json.loads(result.stdout)["error"]["type"] == "UnsupportedCapabilityError"


@pytest.mark.parametrize("command", ["status", "wait", "cancel"])
def test_unreadable_handle_exits_3(
    invoke: Invoke, vertex_env: dict[str, str], command: str
) -> None:
    result = invoke(command, "missing.json", env=vertex_env)
    assert result.exit_code == ExitCode.VALIDATION
    assert "hint: There is no file by that name either." in result.stderr


def test_models_table_and_json(invoke: Invoke) -> None:
    table = invoke("models")
    assert table.exit_code == 0
    lines = table.stdout.splitlines()
    assert lines[0].split() == [
        "MODEL", "PLATFORM", "ROUTE", "SECONDS", "RESOLUTIONS", "STATUS", "TYPICAL", "USD/S"
    ]  # fmt: skip
    assert any(line.startswith("veo-3.1-generate-001") and " vertex " in line for line in lines)
    entries = json.loads(invoke("models", "--json", "--platform", "gemini").stdout)
    assert entries and all(entry["platform"] == "gemini" for entry in entries)
    assert {"id", "durations", "latency", "lifecycle"} <= set(entries[0])
    every = json.loads(invoke("models", "--json", "--all").stdout)
    assert len(every) >= len(json.loads(invoke("models", "--json").stdout))


def test_doctor_shows_no_secret(invoke: Invoke, vertex_env: dict[str, str]) -> None:
    text = invoke("doctor", env=vertex_env)
    assert text.exit_code in (0, ExitCode.CONFIGURATION)
    assert "doctor" in text.stdout
    data = json.loads(invoke("doctor", "--json", env=vertex_env).stdout)
    assert isinstance(data["ok"], bool)
    assert API_KEY not in text.stdout + json.dumps(data)


def test_doctor_reports_a_missing_configuration(invoke: Invoke) -> None:
    result = invoke("doctor", "--json")
    assert result.exit_code == ExitCode.CONFIGURATION
    assert json.loads(result.stdout)["ok"] is False


def test_missing_click_is_explained(run: Run) -> None:
    code = (
        "import sys; sys.modules['click'] = None; import veowrap.cli; veowrap.cli.main(['--help'])"
    )
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=20
    )
    assert done.returncode == ExitCode.CONFIGURATION
    assert "pip install 'veowrap[cli]'" in done.stderr
    assert "Traceback" not in done.stderr
