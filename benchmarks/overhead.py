"""Benchmark 2: per-job overhead of veowrap against a hand-written google-genai loop.

Both do the same job against the same emulator (in its own process, so CPU time counts only the
client): Vertex AI, inline video bytes, one poll every ``interval`` seconds, video saved to
disk. veowrap runs ``VideoGenerator.generate(...).save(path)`` with ``PollSchedule.fixed``; the
loop is the one Google's docs show::

    operation = client.models.generate_videos(model=..., source=...)
    while not operation.done:
        time.sleep(interval)
        operation = client.operations.get(operation)
    operation.response.generated_videos[0].video.save(path)

Runs alternate (loop, veowrap, loop, …) after one warm-up each, so drift hits both equally.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ._common import Row, emulator_process, median, verdict, vertex_client

__all__ = ["run"]

MODEL = "veo-3.1-generate-001"
PROMPT = "a paper boat on a rainy street"
TARGET = 1.05


def _hand_loop(client: Any, interval: float, destination: Path) -> int:
    from google.genai import types

    operation = client.models.generate_videos(
        model=MODEL, source=types.GenerateVideosSource(prompt=PROMPT)
    )
    polls = 0
    while not operation.done:
        time.sleep(interval)
        operation = client.operations.get(operation)
        polls += 1
    operation.response.generated_videos[0].video.save(str(destination))
    return polls


def _veowrap(generator: Any, destination: Path) -> int:
    result = generator.generate(PROMPT, model=MODEL)
    result.save(destination)
    return int(result.polls)


def _measure(job: Callable[[Path], int], destination: Path) -> tuple[float, float, int]:
    wall, cpu = time.perf_counter(), time.process_time()
    polls = job(destination)
    return time.perf_counter() - wall, time.process_time() - cpu, polls


def run(*, quick: bool) -> list[Row]:
    """Times both ways of doing one job; returns table rows for wall and CPU time."""
    import veowrap

    latency, interval, jobs = (0.3, 0.1, 3) if quick else (2.0, 0.5, 12)
    samples: dict[str, list[tuple[float, float, int]]] = {"loop": [], "veowrap": []}
    with emulator_process(latency) as base_url, tempfile.TemporaryDirectory() as scratch:
        client = vertex_client(base_url)
        generator = veowrap.VideoGenerator(
            client=client, poll_schedule=veowrap.PollSchedule.fixed(interval)
        )
        ways: dict[str, Callable[[Path], int]] = {
            "loop": lambda path: _hand_loop(client, interval, path),
            "veowrap": lambda path: _veowrap(generator, path),
        }
        for name, job in ways.items():  # warm-up: imports, catalog, connections
            _measure(job, Path(scratch) / f"warm-{name}.mp4")
        for index in range(jobs):
            for name, job in ways.items():
                samples[name].append(_measure(job, Path(scratch) / f"{name}-{index}.mp4"))
    wall = {name: median([s[0] for s in runs]) for name, runs in samples.items()}
    cpu = {name: median([s[1] for s in runs]) for name, runs in samples.items()}
    polls = {name: median([s[2] for s in runs]) for name, runs in samples.items()}
    details = {
        "latency_s": latency,
        "poll_interval_s": interval,
        "jobs_each": jobs,
        "samples": samples,
        "median_polls": polls,
    }
    setting = f"{latency:g} s job, poll every {interval:g} s, median of {jobs}"
    return [
        Row(
            "2a",
            f"per-job wall time ({setting})",
            f"{wall['veowrap']:.3f} s",
            f"hand-written loop: {wall['loop']:.3f} s",
            wall["veowrap"] / wall["loop"],
            f"≤ {TARGET}×",
            verdict(wall["veowrap"] <= TARGET * wall["loop"]),
            details,
        ),
        Row(
            "2b",
            "per-job CPU time (client process)",
            f"{cpu['veowrap'] * 1000:.1f} ms",
            f"hand-written loop: {cpu['loop'] * 1000:.1f} ms",
            cpu["veowrap"] / cpu["loop"],
            f"≤ {TARGET}×",
            verdict(cpu["veowrap"] <= TARGET * cpu["loop"]),
        ),
    ]
