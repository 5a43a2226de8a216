"""One process of benchmark 2's instruction count: warm up both ways, then N jobs of one way.

Run as ``python _overhead_child.py BASE_URL --mode {none,loop,veowrap} --jobs N --interval S``
(under ``valgrind --tool=callgrind`` by ``overhead.py``). Both ways do the same job against the
emulator at ``BASE_URL`` (in another process): Vertex AI, create, then a status read every
``S`` seconds until done; nothing is saved. The garbage collector is off during the measured
jobs (see below). Each way has its own ``genai.Client``, so the loop's
client is one veowrap never touched. Mode ``none`` only warms up: the parent subtracts its count
from the others', leaving the jobs' instructions alone. Prints the polls of each measured job
as JSON.
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._common import vertex_client

MODEL = "veo-3.1-generate-001"
PROMPT = "a paper boat on a rainy street"


def hand_loop(client: Any, interval: float) -> int:
    """The loop from Google's docs, without the save."""
    from google.genai import types

    operation = client.models.generate_videos(
        model=MODEL, source=types.GenerateVideosSource(prompt=PROMPT)
    )
    polls = 0
    while not operation.done:
        time.sleep(interval)
        operation = client.operations.get(operation)
        polls += 1
    assert operation.response.generated_videos
    return polls


def veowrap_job(generator: Any) -> int:
    """``generate`` with the same schedule; the result holds the video, nothing is saved."""
    result = generator.generate(PROMPT, model=MODEL)
    assert result.videos
    return int(result.polls)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("base_url")
    parser.add_argument("--mode", choices=("none", "loop", "veowrap"), required=True)
    parser.add_argument("--jobs", type=int, default=3)
    parser.add_argument("--interval", type=float, required=True)
    args = parser.parse_args()

    import veowrap

    loop_client = vertex_client(args.base_url)
    generator = veowrap.VideoGenerator(
        client=vertex_client(args.base_url),
        poll_schedule=veowrap.PollSchedule.fixed(args.interval),
    )
    ways = {
        "loop": lambda: hand_loop(loop_client, args.interval),
        "veowrap": lambda: veowrap_job(generator),
    }
    for job in ways.values():  # imports, catalog, connections, first-use caches
        job()
    # A collection lands wherever the allocation counts of each process happen to cross a
    # threshold (it moved one way's count by 1 M instructions between runs): collect now and
    # keep the collector off while the measured jobs run, in every mode alike.
    gc.collect()
    gc.disable()
    polls = [] if args.mode == "none" else [ways[args.mode]() for _ in range(args.jobs)]
    print(json.dumps({"polls": polls}), flush=True)


if __name__ == "__main__":
    main()
