"""Progress displays: the event-driven state, the tqdm hook behind progress=True, the plain
log lines, and the live line on a real pseudo-terminal."""

from __future__ import annotations

import io
import os
import pty
import struct
import subprocess
import sys
import time
from pathlib import Path

import pytest

import veowrap
from veowrap._events import Completed, Failed, Polled, Retrying, Submitted
from veowrap._progress import (
    ProgressHook,
    ProgressState,
    attach_progress,
    combine_hooks,
    format_seconds,
)
from veowrap.cli._progress import BatchProgress, PlainReporter, make_reporter
from veowrap.testing import VeoEmulator

from .conftest import clean_environment

HANDLE = veowrap.OperationHandle.from_name(
    "projects/p/locations/us-central1/publishers/google/models/veo-3.1-generate-001/operations/x"
)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_state_follows_the_events() -> None:
    clock = Clock()
    state = ProgressState(clock=clock)
    assert state.summary() == "veowrap submitting 0s · 0 polls"
    state.update(Submitted(HANDLE))
    clock.now += 42
    state.update(Polled(HANDLE, poll_count=5, elapsed=42, done=False, next_poll_in=5))
    state.update(Retrying(phase="poll", attempt=1, delay=1.0, cause="HTTP 503"))
    caps = veowrap.capabilities("veo-3.1-generate-001", "vertex")
    assert caps is not None
    low = format_seconds(caps.latency.min_s)
    assert state.summary().startswith(f"veo-3.1-generate-001 running 42s (typically {low}–")
    assert state.summary().endswith(" · 5 polls · 1 retry")
    state.update(Completed(HANDLE, videos=2, filtered=1, elapsed=50))
    clock.now += 100  # the clock stops once the job has finished
    assert (
        state.summary()
        == "veo-3.1-generate-001 done 42s · 5 polls · 1 retry · 2 videos · 1 filtered"
    )


def test_state_with_a_fixed_expectation_and_a_failure() -> None:
    state = ProgressState(HANDLE, expected=(3, 3, 3), clock=Clock())
    assert state.summary() == "veo-3.1-generate-001 waiting 0s (about 3s) · 0 polls"
    state.update(Failed(error="boom", handle=HANDLE))
    assert state.phase == "failed" and state.finished


def test_format_seconds() -> None:
    assert [format_seconds(s) for s in (0, 59.9, 60, 3599, 3600)] == [
        "0s", "59s", "1m00s", "59m59s", "1h00m"
    ]  # fmt: skip


def test_combine_hooks() -> None:
    seen: list[object] = []
    assert combine_hooks() is None and combine_hooks(None) is None
    assert combine_hooks(seen.append) == seen.append
    hook = combine_hooks(seen.append, None, seen.append)
    assert hook is not None
    hook(Submitted(HANDLE))
    assert len(seen) == 2


def test_hook_draws_with_tqdm_and_stops_its_thread() -> None:
    from tqdm.std import tqdm

    stream = io.StringIO()
    with ProgressHook(
        expected=(1, 2, 4), file=stream, tqdm_class=tqdm, refresh_interval=0.01
    ) as bar:
        bar(Submitted(HANDLE))
        time.sleep(0.05)
        bar(Polled(HANDLE, poll_count=1, elapsed=0.05, done=True, next_poll_in=None))
        bar(Completed(HANDLE, videos=1, filtered=0, elapsed=0.05))
    thread = bar._thread
    assert thread is not None and not thread.is_alive()
    text = stream.getvalue()
    assert "veo-3.1-generate-001 running 0s (typically 1s–4s)" in text
    assert "veo-3.1-generate-001 done 0s · 1 poll · 1 video |################|" in text  # ASCII
    bar(Submitted(HANDLE))  # ignored once closed


def test_hook_marks_an_interrupted_job() -> None:
    from tqdm.std import tqdm

    stream = io.StringIO()
    with pytest.raises(KeyboardInterrupt), ProgressHook(HANDLE, file=stream, tqdm_class=tqdm):
        raise KeyboardInterrupt
    assert "veo-3.1-generate-001 interrupted" in stream.getvalue()


