"""`-o` is checked before anything is paid: unusable destinations, existing files, handle files.

A job is billed once accepted, so an output that cannot take its video must be refused before
the create is sent: one line, a hint, exit 7, and nothing on the wire. The read-only and
full-disk cases mount a real tmpfs in a private mount namespace (``unshare``), so they run the
command as a subprocess and are skipped where namespaces are not allowed.
"""

from __future__ import annotations

import inspect
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from veowrap import GenerationResult
from veowrap.cli._exit import ExitCode
from veowrap.testing import VeoEmulator

from .conftest import POLL, Invoke

MODEL = ["-m", "veo-3.1-fast-generate-001"]


def assert_one_error(stderr: str, *, contains: str) -> None:
    """One `error:` line naming the problem, a `hint:` line, and no bug report or traceback."""
    errors = [line for line in stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, stderr
    assert contains in errors[0], stderr
    assert "\nhint: " in stderr, stderr
    assert "bug" not in stderr and "Traceback" not in stderr, stderr


@pytest.mark.parametrize(
    ("output", "reason"),
    [
        ("afile/boat.mp4", "not a directory"),
        ("afile/sub/", "not a directory"),
        ("/proc/veowrap-test/boat.mp4", "no such file"),
        ("/sys/veowrap-test/", "not permitted"),
    ],
)
def test_generate_refuses_an_unusable_output_before_submitting(
    invoke: Invoke,
    emu: VeoEmulator,
    vertex_env: dict[str, str],
    tmp_path: Path,
    output: str,
    reason: str,
) -> None:
    (tmp_path / "afile").write_text("a regular file")
    result = invoke("generate", "a boat", *MODEL, *POLL, "-o", output, env=vertex_env)
    assert result.exit_code == ExitCode.LOCAL_FILES == 7, result.stderr
    assert_one_error(result.stderr, contains="Cannot save")
    assert reason in result.stderr.lower() or reason in result.stderr
    assert emu.requests == []


def test_generate_refuses_an_existing_file_and_leaves_it_alone(
    invoke: Invoke, emu: VeoEmulator, vertex_env: dict[str, str], tmp_path: Path
) -> None:
    (tmp_path / "boat.mp4").write_bytes(b"my own video")
    result = invoke("generate", "a boat", *MODEL, *POLL, "-o", "boat.mp4", env=vertex_env)
    assert result.exit_code == ExitCode.LOCAL_FILES
    assert_one_error(result.stderr, contains="already exists")
    assert "--overwrite" in result.stderr
    assert (tmp_path / "boat.mp4").read_bytes() == b"my own video"
    assert emu.requests == []


def test_generate_checks_every_file_of_several_videos(
    invoke: Invoke, emu: VeoEmulator, vertex_env: dict[str, str], tmp_path: Path
) -> None:
    (tmp_path / "boat-1.mp4").write_bytes(b"mine")
    result = invoke(
        "generate", "a boat", *MODEL, *POLL, "-n", "2", "-o", "boat.mp4", "--json", env=vertex_env
    )
    assert result.exit_code == ExitCode.LOCAL_FILES
    error = json.loads(result.stdout)["error"]
    assert error["type"] == "DestinationExistsError" and "boat-1.mp4" in error["message"]
    assert emu.requests == []


def test_generate_refuses_a_handle_path_that_is_a_directory(
    invoke: Invoke, emu: VeoEmulator, vertex_env: dict[str, str], tmp_path: Path
) -> None:
    (tmp_path / "boat.mp4.handle.json").mkdir()
    result = invoke("generate", "a boat", *MODEL, *POLL, "-o", "boat.mp4", env=vertex_env)
    assert result.exit_code == ExitCode.LOCAL_FILES
    assert_one_error(result.stderr, contains="handle")
    assert emu.requests == []


@pytest.mark.skipif(
    "overwrite" not in inspect.signature(GenerationResult.save).parameters,
    reason="GenerationResult.save(overwrite=) comes with the downloads branch",
)
def test_generate_overwrite_replaces_an_existing_file(
    invoke: Invoke, vertex_env: dict[str, str], tmp_path: Path
) -> None:
    (tmp_path / "boat.mp4").write_bytes(b"my own video")
    result = invoke(
        "generate", "a boat", *MODEL, *POLL, "-o", "boat.mp4", "--overwrite", env=vertex_env
    )
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "boat.mp4").read_bytes()[4:8] == b"ftyp"


