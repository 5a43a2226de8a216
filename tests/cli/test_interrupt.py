"""Ctrl-C during `veowrap generate`: the job keeps running, its handle is saved, and the
printed `veowrap wait` command finishes it. Real SIGINT, real subprocesses, and a separate
`veowrap emulator` process (an --offline emulator would die with the interrupted command)."""

from __future__ import annotations

import json
import re
import shlex
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from veowrap.cli._exit import ExitCode
from veowrap.testing import VeoEmulator

from .conftest import POLL, Invoke, clean_environment


@pytest.fixture
def emulator_url(tmp_path: Path) -> Iterator[str]:
    """`veowrap emulator --port 0 --latency 3` in its own process; yields its URL."""
    process = subprocess.Popen(
        [sys.executable, "-m", "veowrap.cli", "emulator", "--port", "0", "--latency", "3"],
        env=clean_environment(),
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        match = re.search(r"listening on (http://127\.0\.0\.1:\d+)", first)
        assert match, first
        yield match[1]
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_ctrl_c_saves_the_handle_and_wait_resumes(emulator_url: str, tmp_path: Path) -> None:
    command = [
        sys.executable, "-m", "veowrap.cli", "generate", "a kite over the sea",
        "-m", "veo-3.1-generate-001", "-o", "out/kite.mp4", "--emulator", emulator_url,
        "--poll-interval", "0.2",
    ]  # fmt: skip
    process = subprocess.Popen(
        command, cwd=tmp_path, env=clean_environment(), stderr=subprocess.PIPE, text=True
    )
    assert process.stderr is not None
    submitted = process.stderr.readline()
    assert submitted.startswith("submitted publishers/google/models/veo-3.1-generate-001/")
    time.sleep(0.3)  # now waiting between polls
    process.send_signal(signal.SIGINT)
    stderr = process.stderr.read()
    assert process.wait(timeout=10) == ExitCode.INTERRUPTED == 130
    assert "Traceback" not in stderr
    assert "the job keeps running on the server" in stderr
    # One resume line, in command-line words (not also the library's generator.wait(...) note).
    assert stderr.count("resume") == 1 and "generator.wait" not in stderr, stderr
    handle_file = tmp_path / "out/kite.mp4.handle.json"
    assert json.loads(handle_file.read_text())["name"] in submitted
    assert not (tmp_path / "out/kite.mp4").exists()

    resume = re.search(r"^resume with: (.+)$", stderr, re.MULTILINE)
    assert resume, stderr
    words = shlex.split(resume[1])
    assert words == [
        "veowrap", "wait", "out/kite.mp4.handle.json", "-o", "out/kite.mp4",
        "--emulator", emulator_url,
    ]  # fmt: skip
    done = subprocess.run(
        [sys.executable, "-m", "veowrap.cli", *words[1:], "--poll-interval", "0.2"],
        cwd=tmp_path,
        env=clean_environment(),
        capture_output=True,
        text=True,
        timeout=20,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "out/kite.mp4\n"
    assert (tmp_path / "out/kite.mp4").stat().st_size > 1000


class _InterruptAfterSubmission:
    """Stands in for ``time.sleep``: the first sleep in the main thread raises Ctrl-C."""

    def __init__(self) -> None:
        self.real = time.sleep
        self.fired = False

    def __call__(self, seconds: float) -> None:
        if not self.fired and threading.current_thread() is threading.main_thread():
            self.fired = True
            raise KeyboardInterrupt
        self.real(seconds)


@pytest.fixture
def interrupt(monkeypatch: pytest.MonkeyPatch) -> Any:
    # The generator reads time.sleep when it is built, inside the command.
    monkeypatch.setattr(time, "sleep", _InterruptAfterSubmission())


def test_cancel_on_interrupt_cancels_an_interaction(
    invoke: Invoke, emu: VeoEmulator, gemini_env: dict[str, str], interrupt: Any, tmp_path: Path
) -> None:
    emu.set_latency(30)
    result = invoke(
        "generate", "a kite", "-m", "gemini-omni-1.2-flash", *POLL, "-o", "kite.mp4",
        "--cancel-on-interrupt", "--json", env=gemini_env,
    )  # fmt: skip
    assert result.exit_code == ExitCode.INTERRUPTED
    error = json.loads(result.stdout)["error"]
    assert error["type"] == "KeyboardInterrupt"
    assert error["resume"] is None
    assert any(note.startswith("note: cancelled ") for note in error["notes"])
    assert error["handle"]["route"] == "interactions"
    assert (tmp_path / "kite.mp4.handle.json").is_file()
    status = invoke("status", "kite.mp4.handle.json", "--json", env=gemini_env)
    assert json.loads(status.stdout)["state"] == "cancelled"


def test_cancel_on_interrupt_explains_when_veo_cannot_cancel(
    invoke: Invoke, emu: VeoEmulator, vertex_env: dict[str, str], interrupt: Any
) -> None:
    emu.set_latency(30)
    result = invoke(
        "generate", "a kite", "-m", "veo-3.1-generate-001", *POLL, "-o", "out/",
        "--cancel-on-interrupt", env=vertex_env,
    )  # fmt: skip
    assert result.exit_code == ExitCode.INTERRUPTED
    assert "note: could not cancel: Veo long-running operations cannot be cancelled" in (
        result.stderr
    )
    assert "resume with: veowrap wait out/" in result.stderr
    assert result.stderr.count("resume") == 1, result.stderr
    assert len(list((Path("out")).glob("*.handle.json"))) == 1


def test_offline_interrupt_says_the_job_cannot_be_resumed(invoke: Invoke, interrupt: Any) -> None:
    result = invoke("generate", "--offline", "--offline-latency", "30", "a kite", "-o", "k.mp4")
    assert result.exit_code == ExitCode.INTERRUPTED
    assert "cannot be resumed" in result.stderr
    assert "resume with" not in result.stderr and "generator.wait" not in result.stderr