def test_progress_without_tqdm_asks_for_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    with pytest.raises(veowrap.ConfigurationError) as caught, attach_progress(None, True):
        pass
    assert caught.value.hint is not None and "pip install 'veowrap[cli]'" in caught.value.hint
    with attach_progress(print, False) as hook:  # progress=False needs nothing
        assert hook is print


def test_attach_progress_runs_a_real_generation(capsys: pytest.CaptureFixture[str]) -> None:
    seen: list[object] = []
    with VeoEmulator(latency=0.2) as emu:
        generator = veowrap.VideoGenerator(
            client=emu.client(vertex=True), poll_schedule=veowrap.PollSchedule.fixed(0.05)
        )
        with attach_progress(seen.append, True) as hook:
            result = generator.generate("a boat", model="veo-3.1-generate-001", on_event=hook)
    assert len(result.videos) == 1
    assert isinstance(seen[-1], Completed)
    assert "veo-3.1-generate-001 done" in capsys.readouterr().err


def test_plain_reporter_writes_lines_not_carriage_returns() -> None:
    stream = io.StringIO()
    reporter = make_reporter(stream)
    assert isinstance(reporter, PlainReporter)
    reporter(Submitted(HANDLE))
    reporter(Retrying(phase="poll", attempt=1, delay=1.5, cause="HTTP 503", handle=HANDLE))
    reporter(Polled(HANDLE, poll_count=1, elapsed=1, done=True, next_poll_in=None))
    reporter(Completed(HANDLE, videos=1, filtered=0, elapsed=1))
    lines = stream.getvalue().splitlines()
    assert lines[0].startswith(f"submitted {HANDLE.name} (veo-3.1-generate-001, typically ")
    assert lines[1] == "retrying poll after HTTP 503 (attempt 1, in 1.5s)"
    assert lines[2].startswith("completed in 0s after 1 polls: 1 video")
    assert "\r" not in stream.getvalue()


def test_live_line_on_a_terminal(tmp_path: Path) -> None:
    """The progress line redraws in place on a pseudo-terminal while the job runs."""
    import fcntl
    import termios

    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 120, 0, 0))
    process = subprocess.Popen(
        [sys.executable, "-m", "veowrap.cli", "generate", "--offline", "--offline-latency",
         "1.5", "a paper boat", "-o", "boat.mp4"],
        cwd=tmp_path, env=clean_environment(), stdin=follower, stdout=subprocess.PIPE,
        stderr=follower,
    )  # fmt: skip
    os.close(follower)
    screen = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the terminal closed: the command has exited
            break
        if not chunk:
            break
        screen += chunk
    os.close(leader)
    assert process.wait(timeout=20) == 0
    assert process.stdout is not None and process.stdout.read() == b"boat.mp4\n"
    text = screen.decode()
    frames = [frame for frame in text.split("\r") if "veo-3.1-generate-001 running" in frame]
    assert len(frames) >= 3, text  # redrawn in place, not one line per update
    assert "(about 1s)" in frames[0]
    assert "veo-3.1-generate-001 done 1s" in text
    assert "|████████████████|" in text


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_batch_progress_draws_a_bar_only_on_a_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    log = io.StringIO()
    with BatchProgress(log, 2) as progress:
        progress.start()
        progress.advance()
        progress.message("c1: OperationFailedError: boom")
    assert log.getvalue() == "c1: OperationFailedError: boom\n"  # no bar, no carriage return
    terminal = _Terminal()
    with BatchProgress(terminal, 2) as progress:
        progress.start()
        progress.advance()
        progress.message("c1: OperationFailedError: boom")
        progress.echo("out/c0.mp4")
    drawn = terminal.getvalue()
    assert "\r" in drawn and "batch:" in drawn and "1/2" in drawn
    assert "c1: OperationFailedError: boom\n" in drawn
    assert capsys.readouterr().out == "out/c0.mp4\n"
    hidden = _Terminal()
    with BatchProgress(hidden, 2, hidden=True) as progress:  # -q or --json
        progress.start()
        progress.advance()
    assert hidden.getvalue() == ""
