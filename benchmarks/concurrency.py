"""Benchmark 5: many jobs in flight on one event loop with ``AsyncVideoGenerator``.

The emulator runs in its own process, so this process's time and ``tracemalloc`` figures are the
client's alone. Every job has the same emulated latency and a jitter-free fixed poll interval,
so a job alone always finishes at the same poll; the baseline is one job run alone in the same
run. With N jobs started at once:

- **wall / slowest-alone**: the time until the last of N jobs finished, over that single job's
  time. 1.0 would mean N jobs cost nothing more than one.
- **memory per job**: ``tracemalloc``'s traced memory while all N jobs were submitted and none
  had finished, minus the figure before they started, over N (a separate pass: tracing slows
  Python down, so it is not timed).
- **polls per second**: status reads completed per second of the run.
- **against plain google-genai**: the same N jobs as a plain ``asyncio.gather`` of
  ``client.aio.models.generate_videos`` then ``client.aio.operations.get`` every interval until
  done, on its own client (one veowrap never touched), run right after veowrap's N in this
  process: wall time (start to the last job done) and this process's CPU time
  (``time.process_time``) over the same span, each as veowrap ÷ gather.
"""

from __future__ import annotations

import asyncio
import time
import tracemalloc
from dataclasses import dataclass, field
from typing import Any

from ._common import Row, emulator_process, verdict, vertex_client

__all__ = ["run"]

MODEL = "veo-3.1-generate-001"
WALL_TARGET = 1.1
MEMORY_TARGET = 50 * 1024
GATHER_TARGET = 1.02


@dataclass
class _Counters:
    submitted: int = 0
    completed: int = 0
    polls: int = 0
    durations: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    cpu: float = 0.0

    def hook(self, event: Any) -> None:
        kind = getattr(event, "kind", "")
        if kind == "submitted":
            self.submitted += 1
        elif kind == "polled":
            self.polls += 1


async def _job(agen: Any, counters: _Counters) -> None:
    start = time.perf_counter()
    try:
        await agen.generate("a paper boat", model=MODEL, on_event=counters.hook)
    except Exception as error:  # counted and reported, never hidden
        counters.errors.append(f"{type(error).__name__}: {error}")
    finally:
        counters.completed += 1
        counters.durations.append(time.perf_counter() - start)


async def _batch(
    agen: Any, jobs: int, *, trace: bool = False
) -> tuple[float, _Counters, int | None]:
    counters = _Counters()
    peak: int | None = None
    if trace:
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
    start, cpu = time.perf_counter(), time.process_time()
    tasks = [asyncio.ensure_future(_job(agen, counters)) for _ in range(jobs)]
    if trace:
        sampled = 0
        while counters.completed == 0 and not all(t.done() for t in tasks):
            if counters.submitted == jobs:
                sampled = max(sampled, tracemalloc.get_traced_memory()[0])
            await asyncio.sleep(0.05)
        peak = max(0, sampled - before)
    await asyncio.gather(*tasks)
    wall = time.perf_counter() - start
    counters.cpu = time.process_time() - cpu
    if trace:
        tracemalloc.stop()
    return wall, counters, peak


async def _plain_job(client: Any, interval: float, counters: _Counters) -> None:
    # The google-genai loop from Google's docs, async: no retries, no deadline, no events.
    from google.genai import types

    start = time.perf_counter()
    try:
        operation = await client.aio.models.generate_videos(
            model=MODEL, source=types.GenerateVideosSource(prompt="a paper boat")
        )
        while not operation.done:
            await asyncio.sleep(interval)
            operation = await client.aio.operations.get(operation)
            counters.polls += 1
    except Exception as error:  # counted and reported, never hidden
        counters.errors.append(f"{type(error).__name__}: {error}")
    finally:
        counters.completed += 1
        counters.durations.append(time.perf_counter() - start)


async def _plain_gather(client: Any, jobs: int, interval: float) -> tuple[float, _Counters]:
    counters = _Counters()
    start, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(_plain_job(client, interval, counters) for _ in range(jobs)))
    counters.cpu = time.process_time() - cpu
    return time.perf_counter() - start, counters


