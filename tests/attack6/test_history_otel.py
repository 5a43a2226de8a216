"""Attack 6: latency history, tracing, hostile handle JSON (docs/observability.md)."""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import veowrap
from veowrap.testing import VeoEmulator

KEY = "AIzaSECRETKEY-attack6-0123456789abcdef"
PROMPT = "a paper boat on a rainy street, secret-word-quokka"
FAST = veowrap.PollSchedule.fixed(0.05)

_EXPORTER = InMemorySpanExporter()


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    d = tmp_path / "cache"
    monkeypatch.setenv("VEOWRAP_CACHE_DIR", str(d))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("VEOWRAP_NO_HISTORY", raising=False)
    return d


@pytest.fixture
def emu() -> Iterator[VeoEmulator]:
    with VeoEmulator(latency=0.15, api_key=KEY) as emulator:
        yield emulator


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):
        provider = TracerProvider()
        trace.set_tracer_provider(provider)
    if not getattr(provider, "_attack6", False):
        provider.add_span_processor(SimpleSpanProcessor(_EXPORTER))
        provider._attack6 = True  # type: ignore[attr-defined]
    _EXPORTER.clear()
    yield _EXPORTER
    _EXPORTER.clear()


def _gen(emu: VeoEmulator, **options: Any) -> veowrap.VideoGenerator:
    """A real-looking generator: google-genai client (API key) handed to VideoGenerator."""
    return veowrap.VideoGenerator(emu.client(), poll_schedule=FAST, **options)


def _run(fn: Any, limit: float = 20.0) -> Any:
    """Run fn in a thread; fail (not hang) if it takes more than ``limit`` seconds."""
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = fn()
        except BaseException as error:
            box["error"] = error

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(limit)
    assert not thread.is_alive(), f"hung for more than {limit}s"
    if "error" in box:
        raise box["error"]
    return box.get("value")


def _generate(emu: VeoEmulator, **options: Any) -> veowrap.GenerationResult:
    def go() -> Any:
        with _gen(emu, **options) as gen:
            return gen.generate(PROMPT)

    return _run(go)


def _all_bytes(root: Path) -> bytes:
    out = b""
    for path in root.rglob("*") if root.exists() else []:
        if path.is_file():
            out += path.read_bytes()
    return out


# --- baseline: history is recorded, and holds no prompt or key -------------------------------


def test_baseline_history_recorded_without_prompt_or_key(emu: VeoEmulator, cache: Path) -> None:
    result = _generate(emu)
    assert result.videos
    db = cache / "history.sqlite3"
    assert db.exists(), "a real-looking run records history"
    blob = _all_bytes(cache)
    for secret in (b"quokka", KEY.encode(), b"operations/"):
        assert secret not in blob


# --- hostile cache locations ------------------------------------------------------------------


def test_cache_dir_is_a_regular_file(
    emu: VeoEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cache: Path
) -> None:
    blocker = tmp_path / "iam-a-file"
    blocker.write_text("keep me")
    monkeypatch.setenv("VEOWRAP_CACHE_DIR", str(blocker))
    assert _generate(emu).videos
    assert blocker.read_text() == "keep me"


def test_cache_dir_under_a_regular_file(
    emu: VeoEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cache: Path
) -> None:
    blocker = tmp_path / "iam-a-file"
    blocker.write_text("keep me")
    monkeypatch.setenv("VEOWRAP_CACHE_DIR", str(blocker / "sub" / "dir"))
    assert _generate(emu).videos


def test_history_file_is_garbage(emu: VeoEmulator, cache: Path) -> None:
    cache.mkdir(parents=True)
    junk = os.urandom(8192)
    (cache / "history.sqlite3").write_bytes(junk)
    assert _generate(emu).videos


def test_history_file_is_a_directory(emu: VeoEmulator, cache: Path) -> None:
    (cache / "history.sqlite3").mkdir(parents=True)
    assert _generate(emu).videos


def test_history_file_is_a_fifo_neither_fails_nor_hangs(emu: VeoEmulator, cache: Path) -> None:
    cache.mkdir(parents=True)
    os.mkfifo(cache / "history.sqlite3")
    assert _generate(emu).videos


def test_history_symlink_to_a_user_file_is_not_clobbered(
    emu: VeoEmulator, cache: Path, tmp_path: Path
) -> None:
    victim = tmp_path / "notes.txt"
    victim.write_text("precious\n")
    cache.mkdir(parents=True)
    (cache / "history.sqlite3").symlink_to(victim)
    assert _generate(emu).videos
    assert victim.read_text() == "precious\n"