def test_wait_checks_the_output_before_waiting(
    invoke: Invoke, emu: VeoEmulator, vertex_env: dict[str, str], tmp_path: Path
) -> None:
    emu.set_latency(30)
    submitted = invoke(
        "generate", "a boat", *MODEL, *POLL, "--timeout", "0.2", "-o", "b.mp4", env=vertex_env
    )
    assert submitted.exit_code == ExitCode.TIMEOUT
    (tmp_path / "afile").write_text("x")
    sent = len(emu.requests)
    result = invoke("wait", "b.mp4.handle.json", "-o", "afile/b.mp4", *POLL, env=vertex_env)
    assert result.exit_code == ExitCode.LOCAL_FILES
    assert_one_error(result.stderr, contains="Cannot save")
    assert len(emu.requests) == sent


def test_batch_checks_the_directory_before_sending(
    invoke: Invoke, emu: VeoEmulator, vertex_env: dict[str, str], tmp_path: Path
) -> None:
    (tmp_path / "afile").write_text("x")
    (tmp_path / "b.jsonl").write_text('{"prompt": "a boat", "key": "boat"}\n')
    result = invoke("batch", "b.jsonl", "-o", "afile/out", *POLL, env=vertex_env)
    assert result.exit_code == ExitCode.LOCAL_FILES
    assert_one_error(result.stderr, contains="Cannot save")
    assert emu.requests == []


def test_exit_code_7_is_in_the_help(invoke: Invoke) -> None:
    for command in ("generate", "wait", "batch"):
        text = invoke(command, "--help").stdout
        assert "7    a local file cannot be used" in text
        assert "--overwrite" in text


# -- real read-only and full file systems -------------------------------------------------


def _namespaces_allowed() -> bool:
    if shutil.which("unshare") is None or sys.platform != "linux":
        return False
    probe = subprocess.run(
        ["unshare", "-rm", "sh", "-c", "mount -t tmpfs tmpfs /mnt"],
        capture_output=True,
        check=False,
    )
    return probe.returncode == 0


needs_mounts = pytest.mark.skipif(
    not _namespaces_allowed(), reason="needs unshare and mount in a user namespace"
)


def _in_tmpfs(
    mount: Path, options: str, args: list[str], env: dict[str, str], cwd: Path
) -> subprocess.CompletedProcess[str]:
    """Runs `python -m veowrap.cli ARGS` with a fresh tmpfs (OPTIONS) mounted at MOUNT."""
    mount.mkdir()
    script = 'mount -t tmpfs -o "$1" tmpfs "$2" && shift 2 && exec "$@"'
    namespace = ["unshare", "-rm", "sh", "-c", script, "sh", options, str(mount)]
    return subprocess.run(
        [*namespace, sys.executable, "-m", "veowrap.cli", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


@needs_mounts
def test_read_only_file_system_is_refused_before_submitting(
    emu: VeoEmulator, vertex_env: dict[str, str], tmp_path: Path
) -> None:
    done = _in_tmpfs(
        tmp_path / "ro",
        "ro,size=1m",
        ["generate", "a boat", *MODEL, *POLL, "-o", "ro/boat.mp4"],
        vertex_env,
        tmp_path,
    )
    assert done.returncode == ExitCode.LOCAL_FILES, done.stderr
    assert_one_error(done.stderr, contains="read-only")
    assert emu.requests == []


@needs_mounts
def test_full_disk_after_paying_keeps_the_job(
    invoke: Invoke, emu: VeoEmulator, vertex_env: dict[str, str], tmp_path: Path
) -> None:
    # 16 KiB: room for the write probe and the handle, not for the ~20-40 KB video.
    done = _in_tmpfs(
        tmp_path / "full",
        "size=16k",
        ["generate", "a boat", *MODEL, *POLL, "-o", "full/boat.mp4"],
        vertex_env,
        tmp_path,
    )
    assert done.returncode == ExitCode.LOCAL_FILES, done.stderr
    assert "bug" not in done.stderr and "Traceback" not in done.stderr, done.stderr
    assert "handle saved to full/boat.mp4.handle.json" in done.stderr, done.stderr
    assert re.search(r"^resume with: veowrap wait ", done.stderr, re.MULTILINE)
    assert "the disk is full" in done.stderr or "No space left" in done.stderr
    assert "save()" not in done.stderr  # a command-line hint, not the library's Python one
    assert emu.accepted_submissions == 1
    # The paid job is not lost: it can still be saved somewhere with room.
    again = invoke("wait", emu.operations[0], "-o", "elsewhere.mp4", *POLL, env=vertex_env)
    assert again.exit_code == 0, again.stderr
    assert (tmp_path / "elsewhere.mp4").stat().st_size > 1000
    assert emu.accepted_submissions == 1
