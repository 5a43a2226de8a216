"""One batch worker for benchmark 8 (``workers.py``): ``python _worker_child.py CONFIG_JSON``.

Builds an ``AsyncVideoGenerator`` on a Vertex AI client pointed at the emulator, runs one
untimed warm-up job (imports, catalog, connections), says ``ready``,
waits for the ``go`` file, runs ``generate_all`` and prints one JSON line: when it ended
(``time.time()``), how many items failed and how many creates it sent.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._common import vertex_client


async def main(config: dict[str, object]) -> None:
    import veowrap

    agen = veowrap.AsyncVideoGenerator(
        client=vertex_client(str(config["base_url"])),
        poll_schedule=veowrap.PollSchedule.fixed(float(config["poll"])),  # type: ignore[arg-type]
    )
    first, count = int(config["first"]), int(config["count"])  # type: ignore[call-overload]
    requests = [
        veowrap.VideoRequest(prompt=f"a paper boat, take {i}", model=str(config["model"]))
        for i in range(first, first + count)
    ]
    keys: list[str | None] = [f"take-{i:04d}" for i in range(first, first + count)]
    await agen.generate("warm-up", model=str(config["model"]))  # untimed: imports, connections
    print("ready", flush=True)
    go = Path(str(config["go"]))
    while not go.exists():
        await asyncio.sleep(0.002)
    items = await agen.generate_all(
        requests,
        keys=keys,
        concurrency=int(config["concurrency"]),  # type: ignore[call-overload]
        requests_per_minute=float(config["rpm"]),  # type: ignore[arg-type]
        journal=config.get("journal"),  # type: ignore[arg-type]
        batch=config.get("batch"),  # type: ignore[arg-type]
    )
    failed = sum(not item.ok and not item.held_elsewhere for item in items)
    print(json.dumps({"end": time.time(), "failed": failed, "sent": sum(i.sent for i in items)}))


if __name__ == "__main__":
    asyncio.run(main(json.loads(sys.argv[1])))