def test_history_locked_by_another_writer_does_not_break_the_deadline(
    emu: VeoEmulator, cache: Path
) -> None:
    _generate(emu)  # create a valid db
    holder = sqlite3.connect(cache / "history.sqlite3", timeout=0, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        start = time.monotonic()
        assert _generate(emu).videos
        assert time.monotonic() - start < 8, "a locked history must not stall a job"
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_history_with_a_hostile_schema(emu: VeoEmulator, cache: Path) -> None:
    cache.mkdir(parents=True)
    con = sqlite3.connect(cache / "history.sqlite3")
    # A valid SQLite file whose tables are not what veowrap expects, plus a trigger bomb.
    con.executescript(
        "CREATE TABLE jobs (x BLOB);"
        "CREATE TABLE history (x TEXT);"
        "CREATE TABLE latency (x TEXT);"
        "PRAGMA user_version = 999;"
    )
    con.close()
    assert _generate(emu).videos


# --- NO_HISTORY --------------------------------------------------------------------------------


def test_no_history_env_stores_nothing(
    emu: VeoEmulator, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VEOWRAP_NO_HISTORY", "1")
    assert _generate(emu).videos
    assert not cache.exists() or not any(cache.iterdir())
    assert not (Path(os.environ["XDG_CACHE_HOME"]) / "veowrap").exists()


def test_history_false_stores_nothing(emu: VeoEmulator, cache: Path) -> None:
    assert _generate(emu, history=False).videos
    assert not cache.exists() or not any(cache.iterdir())


def test_no_history_env_wins_even_over_history_true(
    emu: VeoEmulator, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VEOWRAP_NO_HISTORY", "1")
    assert _generate(emu, history=True).videos
    assert not cache.exists() or not any(cache.iterdir())


# --- OpenTelemetry: no prompt, no key -----------------------------------------------------------


def _span_text(spans: Sequence[ReadableSpan]) -> str:
    parts: list[str] = []
    for span in spans:
        parts.append(span.name)
        parts.append(repr(dict(span.attributes or {})))
        for event in span.events:
            parts.append(event.name + repr(dict(event.attributes or {})))
        for link in span.links:
            parts.append(repr(dict(link.attributes or {})))
        parts.append(repr(span.status.description))
        parts.append(repr(dict(span.resource.attributes)))
    return "\n".join(parts)


def test_spans_hold_no_prompt_or_key(
    emu: VeoEmulator, cache: Path, spans: InMemorySpanExporter
) -> None:
    _generate(emu)
    finished = spans.get_finished_spans()
    assert any(span.name == "veowrap.generate" for span in finished)
    text = _span_text(finished)
    assert "quokka" not in text
    assert KEY not in text


def test_failing_job_spans_hold_no_prompt_or_key(
    emu: VeoEmulator, cache: Path, spans: InMemorySpanExporter
) -> None:
    from veowrap.testing import Outcome

    emu.script(Outcome.error(code=3, message=f"bad request, key={KEY}"))
    with pytest.raises(veowrap.JobError):
        _generate(emu)
    text = _span_text(spans.get_finished_spans())
    assert "quokka" not in text
    assert KEY not in text, "a server message echoing the key reached a span"


# --- hostile traceparent in handle JSON ---------------------------------------------------------

HOSTILE = {
    "huge": "00-" + "a" * 32 + "-" + "b" * 16 + "-01" + "x" * 5_000_000,
    "huge_hex": "00-" + "a" * 5_000_000 + "-" + "b" * 16 + "-01",
    "non_hex": "00-" + "z" * 32 + "-" + "y" * 16 + "-01",
    "newline": "00-" + "a" * 32 + "-" + "b" * 16 + "-01\nX-Injected: " + KEY,
    "version_ff": "ff-" + "a" * 32 + "-" + "b" * 16 + "-01",
    "not_a_string": {"nested": ["x"] * 100},
    "number": 10**400,
}


@pytest.mark.parametrize("kind", list(HOSTILE))
def test_hostile_traceparent_never_blocks_a_resume(
    emu: VeoEmulator, cache: Path, spans: InMemorySpanExporter, kind: str
) -> None:
    def go() -> Any:
        with _gen(emu) as gen:
            handle = gen.submit(PROMPT)
            data = json.loads(handle.to_json())
            data["traceparent"] = HOSTILE[kind]
            text = json.dumps(data)
            start = time.monotonic()
            result = gen.wait(text)
            assert time.monotonic() - start < 10
            return result

    result = _run(go)
    assert result.videos
    waited = [s for s in spans.get_finished_spans() if s.name == "veowrap.wait"]
    assert len(waited) == 1
    text = _span_text(waited)
    assert "X-Injected" not in text and KEY not in text and "xxxxxxxx" not in text
    for link in waited[0].links:
        assert link.context.is_valid


def test_hostile_traceparent_handle_object_deadline(emu: VeoEmulator, cache: Path) -> None:
    """wait(timeout=) still holds with a hostile traceparent and a job that never ends."""
    emu.set_latency(60)

    def go() -> None:
        with _gen(emu) as gen:
            handle = gen.submit(PROMPT)
            data = json.loads(handle.to_json())
            data["traceparent"] = "00-" + "a" * 32 + "-" + "b" * 16 + "-01" + "\x00" * 1_000_000
            start = time.monotonic()
            with pytest.raises(veowrap.OperationTimeoutError):
                gen.wait(json.dumps(data), timeout=0.5)
            assert time.monotonic() - start < 5

    _run(go)


ZERO = {
    "zero_trace_and_span": "00-" + "0" * 32 + "-" + "0" * 16 + "-01",
    "zero_span": "00-" + "a" * 32 + "-" + "0" * 16 + "-01",
    "zero_trace": "00-" + "0" * 32 + "-" + "b" * 16 + "-01",
}


@pytest.mark.parametrize("kind", list(ZERO))
def test_all_zero_traceparent_is_dropped_on_load(kind: str) -> None:
    handle = veowrap.OperationHandle.from_json(
        json.dumps(
            {
                "name": "projects/p/locations/l/publishers/google/models/m/operations/o",
                "platform": "vertex",
                "traceparent": ZERO[kind],
            }
        )
    )
    assert handle.traceparent is None


def test_all_zero_traceparent_makes_no_invalid_link(
    emu: VeoEmulator, cache: Path, spans: InMemorySpanExporter
) -> None:
    def go() -> Any:
        with _gen(emu) as gen:
            data = json.loads(gen.submit(PROMPT).to_json())
            data["traceparent"] = ZERO["zero_trace_and_span"]
            return gen.wait(json.dumps(data))

    assert _run(go).videos
    (waited,) = [s for s in spans.get_finished_spans() if s.name == "veowrap.wait"]
    assert all(link.context.is_valid for link in waited.links)


# --- poisoned but well-formed history -----------------------------------------------------------


def _poison(cache: Path, emu: VeoEmulator, values: list[Any]) -> None:
    _generate(emu)  # a real row tells the model/platform/videos key
    con = sqlite3.connect(cache / "history.sqlite3")
    model, platform, videos = con.execute(
        "SELECT model, platform, videos FROM latency LIMIT 1"
    ).fetchone()
    for i in range(60):
        value = values[i % len(values)]
        con.execute(
            "INSERT INTO latency (at, model, platform, resolution, duration_s, videos, outcome,"
            " latency_s, lower_s) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (time.time(), model, platform, "720p", 8, videos, "succeeded", value, value),
        )
    con.commit()
    con.close()


def _generate_with_events(emu: VeoEmulator) -> veowrap.GenerationResult:
    def go() -> Any:
        events: list[Any] = []
        with veowrap.VideoGenerator(emu.client(), poll_schedule=FAST, timeout=20) as gen:
            result = gen.generate(PROMPT, on_event=events.append)
        assert any(e.kind == "polled" for e in events)  # ETAs were computed from the history
        return result

    return _run(go, limit=40)


@pytest.mark.parametrize(
    "values",
    [
        [float("inf"), -1.0, 0.0, -float("inf")],
        ["abc", b"\x00\xff", "", -1e308],
        [1e-300, 0.0, 5e-324],
    ],
    ids=["inf_negative", "wrong_types", "tiny"],
)
def test_poisoned_history_values_do_not_break_a_job(
    emu: VeoEmulator, cache: Path, values: list[Any]
) -> None:
    _poison(cache, emu, values)
    start = time.monotonic()
    assert _generate_with_events(emu).videos
    assert time.monotonic() - start < 40
