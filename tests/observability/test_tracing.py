"""OpenTelemetry tracing: one span per job with the documented attributes, and a wait resumed
in another process that links to the trace that submitted the job.

Spans go to an in-memory exporter of the OpenTelemetry SDK (the ``test`` extra installs it).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("opentelemetry.sdk", reason="opentelemetry-sdk not installed")

from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter, SpanExportResult

import veowrap
from veowrap.backends._fake_outcomes import Filtered
from veowrap.backends.fake import FakeBackend
from veowrap.testing import VeoEmulator

CHILD = Path(__file__).with_name("_otel_child.py")
MODEL = "veo-3.1-generate-001"
PROMPT = "a paper boat, secret-word-zebra"


class Recorder(SpanExporter):
    """Keeps finished spans while a test records (the tracer provider is process-wide)."""

    def __init__(self) -> None:
        self.spans: list[ReadableSpan] = []
        self.recording = False

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        if self.recording:
            self.spans.extend(spans)
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        self.spans.clear()


_RECORDER = Recorder()


@pytest.fixture
def spans() -> Iterator[list[ReadableSpan]]:
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):
        provider = TracerProvider()
        trace.set_tracer_provider(provider)
    # The provider is process-wide and may have been set by another test module first.
    if not getattr(provider, "_veowrap_recorder", False):
        provider.add_span_processor(SimpleSpanProcessor(_RECORDER))
        provider._veowrap_recorder = True  # type: ignore[attr-defined]
    _RECORDER.spans.clear()
    _RECORDER.recording = True
    yield _RECORDER.spans
    _RECORDER.recording = False
    _RECORDER.spans.clear()


def _fake(**options: Any) -> veowrap.VideoGenerator:
    backend = FakeBackend(platform="vertex", latency=40.0, model=MODEL)
    return veowrap.VideoGenerator(backend=backend, **options)


def _only(spans: list[ReadableSpan], name: str) -> ReadableSpan:
    found = [span for span in spans if span.name == name]
    assert len(found) == 1, [span.name for span in spans]
    return found[0]


def test_generate_makes_one_span_with_the_documented_attributes(
    spans: list[ReadableSpan],
) -> None:
    with _fake() as gen:
        gen.generate(PROMPT, duration_seconds=8, number_of_videos=2)
    span = _only(spans, "veowrap.generate")
    attributes = dict(span.attributes or {})
    assert attributes["gen_ai.operation.name"] == "generate_video"
    assert attributes["gen_ai.provider.name"] == "gcp.vertex_ai"
    assert attributes["gen_ai.request.model"] == MODEL
    assert attributes["veowrap.platform"] == "vertex"
    assert attributes["veowrap.route"] == "operations"
    assert str(attributes["veowrap.operation"]).endswith(tuple("0123456789abcdef"))
    assert float(attributes["veowrap.cost.estimated_usd"]) > 0  # type: ignore[arg-type]
    assert attributes["veowrap.videos"] == 2
    assert attributes["veowrap.videos.requested"] == 2
    assert attributes["veowrap.outcome"] == "succeeded"
    assert attributes["veowrap.retry.count"] == 0
    polls = [event for event in span.events if event.name == "veowrap.poll"]
    assert attributes["veowrap.poll.count"] == len(polls) > 1
    assert polls[0].attributes and "veowrap.eta.p90_s" in polls[0].attributes
    assert span.kind == trace.SpanKind.CLIENT
    text = json.dumps({k: str(v) for k, v in attributes.items()})
    assert "zebra" not in text, "no prompt unless VEOWRAP_TRACE_PROMPTS=1"


def test_prompts_only_on_request(
    spans: list[ReadableSpan], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VEOWRAP_TRACE_PROMPTS", "1")
    with _fake() as gen:
        gen.generate(PROMPT)
    assert _only(spans, "veowrap.generate").attributes["veowrap.prompt"] == PROMPT  # type: ignore[index]


def test_a_failed_job_marks_the_span(spans: list[ReadableSpan]) -> None:
    with _fake() as gen:
        gen.backend.script(Filtered())  # type: ignore[union-attr]
        with pytest.raises(veowrap.ContentFilteredError):
            gen.generate("a kite")
    span = _only(spans, "veowrap.generate")
    assert span.attributes is not None
    assert span.attributes["veowrap.outcome"] == "filtered"
    assert span.attributes["error.type"] == "ContentFilteredError"
    assert span.status.status_code == trace.StatusCode.ERROR


def test_submit_then_wait_in_one_process_links(spans: list[ReadableSpan]) -> None:
    with _fake() as gen:
        handle = gen.submit("a kite")
        assert handle.traceparent is not None
        saved = handle.to_json()
        gen.wait(saved)
    submitted = _only(spans, "veowrap.submit")
    waited = _only(spans, "veowrap.wait")
    assert handle.traceparent.startswith(
        f"00-{submitted.context.trace_id:032x}-{submitted.context.span_id:016x}-"
    )
    assert [link.context.span_id for link in waited.links] == [submitted.context.span_id]
    assert waited.attributes is not None and waited.attributes["veowrap.outcome"] == "succeeded"


def test_status_and_cancel_make_no_job_span(spans: list[ReadableSpan]) -> None:
    with _fake() as gen:
        handle = gen.submit("a kite")
        spans.clear()
        gen.status(handle)
    assert spans == []


def test_a_wait_resumed_in_another_process_links_to_the_submitting_trace(
    spans: list[ReadableSpan], tmp_path: Path
) -> None:
    with VeoEmulator(latency=0.3) as emu:
        config = {"base_url": emu.base_url, "token": emu.token, "model": MODEL}
        child = subprocess.run(
            [sys.executable, str(CHILD), json.dumps(config)],
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
        )
        assert child.returncode == 0, child.stderr
        lines = [json.loads(line) for line in child.stdout.splitlines() if line.startswith("{")]
        trace_id = lines[0]["trace_id"]
        saved = lines[1]["handle"]
        handle = veowrap.OperationHandle.from_json(saved)
        assert handle.traceparent is not None
        _, handle_trace, handle_span, _ = handle.traceparent.split("-")
        # The handle names the child's veowrap.generate span, inside the application's trace.
        assert handle_trace == trace_id
        with emu.generator(vertex=True) as gen:
            gen.wait(saved)
    waited = _only(spans, "veowrap.wait")
    assert len(waited.links) == 1
    link = waited.links[0].context
    assert (f"{link.trace_id:032x}", f"{link.span_id:016x}") == (trace_id, handle_span)
    assert link.is_remote
    assert waited.context.trace_id != link.trace_id, "a new trace, linked, not a fake parent"


def test_a_damaged_trace_context_never_blocks_a_resume() -> None:
    handle = veowrap.OperationHandle.from_json(
        json.dumps(
            {
                "name": "projects/p/locations/l/publishers/google/models/m/operations/o",
                "platform": "vertex",
                "traceparent": "not-a-trace",
            }
        )
    )
    assert handle.traceparent is None


def test_import_veowrap_loads_no_opentelemetry() -> None:
    code = "import sys, veowrap; print(any(m.startswith('opentelemetry') for m in sys.modules))"
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    assert out.stdout.strip() == "False"


def test_generation_works_without_opentelemetry(tmp_path: Path) -> None:
    # A finder that refuses opentelemetry: as if the package were not installed.
    code = """
