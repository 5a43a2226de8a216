"""A typed consumer of veowrap's public API, checked by mypy --strict and pyright.

It touches what an application uses: building requests, generate, submit/status/wait, handles,
errors and their attributes, events, batches (sync and async), the catalog and cost functions,
and the testing emulator. It is also run (see test_typing.py) so the types and behaviour agree.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import veowrap
from veowrap.backends.fake import FakeBackend, Filtered, NeverFinishes, Success
from veowrap.events import Completed, Event, Polled, Submitted
from veowrap.testing import Fault, Mp4Info, Outcome, VeoEmulator, inspect_mp4

MODEL = "veo-3.1-generate-001"


def describe(event: Event) -> str:
    if isinstance(event, Submitted):
        return f"submitted {event.handle.name}"
    if isinstance(event, Polled):
        return f"poll {event.poll_count} ({event.elapsed:.1f} s, done={event.done})"
    if isinstance(event, Completed):
        return f"{event.videos} videos"
    return event.kind


def handle_errors(generator: veowrap.VideoGenerator) -> list[str]:
    seen: list[str] = []
    try:
        veowrap.VideoRequest(prompt="x", duration_seconds=99)
    except veowrap.RequestValidationError as error:
        field: str = error.field
        seen.append(f"{field}: {error.allowed}; {error.hint}")
    try:
        generator.generate("bad", model=MODEL)
    except veowrap.ContentFilteredError as error:
        reasons: tuple[str, ...] = tuple(error.reasons)
        seen.append(f"filtered {error.filtered_count}: {reasons}")
    try:
        generator.generate("slow", model=MODEL, timeout=60)
    except veowrap.OperationTimeoutError as error:
        handle: veowrap.OperationHandle | None = error.handle
        seen.append(f"timeout; resume {handle.name if handle else None}")
    except veowrap.VeowrapError as error:
        seen.append(f"other: {error.hint}")
    return seen


def sync_flow(emulator: VeoEmulator, out: Path) -> list[Path]:
    generator = veowrap.VideoGenerator(
        client=emulator.client(vertex=True),
        poll_schedule=veowrap.PollSchedule.fixed(0.05),
        retry_policy=veowrap.RetryPolicy(attempts=3, initial_delay=0.01, max_delay=0.05),
    )
    request = veowrap.VideoRequest(prompt="a paper boat", model=MODEL, duration_seconds=8)
    estimate: veowrap.CostEstimate = veowrap.estimate_cost(request, MODEL, "vertex")
    assert estimate.amount_usd is None or estimate.amount_usd > 0
    caps: veowrap.ModelCapabilities | None = veowrap.capabilities(MODEL, "vertex")
    assert caps is not None

    log: list[str] = []
    result: veowrap.GenerationResult = generator.generate(
        request, on_event=lambda e: log.append(describe(e))
    )
    paths: list[Path] = result.save(out / "boat.mp4")

    emulator.inject("create", Fault.http(503))
    handle: veowrap.OperationHandle = generator.submit("a kite", model=MODEL)
    restored = veowrap.OperationHandle.from_json(handle.to_json())
    status: veowrap.OperationStatus = generator.status(restored)
    assert status.name == handle.name
    video: veowrap.GeneratedVideo = generator.wait(restored, timeout=30).videos[0]
    paths.append(video.save(out / "kite.mp4"))

    emulator.script(Outcome.filtered(["unsafe"]))
    assert handle_errors(generator)

    batch = [veowrap.VideoRequest(prompt=p, model=MODEL) for p in ("one", "two")]
    items: list[veowrap.BatchItem] = generator.generate_all(
        batch, concurrency=2, journal=out / "j.sqlite", output_dir=out
    )
    summary: veowrap.BatchSummary = veowrap.summarize(items, wall_seconds=1.0)
    assert summary.succeeded == 2
    paths += [path for item in items for path in item.paths]
    return paths


async def async_flow(out: Path) -> int:
    fake = FakeBackend(latency=30.0).script(Success(), Filtered(), NeverFinishes())
    async with veowrap.AsyncVideoGenerator(backend=fake) as agen:
        result = await agen.generate("a boat", model=MODEL)
        saved: list[Path] = await result.save_async(out / "fake.mp4")
        failures = 0
        async for item in agen.generate_many(["a", "b"], timeout=120):
            if not item.ok:
                error: veowrap.VeowrapError | None = item.error
                failures += error is not None
    return len(saved) + failures


def main(out: Path) -> list[Mp4Info]:
    out.mkdir(parents=True, exist_ok=True)
    with VeoEmulator(latency=0.1) as emulator:
        paths = sync_flow(emulator, out)
    assert asyncio.run(async_flow(out)) == 3
    return [inspect_mp4(path) for path in paths]


if __name__ == "__main__":
    import sys

    print(main(Path(sys.argv[1] if len(sys.argv) > 1 else "out/typing")))
