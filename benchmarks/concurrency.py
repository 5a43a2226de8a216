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


@dataclass
class _Counters:
    submitted: int = 0
    completed: int = 0
    polls: int = 0
    durations: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

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
    start = time.perf_counter()
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
    if trace:
        tracemalloc.stop()
    return wall, counters, peak


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
    _, traced_counters, in_flight_bytes = await _batch(agen, jobs, trace=True)
    return {
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
    ]