import sys
class Refuse:
    def find_spec(self, name, path=None, target=None):
        if name == "opentelemetry" or name.startswith("opentelemetry."):
            raise ModuleNotFoundError(name)
        return None
sys.meta_path.insert(0, Refuse())
import veowrap
from veowrap.backends.fake import FakeBackend
gen = veowrap.VideoGenerator(backend=FakeBackend(model="veo-3.1-generate-001"))
handle = gen.submit("a kite")
print(handle.traceparent, gen.wait(handle).videos[0] is not None)
"""
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["None", "True"]


def test_save_joins_the_jobs_trace(spans: list[ReadableSpan], tmp_path: Path) -> None:
    with _fake() as gen:
        result = gen.generate("a kite", number_of_videos=2)
        result.save(tmp_path)
    job = _only(spans, "veowrap.generate")
    saves = [span for span in spans if span.name == "veowrap.save"]
    assert len(saves) == 2
    for index, span in enumerate(saves):
        assert span.parent is not None and span.parent.span_id == job.context.span_id
        assert span.context.trace_id == job.context.trace_id
        assert span.attributes is not None
        assert span.attributes["veowrap.video.index"] == index
        assert span.attributes["veowrap.outcome"] == "succeeded"


def test_a_batch_links_each_wait_to_its_submit(spans: list[ReadableSpan], tmp_path: Path) -> None:
    with _fake() as gen:
        items = gen.generate_all(["a kite", "a boat"], journal=tmp_path / "journal.sqlite")
    assert all(item.ok for item in items)
    submits = {span.context.span_id for span in spans if span.name == "veowrap.submit"}
    waits = [span for span in spans if span.name == "veowrap.wait"]
    assert len(submits) == len(waits) == 2
    assert {link.context.span_id for span in waits for link in span.links} == submits


async def test_the_async_generator_traces_and_links_alike(spans: list[ReadableSpan]) -> None:
    backend = FakeBackend(platform="vertex", latency=40.0, model=MODEL)
    agen = veowrap.AsyncVideoGenerator(backend=backend)
    handle = await agen.submit("a kite")
    await agen.wait(handle.to_json())
    submitted = _only(spans, "veowrap.submit")
    waited = _only(spans, "veowrap.wait")
    assert [link.context.span_id for link in waited.links] == [submitted.context.span_id]
    assert waited.attributes is not None
    polls = [event for event in waited.events if event.name == "veowrap.poll"]
    assert waited.attributes["veowrap.poll.count"] == len(polls) >= 1
