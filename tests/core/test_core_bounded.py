"""`call_within`: deadline-bound calls on reused worker threads (real threads, short waits)."""

from __future__ import annotations

import contextvars
import threading
import time

import pytest

from veowrap._bounded import call_within
from veowrap._core.retrying import DeadlineReached

LATER = 30.0  # seconds: a deadline no call here comes near


def _deadline(seconds: float = LATER) -> float:
    return time.monotonic() + seconds


def test_calls_return_values_and_raise_errors() -> None:
    assert call_within(lambda: 42, _deadline(), time.monotonic) == 42
    with pytest.raises(KeyError):
        call_within(lambda: {}["missing"], _deadline(), time.monotonic)


def test_an_idle_worker_is_reused() -> None:
    def name() -> tuple[str, int]:
        return threading.current_thread().name, threading.get_ident()

    first = call_within(name, _deadline(), time.monotonic)
    second = call_within(name, _deadline(), time.monotonic)
    assert first[0] == "veowrap-call"
    assert second == first  # the same thread, not a new one per call


def test_a_stuck_call_is_abandoned_and_others_still_run() -> None:
    release = threading.Event()
    with pytest.raises(DeadlineReached):
        call_within(lambda: release.wait(LATER), _deadline(0.05), time.monotonic)
    # Its worker is still busy; the next call gets another one at once.
    assert call_within(lambda: "next", _deadline(), time.monotonic) == "next"
    release.set()


def test_each_call_sees_the_callers_context() -> None:
    variable: contextvars.ContextVar[str] = contextvars.ContextVar("variable", default="unset")
    for value in ("one", "two"):
        variable.set(value)
        assert call_within(variable.get, _deadline(), time.monotonic) == value


def test_a_worker_keeps_no_answer_after_the_call() -> None:
    import gc
    import weakref

    class Answer:
        pass

    held = [Answer()]
    seen = weakref.ref(held[0])
    assert call_within(held.pop, _deadline(), time.monotonic) is seen()
    # The worker lets go right after handing the answer over; give it a moment to get there.
    give_up = time.monotonic() + 2.0
    while seen() is not None and time.monotonic() < give_up:
        gc.collect()
        time.sleep(0.01)
    assert seen() is None  # the idle worker holds nothing of the last call
