"""Latency history: what a finished job records, where, how to turn it off, and what it
changes (the ETA in Polled events and the poll schedule).

Jobs that record run against the emulator (real HTTP, real time) with ``history=True``: the
emulator's generators and FakeBackend's virtual time keep out of the history by default."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

import veowrap
from veowrap._core.latency import MIN_SAMPLES
from veowrap._core.schedule import LearnedSchedule
from veowrap._events import Event, Polled
from veowrap._history import HistoryRow, LatencyHistory, cache_dir, distribution_for
from veowrap.backends.fake import FakeBackend
from veowrap.testing import Outcome, VeoEmulator

MODEL = "veo-3.1-generate-001"
PROMPT = "a paper boat on a rainy street, secret-word-zebra"


def _db() -> Path:
    return cache_dir() / "history.sqlite3"


FAST_POLLS = veowrap.PollSchedule.fixed(0.05)


@pytest.fixture
def emu() -> Iterator[VeoEmulator]:
    with VeoEmulator(latency=0.2) as emulator:
        yield emulator


def _recording(emu: VeoEmulator, **options: object) -> veowrap.VideoGenerator:
    settings: dict[str, object] = {"history": True, "poll_schedule": FAST_POLLS, "model": MODEL}
    return emu.generator(vertex=True, **{**settings, **options})  # type: ignore[arg-type]


def _generator(latency: float = 40.0, **options: object) -> veowrap.VideoGenerator:
    backend = FakeBackend(platform="vertex", latency=latency, model=MODEL)
    return veowrap.VideoGenerator(backend=backend, **options)  # type: ignore[arg-type]


def test_tests_never_write_the_real_user_cache() -> None:
    assert "veowrap-cache" in str(cache_dir()), "tests/conftest.py points the cache to tmp"


def test_a_finished_job_records_its_latency_and_no_prompt(emu: VeoEmulator) -> None:
    with _recording(emu) as gen:
        gen.generate(PROMPT, resolution="720p", duration_seconds=8)
    rows = LatencyHistory().rows()
    assert len(rows) == 1
    row = rows[0]
    assert (row.model, row.platform, row.outcome) == (MODEL, "vertex", "succeeded")
    assert (row.resolution, row.duration_s, row.videos) == ("720p", 8, 1)
    # Found done at one poll; the poll before saw it running.
    assert row.lower_s is not None
    assert 0 <= row.lower_s < row.latency_s
    assert b"zebra" not in _db().read_bytes()
    assert b"operations" not in _db().read_bytes(), "no operation names either"


def test_a_filtered_job_is_recorded_as_filtered(emu: VeoEmulator) -> None:
    emu.script(Outcome.filtered(reasons=["unsafe content"]))
    with _recording(emu) as gen, pytest.raises(veowrap.ContentFilteredError):
        gen.generate("a kite")
    assert [row.outcome for row in LatencyHistory().rows()] == ["filtered"]


def test_a_timeout_teaches_nothing(emu: VeoEmulator) -> None:
    emu.set_latency(60)
    with _recording(emu) as gen, pytest.raises(veowrap.OperationTimeoutError):
        gen.generate("a kite", timeout=0.3)
    assert LatencyHistory().rows() == []


def test_history_false_records_nothing(emu: VeoEmulator) -> None:
    with _recording(emu, history=False) as gen:
        gen.generate("a kite")
    assert not _db().exists()


def test_the_environment_turns_history_off(
    emu: VeoEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VEOWRAP_NO_HISTORY", "1")
    with _recording(emu) as gen:
        gen.generate("a kite")
    assert not _db().exists()


def test_emulators_and_virtual_time_stay_out_of_history(emu: VeoEmulator) -> None:
    with emu.generator(vertex=True, model=MODEL) as gen:
        gen.generate("a kite")
    with _generator() as gen:
        gen.generate("a kite")
    assert LatencyHistory().rows() == []


def test_the_store_is_bounded(tmp_path: Path) -> None:
    store = LatencyHistory(tmp_path / "h.sqlite3", max_rows=5)
    for seconds in range(12):
        assert store.record(HistoryRow(MODEL, "vertex", "succeeded", float(seconds + 10)))
    kept = sorted(row.latency_s for row in store.rows())
    assert kept == [17.0, 18.0, 19.0, 20.0, 21.0]


def test_an_unwritable_store_never_breaks_a_job(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    store = LatencyHistory(blocker / "h.sqlite3")
    assert store.record(HistoryRow(MODEL, "vertex", "succeeded", 30.0)) is False
    assert store.rows() == []


def test_a_corrupt_store_is_ignored(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    path.write_bytes(b"garbage" * 100)
    store = LatencyHistory(path)
    assert store.rows() == []
    assert distribution_for(MODEL, "vertex", 1, store) is not None, "the prior still serves"


def test_polled_events_carry_a_conditional_eta() -> None:
    seen: list[Event] = []
    with _generator(latency=200.0) as gen:
        gen.generate("a kite", on_event=seen.append, timeout=1000)
    polls = [e for e in seen if isinstance(e, Polled)]
    pending = [e for e in polls if not e.done]
    assert pending, "the job ran past the first polls"
    for event in pending:
        assert event.age is not None
        assert event.eta_p50 is not None and event.eta_p90 is not None
        assert 0 <= event.eta_p50 <= event.eta_p90
    assert polls[-1].done and polls[-1].eta_p50 is None


def test_history_refines_the_distribution_and_the_schedule(emu: VeoEmulator) -> None:
    store = LatencyHistory()
    prior = distribution_for(MODEL, "vertex", 1, store)
    assert prior is not None and prior.source == "catalog"
    emu.set_latency(0.05)
    with _recording(emu, poll_schedule=veowrap.PollSchedule.fixed(0.02)) as gen:
        for _ in range(MIN_SAMPLES):
            gen.generate("a kite")
    assert distribution_for(MODEL, "vertex", 1, store) is prior, "a store re-reads after a minute"
    learned = distribution_for(MODEL, "vertex", 1, LatencyHistory())
    assert learned is not None and learned.source == "history"
    assert learned.samples == MIN_SAMPLES
    assert learned.quantile(0.5) < prior.quantile(0), "the learned jobs were all quick"
    schedule = veowrap.PollSchedule.adaptive().for_latency(learned)
    assert isinstance(schedule, LearnedSchedule)
    assert schedule.ages[0] != veowrap.PollSchedule.adaptive().for_latency(prior).ages[0]


def test_rows_hold_only_the_documented_columns(emu: VeoEmulator) -> None:
    with _recording(emu) as gen:
        gen.generate(PROMPT)
    with sqlite3.connect(_db()) as db:
        columns = [row[1] for row in db.execute("PRAGMA table_info(latency)")]
    assert columns == [
        "id",
        "at",
        "model",
        "platform",
        "resolution",
        "duration_s",
        "videos",
        "outcome",
        "latency_s",
        "lower_s",
    ]


def test_an_explicit_schedule_is_kept() -> None:
    fixed = veowrap.PollSchedule.fixed(5)
    with _generator(poll_schedule=fixed) as gen:
        assert gen.poll_schedule is fixed
        seen: list[Event] = []
        gen.generate("a kite", on_event=seen.append)
    polls = [e for e in seen if isinstance(e, Polled)]
    assert len(polls) == 8, "40 s at one poll every 5 s"
