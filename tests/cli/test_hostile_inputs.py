"""Bad input and a hostile machine never read as "a bug in veowrap".

Absurd HANDLE arguments and files, file-system errors, and Ctrl-C at odd moments each end in
one `error:` line, a hint where there is something to do, and their own exit code.
"""

from __future__ import annotations

import errno
import json
import os
from pathlib import Path
from typing import Any

import pytest

import veowrap.cli._generate as generate_command
import veowrap.cli._jobs as jobs
import veowrap.cli._wait_status as wait_status
from veowrap._handle import OperationHandle
from veowrap.cli._describe import describe
from veowrap.cli._exit import ExitCode, exit_code_for
from veowrap.cli._handles import save_handle
from veowrap.testing import VeoEmulator

from .conftest import POLL, Invoke

MODEL = ["-m", "veo-3.1-fast-generate-001"]


def assert_not_a_bug(output: str) -> None:
    assert "bug" not in output and "Traceback" not in output, output


@pytest.mark.parametrize(
    "value",
    [
        "x" * 100_000,
        "x" * 5_000 + "/",  # longer than a path may be, shorter than the cap
        "[" * 100_000,
        "{" + '"a":' * 20_000,
        "",
        "   ",
        "{",
        "[1, 2]",
        "nul\x00l",
        '{"name": ""}',
        '{"name": 5, "platform": "vertex"}',
        '{"name": "n", "platform": "mars"}',
        "../../etc/passwd",
        "/dev/null",
        "/proc/self/mem",
        "models//operations/",
        "a b c",
        "\x1b[31mred\x1b[0m",
        "🎬🎬🎬",
    ],
)
@pytest.mark.parametrize("command", ["status", "wait", "cancel"])
def test_absurd_handles_are_validation_errors(
    invoke: Invoke, vertex_env: dict[str, str], emu: VeoEmulator, command: str, value: str
) -> None:
    result = invoke(command, value, env=vertex_env)
    assert result.exit_code == ExitCode.VALIDATION, result.stderr[:500]
    assert result.stderr.startswith("error: handle=")
    assert len(result.stderr) < 2_000
    assert "\x1b" not in result.stderr
    assert_not_a_bug(result.stderr)
    assert emu.requests == []


@pytest.mark.parametrize("value", ["null", "x" * 5_000])
def test_names_shaped_like_an_interaction_id_are_asked_about(
    invoke: Invoke, vertex_env: dict[str, str], value: str
) -> None:
    # Valid in form (an interaction id is letters, digits, - and _), unknown to the service.
    result = invoke("status", value, env=vertex_env)
    assert result.exit_code == ExitCode.SERVICE
    assert_not_a_bug(result.stderr)


@pytest.mark.parametrize(
    "kind",
    [
        "directory",
        "binary",
        "utf-16",
        "empty",
        "huge",
        "json list",
        "deep",
        "a video",
        "fifo",
        "link to a device",
        "hostile name",
        "a billion videos",
    ],
)
def test_unusable_handle_files(
    invoke: Invoke, vertex_env: dict[str, str], emu: VeoEmulator, tmp_path: Path, kind: str
) -> None:
    path = tmp_path / "job.handle.json"
    if kind == "directory":
        path.mkdir()
    elif kind == "binary":
        path.write_bytes(bytes(range(256)))
    elif kind == "utf-16":
        path.write_text('{"name": "x", "platform": "vertex"}', encoding="utf-16")
    elif kind == "empty":
        path.write_bytes(b"")
    elif kind == "huge":
        with path.open("wb") as file:
            file.truncate(1 << 30)  # sparse: a gigabyte of NULs, never read whole
    elif kind == "json list":
        path.write_text("[1, 2, 3]")
    elif kind == "deep":
        path.write_text("{" + '"a":{' * 5_000)
    elif kind in ("fifo", "link to a device") and os.name != "posix":
        pytest.skip("POSIX file kinds")
    elif kind == "fifo":
        os.mkfifo(path)  # opening it to read would wait for a writer forever
    elif kind == "link to a device":
        path.symlink_to("/dev/zero")
    elif kind == "hostile name":
        path.write_text(
            json.dumps({"name": "models/m/operations/../../files/x", "platform": "gemini"})
        )
    elif kind == "a billion videos":
        name = "models/m/operations/x"
        path.write_text(json.dumps({"name": name, "platform": "gemini", "expected_videos": 10**9}))
    else:
        path.write_bytes(b"\x00\x00\x00\x18ftypisom" + b"\x00" * 200)
    result = invoke("status", str(path), env=vertex_env)
    assert result.exit_code == ExitCode.VALIDATION, result.stderr
    assert result.stderr.startswith("error: handle=")
    assert "\nhint: " in result.stderr
    assert_not_a_bug(result.stderr)
    assert emu.requests == []


