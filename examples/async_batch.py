"""A batch with AsyncVideoGenerator.generate_many and a journal, interrupted and resumed.

The first run stops after two videos (as if the process were killed); the second run, with the
same journal, skips the finished items, waits for the ones already submitted, and never sends
a request twice. Offline, against the built-in emulator.

    python examples/async_batch.py [OUTPUT_DIR]
"""

from __future__ import annotations

import asyncio
import sys
import time
from contextlib import aclosing
from pathlib import Path

import veowrap
from veowrap.testing import VeoEmulator, inspect_mp4

PROMPTS = {
    "boat": "a paper boat on a rainy street",
    "kite": "a red kite over a green hill",
    "city": "a city at night seen from a train",
    "fox": "a fox running through snow",
    "tea": "steam rising from a cup of tea",
}


async def run_batch(
    emulator: VeoEmulator, output_dir: Path, journal: Path, stop_after: int | None
) -> tuple[list[veowrap.BatchItem], float]:
    requests = [veowrap.VideoRequest(prompt=p, duration_seconds=8) for p in PROMPTS.values()]
    items: list[veowrap.BatchItem] = []
    started = time.monotonic()
    # A fresh client per run, as a new process would have (the generator closes it on exit).
    async with veowrap.AsyncVideoGenerator(
        client=emulator.client(vertex=True),
        model="veo-3.1-generate-001",
        poll_schedule=veowrap.PollSchedule.fixed(0.1),
    ) as generator:
        batch = generator.generate_many(
            requests,
            keys=list(PROMPTS),  # stable names: <output_dir>/<key>.mp4 and journal keys
            concurrency=len(PROMPTS),
            requests_per_minute=600,  # pace submissions at your quota
            journal=journal,  # SQLite; written before every step
            output_dir=output_dir,
        )
        async with aclosing(batch):  # leaving early cancels the rest cleanly
            async for item in batch:
                state = "skipped (done earlier)" if item.skipped else "ok" if item.ok else "error"
                print(f"  {item.key:5} {state} {item.error or ''}")
                items.append(item)
                if stop_after is not None and len(items) == stop_after:
                    print("  -- simulated crash: the process stops here --")
                    break
    return items, time.monotonic() - started


async def main(output_dir: Path) -> list[Path]:
    output_dir.mkdir(parents=True, exist_ok=True)
    journal = output_dir / "batch.sqlite"
    journal.unlink(missing_ok=True)
    with VeoEmulator(latency=0.5) as emulator:
        print("first run:")
        await run_batch(emulator, output_dir, journal, stop_after=2)
        print("second run, same journal:")
        items, seconds = await run_batch(emulator, output_dir, journal, stop_after=None)
        print(veowrap.summarize(items, wall_seconds=seconds))
        print(f"creates accepted by the service: {emulator.accepted_submissions} (one per prompt)")
        assert emulator.accepted_submissions == len(PROMPTS)
    paths = sorted(path for item in items for path in item.paths)
    for path in paths:
        print(f"saved {path}: {inspect_mp4(path)}")
    return paths


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("out/async_batch")))
