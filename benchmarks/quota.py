"""Benchmark 6: makespan of many jobs under a requests-per-minute quota.

The emulator (in its own process) limits creates to ``limit`` per sliding ``window`` seconds and
answers the rest with HTTP 429 and a ``Retry-After``, as Google's per-minute quotas do; the
window is scaled down from a minute so the run takes seconds. Every job takes ``latency``
seconds and is polled every 0.05 s. N jobs are started at once:

- **veowrap**: ``AsyncVideoGenerator.generate_many(requests, concurrency=64,
  requests_per_minute=<the quota per minute>)`` with ``PollSchedule.fixed(0.05)``.
- **naive**: ``asyncio.gather`` of N raw google-genai tasks (``client.aio.models.generate_videos``,
  then ``client.aio.operations.get`` every 0.05 s until done) on a client with the SDK's retries
  on (``HttpRetryOptions(attempts=8)``: exponential backoff from 1 s, 429 retried).
- **ideal**: ``N / rate + latency`` — submissions exactly at the quota, then one job's latency.

Both sides use Vertex AI, inline video bytes and no saving to disk. Before each timed run the
emulator is reset (operations, counters and the quota's log) and the quota set again, so each
side's 429 count (``quota_rejections``) and accepted creates are its own. One untimed job per
client warms up imports, the catalog and connections first.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

from ._common import EmulatorProcess, Row, controlled_emulator, verdict, vertex_client

__all__ = ["run"]

MODEL = "veo-3.1-generate-001"
POLL = 0.05
LATENCY = 0.5
CONCURRENCY = 64  # pacing allows rate × latency ≈ 20 jobs in flight, so this never binds
SDK_ATTEMPTS = 8
MAKESPAN_TARGET = 1.05
REJECTION_TARGET = 0.01


def _prompts(jobs: int) -> list[str]:
    return [f"a paper boat on a rainy street, take {index}" for index in range(jobs)]


async def _naive_job(client: Any, prompt: str) -> None:
    from google.genai import types

    operation = await client.aio.models.generate_videos(
        model=MODEL, source=types.GenerateVideosSource(prompt=prompt)
    )
    while not operation.done:
        await asyncio.sleep(POLL)
        operation = await client.aio.operations.get(operation)
    if operation.error:
        raise RuntimeError(f"operation failed: {operation.error}")


async def _naive(client: Any, prompts: list[str]) -> tuple[float, list[str]]:
    start = time.perf_counter()
    outcomes = await asyncio.gather(
        *(_naive_job(client, prompt) for prompt in prompts), return_exceptions=True
    )
    wall = time.perf_counter() - start
    errors = [f"{type(o).__name__}: {o}" for o in outcomes if isinstance(o, BaseException)]
    return wall, errors


async def _veowrap(agen: Any, prompts: list[str], per_minute: float) -> tuple[float, list[str]]:
    import veowrap

    requests = [veowrap.VideoRequest(prompt=prompt, model=MODEL) for prompt in prompts]
    start = time.perf_counter()
    items = await agen.generate_all(
        requests, concurrency=CONCURRENCY, requests_per_minute=per_minute
    )
    wall = time.perf_counter() - start
    errors = [f"{type(item.error).__name__}: {item.error}" for item in items if not item.ok]
    return wall, errors


async def _main(
    emulator: EmulatorProcess, jobs: int, limit: int, window: float
) -> dict[str, dict[str, Any]]:
    from google.genai import types

    import veowrap

    agen = veowrap.AsyncVideoGenerator(
        client=vertex_client(emulator.base_url), poll_schedule=veowrap.PollSchedule.fixed(POLL)
    )
    retrying = types.HttpRetryOptions(attempts=SDK_ATTEMPTS)
    sdk = vertex_client(emulator.base_url, retry_options=retrying)
    await agen.generate("warm-up", model=MODEL)  # untimed, no quota
    await _naive_job(sdk, "warm-up")
    per_minute = limit / window * 60.0
    found: dict[str, dict[str, Any]] = {}
    sides: dict[str, Callable[[list[str]], Awaitable[tuple[float, list[str]]]]] = {
        "veowrap": lambda prompts: _veowrap(agen, prompts, per_minute),
        "naive": lambda prompts: _naive(sdk, prompts),
    }
    for name, side in sides.items():
        emulator.reset()
        emulator.set_quota(limit, window)
        wall, errors = await side(_prompts(jobs))
        found[name] = {
            "makespan_s": wall,
            **emulator.stats(),
            "error_count": len(errors),
            "errors": errors[:5],
        }
    emulator.set_quota(None)
    return found


def run(*, quick: bool) -> list[Row]:
    """Runs N jobs under the quota with veowrap, then with a naive gather; returns rows."""
    jobs, limit, window = (40, 20, 0.5) if quick else (200, 40, 1.0)
    with controlled_emulator(LATENCY) as emulator:
        found = asyncio.run(_main(emulator, jobs, limit, window))
    rate = limit / window
    ideal = jobs / rate + LATENCY
    veo, naive = found["veowrap"], found["naive"]
    ratio = veo["makespan_s"] / ideal
    naive_ratio = naive["makespan_s"] / ideal
    allowed = REJECTION_TARGET * jobs
    details = {
        "jobs": jobs,
        "quota": f"{limit} per {window:g} s",
        "rate_per_s": rate,
        "requests_per_minute": rate * 60.0,
        "latency_s": LATENCY,
        "poll_interval_s": POLL,
        "concurrency": CONCURRENCY,
        "sdk_retry_attempts": SDK_ATTEMPTS,
        "ideal_s": ideal,
        "naive_ratio": naive_ratio,
        "veowrap": veo,
        "naive": naive,
    }

    def failures(side: dict[str, Any]) -> str:
        return f", {side['error_count']} failed" if side["error_count"] else ""

    def rejections(side: dict[str, Any]) -> str:
        share = side["quota_rejections"] / max(side["accepted_submissions"], 1)
        return (
            f"{side['quota_rejections']} 429s / {side['accepted_submissions']} accepted "
            f"({share:.1%}){failures(side)}"
        )

    return [
        Row(
            "6a",
            f"makespan of {jobs} jobs under a quota of {limit} creates / {window:g} s "
            f"({LATENCY:g} s jobs, poll every {POLL:g} s)",
            f"{veo['makespan_s']:.2f} s{failures(veo)}",
            f"ideal N/rate + one job: {ideal:.2f} s; naive gather + SDK retries: "
            f"{naive['makespan_s']:.2f} s ({naive_ratio:.2f}× ideal){failures(naive)}",
            ratio,
            f"≤ {MAKESPAN_TARGET}× ideal",
            verdict(ratio <= MAKESPAN_TARGET and not veo["error_count"]),
            details,
        ),
        Row(
            "6b",
            "quota 429s (same runs as 6a)",
            rejections(veo),
            f"naive gather: {rejections(naive)}",
            None,
            f"≤ {REJECTION_TARGET:.0%} of submissions ({allowed:g})",
            verdict(
                veo["quota_rejections"] <= allowed
                and veo["accepted_submissions"] == jobs
                and not veo["error_count"]
            ),
        ),
    ]