async def _main(base_url: str, jobs: int, interval: float) -> dict[str, Any]:
    import veowrap

    client = vertex_client(base_url)
    agen = veowrap.AsyncVideoGenerator(
        client=client, poll_schedule=veowrap.PollSchedule.fixed(interval)
    )
    # No separate warm-up: a cold start (catalog load, first connection) costs milliseconds
    # against a job of many seconds, and it only lengthens the baseline's single job.
    alone, alone_counters, _ = await _batch(agen, 1)
    wall, counters, _ = await _batch(agen, jobs)
    plain_client = vertex_client(base_url)
    await _plain_gather(plain_client, 1, interval)  # its own connection and first-use costs
    plain_wall, plain = await _plain_gather(plain_client, jobs, interval)
    _, traced_counters, in_flight_bytes = await _batch(agen, jobs, trace=True)
    return {
        "cpu_s": counters.cpu,
        "gather_wall_s": plain_wall,
        "gather_cpu_s": plain.cpu,
        "gather_polls": plain.polls,
        "gather_errors": plain.errors[:5],
        "gather_error_count": len(plain.errors),
        "alone_s": alone,
        "wall_s": wall,
        "slowest_in_run_s": max(counters.durations),
        "fastest_in_run_s": min(counters.durations),
        "polls": counters.polls,
        "polls_per_job_alone": alone_counters.polls,
        "errors": counters.errors[:5] + traced_counters.errors[:5],
        "error_count": len(counters.errors) + len(traced_counters.errors),
        "in_flight_bytes": in_flight_bytes,
        "in_flight_jobs_at_sample": jobs,
    }


def run(*, quick: bool) -> list[Row]:
    """Runs one job alone, then N at once (timed), then N at once (traced); returns rows."""
    jobs, latency, interval = (100, 1.9, 0.5) if quick else (1000, 29.0, 4.0)
    with emulator_process(latency) as base_url:
        found = asyncio.run(_main(base_url, jobs, interval))
    ratio = found["wall_s"] / found["alone_s"]
    per_job = (found["in_flight_bytes"] or 0) / jobs
    polls_per_s = found["polls"] / found["wall_s"]
    errors = found["error_count"]
    details = {"jobs": jobs, "latency_s": latency, "poll_interval_s": interval, **found}
    note = f"; {errors} job(s) failed" if errors else ""
    return [
        Row(
            "5a",
            f"{jobs:,} jobs on one event loop ({latency:g} s jobs, poll every {interval:g} s)",
            f"wall {found['wall_s']:.1f} s (slowest job {found['slowest_in_run_s']:.1f} s){note}",
            f"one job alone: {found['alone_s']:.1f} s",
            ratio,
            f"≤ {WALL_TARGET}×",
            verdict(ratio <= WALL_TARGET and not errors),
            details,
        ),
        Row(
            "5b",
            "memory per in-flight job (tracemalloc)",
            f"{per_job / 1024:.1f} KiB",
            "",
            None,
            "≤ 50 KiB",
            verdict(per_job <= MEMORY_TARGET and not errors),
        ),
        Row(
            "5c",
            "status polls per second (same run as 5a)",
            f"{polls_per_s:,.0f} polls/s ({found['polls']:,} polls)",
            f"schedule asks for {jobs / interval:,.0f} polls/s while all jobs wait",
            None,
            "none (for reference)",
            "info",
        ),
        Row(
            "5d",
            f"{jobs:,} jobs, wall time against a plain google-genai asyncio.gather",
            f"{found['wall_s']:.2f} s",
            f"gather: {found['gather_wall_s']:.2f} s"
            + (f"; {found['gather_error_count']} failed" if found["gather_error_count"] else ""),
            found["wall_s"] / found["gather_wall_s"],
            f"≤ {GATHER_TARGET}×",
            verdict(found["wall_s"] <= GATHER_TARGET * found["gather_wall_s"] and not errors),
        ),
        Row(
            "5e",
            f"{jobs:,} jobs, client CPU time against the same gather",
            f"{found['cpu_s']:.2f} s ({found['cpu_s'] / jobs * 1000:.1f} ms/job, "
            f"{found['polls']:,} polls)",
            f"gather: {found['gather_cpu_s']:.2f} s "
            f"({found['gather_cpu_s'] / jobs * 1000:.1f} ms/job, {found['gather_polls']:,} polls)",
            found["cpu_s"] / found["gather_cpu_s"],
            f"≤ {GATHER_TARGET}×",
            verdict(found["cpu_s"] <= GATHER_TARGET * found["gather_cpu_s"] and not errors),
        ),
    ]