@pytest.mark.parametrize(
    ("number", "words"),
    [
        (errno.EROFS, "read-only"),
        (errno.ENOSPC, "disk is full"),
        (errno.EACCES, "permission denied"),
        (errno.EDQUOT, "quota"),
        (errno.EIO, "input/output"),
    ],
)
def test_file_system_errors_are_worded_and_exit_7(number: int, words: str) -> None:
    error = OSError(number, os.strerror(number), "/some/where/boat.mp4")
    message, hint = describe(error)
    assert words in message and "/some/where/boat.mp4" in message
    assert hint and "bug" not in hint
    assert exit_code_for(error) == ExitCode.LOCAL_FILES == 7


def test_network_errors_are_not_file_errors() -> None:
    error = ConnectionResetError(errno.ECONNRESET, "Connection reset by peer")
    message, hint = describe(error)
    assert "network" in message and hint and "bug" not in hint
    assert exit_code_for(error) == ExitCode.SERVICE


def test_only_the_unexpected_is_a_bug_and_it_shows_no_secret(
    invoke: Invoke, vertex_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = "AIzaSy-SECRET-in-an-exception-0123456789"

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError(f"boom with {secret}")

    monkeypatch.setattr(generate_command, "check_output", broken)
    result = invoke("generate", "a boat", *MODEL, env={**vertex_env, "GEMINI_API_KEY": secret})
    assert result.exit_code == ExitCode.UNEXPECTED
    assert "This is a bug in veowrap" in result.stderr
    assert secret not in result.stderr and "***" in result.stderr


def test_emulator_port_in_use_is_not_a_bug(invoke: Invoke, emu: VeoEmulator) -> None:
    port = emu.base_url.rsplit(":", 1)[1].strip("/")
    result = invoke("emulator", "--port", port)
    assert result.exit_code == ExitCode.LOCAL_FILES
    assert "already in use" in result.stderr and "--port" in result.stderr
    assert_not_a_bug(result.stderr)


# -- the handle file: durable, and never lost -----------------------------------------------


def test_handle_file_is_written_durably(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    synced: list[str] = []
    real_fsync = os.fsync

    def fsync(descriptor: int) -> None:
        synced.append("directory" if os.path.isdir(f"/proc/self/fd/{descriptor}") else "file")
        real_fsync(descriptor)

    monkeypatch.setattr(os, "fsync", fsync)
    handle = OperationHandle.from_name("models/veo-3.1-generate-001/operations/abc")
    path = save_handle(handle, str(tmp_path / "out/boat.mp4"))
    assert path == tmp_path / "out/boat.mp4.handle.json"
    assert OperationHandle.from_json(path.read_text()).name == handle.name
    assert synced == ["file", "directory"]
    assert [p.name for p in path.parent.iterdir()] == ["boat.mp4.handle.json"]  # no temp left


def test_the_handle_of_another_job_is_not_overwritten(tmp_path: Path) -> None:
    first = OperationHandle.from_name("models/veo-3.1-generate-001/operations/first")
    second = OperationHandle.from_name("models/veo-3.1-generate-001/operations/second")
    output = str(tmp_path / "boat.mp4")
    assert save_handle(first, output).name == "boat.mp4.handle.json"
    assert save_handle(first, output).name == "boat.mp4.handle.json"  # the same job: in place
    other = save_handle(second, output)
    assert other.name == "boat.mp4.second.handle.json"
    kept = OperationHandle.from_json((tmp_path / "boat.mp4.handle.json").read_text())
    assert kept.name == first.name


def test_a_handle_that_cannot_be_saved_is_printed(
    invoke: Invoke, emu: VeoEmulator, vertex_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def disk_full(handle: OperationHandle, output: str) -> Path:
        raise OSError(errno.ENOSPC, "No space left on device", output)

    monkeypatch.setattr(jobs, "save_handle", disk_full)
    emu.set_latency(30)
    result = invoke(
        "generate", "a boat", *MODEL, *POLL, "--timeout", "0.2", "-o", "b.mp4", env=vertex_env
    )
    assert result.exit_code == ExitCode.TIMEOUT
    assert "could not save the handle next to 'b.mp4' (the disk is full)" in result.stderr
    assert emu.operations[0] in result.stderr  # the handle itself, to resume by hand
    assert "resume with: veowrap wait '{" in result.stderr
    assert_not_a_bug(result.stderr)


# -- Ctrl-C at odd moments ------------------------------------------------------------------


def _interrupt(*args: Any, **kwargs: Any) -> Any:
    raise KeyboardInterrupt


@pytest.mark.parametrize("where", ["check_output", "open_generator", "load_handle"])
def test_ctrl_c_before_anything_is_sent(
    invoke: Invoke,
    emu: VeoEmulator,
    vertex_env: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    where: str,
) -> None:
    module = wait_status if where == "load_handle" else generate_command
    monkeypatch.setattr(module, where, _interrupt)
    if where == "load_handle":
        result = invoke("status", "models/m/operations/x", env=vertex_env)
    else:
        result = invoke("generate", "a boat", *MODEL, *POLL, env=vertex_env)
    assert result.exit_code == ExitCode.INTERRUPTED
    assert result.stderr.startswith("error: Interrupted by Ctrl-C.")
    assert_not_a_bug(result.stderr)
    assert emu.requests == []


def test_ctrl_c_while_saving_keeps_the_handle(
    invoke: Invoke,
    emu: VeoEmulator,
    vertex_env: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.setattr(jobs, "_finish", _interrupt)
    result = invoke("generate", "a boat", *MODEL, *POLL, "-o", "b.mp4", env=vertex_env)
    assert result.exit_code == ExitCode.INTERRUPTED
    assert "handle saved to b.mp4.handle.json" in result.stderr
    assert json.loads((tmp_path / "b.mp4.handle.json").read_text())["name"] == emu.operations[0]
    assert_not_a_bug(result.stderr)


def test_ctrl_c_while_the_handle_is_being_saved_prints_it(
    invoke: Invoke, emu: VeoEmulator, vertex_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(jobs, "_finish", _interrupt)
    monkeypatch.setattr(jobs, "save_handle", _interrupt)
    result = invoke("generate", "a boat", *MODEL, *POLL, "-o", "b.mp4", env=vertex_env)
    assert result.exit_code == ExitCode.INTERRUPTED
    assert emu.operations[0] in result.stderr
    assert_not_a_bug(result.stderr)


def test_ctrl_c_during_a_batch_points_at_the_journal(
    invoke: Invoke,
    emu: VeoEmulator,
    vertex_env: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    import veowrap.cli._batch_command as batch_command

    monkeypatch.setattr(batch_command, "_print_item", _interrupt)
    (tmp_path / "b.jsonl").write_text('{"prompt": "a boat", "key": "boat"}\n')
    result = invoke("batch", "b.jsonl", "-o", "out", "-q", *POLL, env=vertex_env)
    assert result.exit_code == ExitCode.INTERRUPTED
    assert "veowrap-journal.sqlite" in result.stderr
    assert result.stderr.count("Rerun the same command") == 1
    assert "generator.wait" not in result.stderr  # the library's Python note stays in the log
    assert_not_a_bug(result.stderr)


def test_ctrl_c_during_an_offline_batch_says_a_rerun_cannot_finish_it(
    invoke: Invoke, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import veowrap.cli._batch_command as batch_command

    monkeypatch.setattr(batch_command, "_print_item", _interrupt)
    (tmp_path / "b.jsonl").write_text('{"prompt": "a boat", "key": "boat"}\n')
    result = invoke("batch", "b.jsonl", "-o", "out", "-q", "--offline", "--offline-latency", "0")
    assert result.exit_code == ExitCode.INTERRUPTED
    assert "a rerun cannot finish them" in result.stderr and "--emulator URL" in result.stderr
    assert "Rerun the same command" not in result.stderr
    assert_not_a_bug(result.stderr)


# command and arguments ({d}: a scratch directory holding ok.jsonl), option at fault
ABSURD_NUMBERS: list[tuple[str, list[str], str]] = [
    ("generate-timeout-nan", ["generate", "a", "-o", "{d}/v.mp4", "--timeout", "nan"], "timeout"),
    ("generate-timeout-inf", ["generate", "a", "-o", "{d}/v.mp4", "--timeout", "inf"], "timeout"),
    ("generate-timeout-huge", ["generate", "a", "-o", "{d}/v.mp4", "--timeout", "1e300"],
     "timeout"),
    ("generate-poll-0", ["generate", "a", "-o", "{d}/v.mp4", "--poll-interval", "0"],
     "poll_interval"),
    ("generate-poll-nan", ["generate", "a", "-o", "{d}/v.mp4", "--poll-interval", "nan"],
     "poll_interval"),
    ("generate-max-cost-inf", ["generate", "a", "-o", "{d}/v.mp4", "--max-cost", "inf"], "budget"),
    ("generate-offline-latency-inf",
     ["generate", "a", "-o", "{d}/v.mp4", "--offline", "--offline-latency", "inf"],
     "offline_latency"),
    ("wait-timeout-negative", ["wait", "models/m/operations/x", "--timeout", "-1"], "timeout"),
    ("wait-poll-negative", ["wait", "models/m/operations/x", "--poll-interval", "-2"],
     "poll_interval"),
    ("batch-rpm-0", ["batch", "{d}/ok.jsonl", "-o", "{d}/b", "--rpm", "0"],
     "requests_per_minute"),
    ("batch-rpm-nan", ["batch", "{d}/ok.jsonl", "-o", "{d}/b", "--rpm", "nan"],
     "requests_per_minute"),
    ("batch-timeout-negative", ["batch", "{d}/ok.jsonl", "-o", "{d}/b", "--timeout", "-1"],
     "timeout"),
    ("batch-timeout-nan", ["batch", "{d}/ok.jsonl", "-o", "{d}/b", "--timeout", "nan"], "timeout"),
    ("batch-poll-0", ["batch", "{d}/ok.jsonl", "-o", "{d}/b", "--poll-interval", "0"],
     "poll_interval"),
    ("batch-max-cost-nan", ["batch", "{d}/ok.jsonl", "-o", "{d}/b", "--max-cost", "nan"],
     "budget"),
    ("batch-offline-latency-inf",
     ["batch", "{d}/ok.jsonl", "-o", "{d}/b", "--offline", "--offline-latency", "inf"],
     "offline_latency"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("args", "field"), [pytest.param(*row[1:], id=row[0]) for row in ABSURD_NUMBERS]
)
def test_absurd_numbers_are_refused_first(
    invoke: Invoke,
    vertex_env: dict[str, str],
    emu: VeoEmulator,
    tmp_path: Path,
    args: list[str],
    field: str,
) -> None:
    (tmp_path / "ok.jsonl").write_text('{"prompt": "a"}\n')
    result = invoke(*[arg.format(d=tmp_path) for arg in args], env=vertex_env)
    assert result.exit_code == ExitCode.VALIDATION, result.stderr[-500:]
    assert result.stderr.startswith(f"error: {field}="), result.stderr
    assert "\nhint: " in result.stderr
    assert_not_a_bug(result.stderr)
    assert emu.requests == []
    assert not (tmp_path / "b").exists()  # refused before the batch's directory is made
