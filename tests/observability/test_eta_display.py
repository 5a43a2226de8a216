"""ETAs in the progress displays (the notebook/terminal bar and the plain CLI lines)."""

from __future__ import annotations

import io

import veowrap
from veowrap._events import Polled, Submitted
from veowrap._progress import ProgressState
from veowrap.cli._progress import PlainReporter

HANDLE = veowrap.OperationHandle.from_name(
    "projects/p/locations/us-central1/publishers/google/models/veo-3.1-generate-001/operations/x"
)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _polled(count: int, p50: float | None, p90: float | None, done: bool = False) -> Polled:
    return Polled(
        HANDLE,
        poll_count=count,
        elapsed=10.0 * count,
        done=done,
        next_poll_in=None if done else 8,
        age=10.0 * count,
        eta_p50=p50,
        eta_p90=p90,
    )


def test_the_bar_shows_the_eta_counting_down() -> None:
    clock = Clock()
    state = ProgressState(clock=clock)
    state.update(Submitted(HANDLE))
    assert "typically" in state.summary(), "the catalog's range until a poll brings an ETA"
    state.update(_polled(1, 45.0, 130.0))
    assert "(ETA 45s, 90 % within 2m10s)" in state.summary()
    clock.now += 5
    assert "(ETA 40s, 90 % within 2m05s)" in state.summary()


def test_no_eta_past_the_distribution_and_none_once_done() -> None:
    clock = Clock()
    state = ProgressState(clock=clock)
    state.update(_polled(1, 45.0, 130.0))
    state.update(_polled(2, None, None))
    assert "ETA" not in state.summary()
    state.update(_polled(3, 5.0, 9.0))
    state.update(_polled(4, None, None, done=True))
    assert state.eta_text() is not None  # done is told by Completed, which stops the clock


def test_plain_lines_carry_the_eta() -> None:
    stream = io.StringIO()
    reporter = PlainReporter(stream)
    reporter._last_line = -1e9  # the next pending poll writes a line
    reporter(_polled(3, 20.0, 75.0))
    assert "; ETA 20s, 90 % within 1m15s)" in stream.getvalue()
