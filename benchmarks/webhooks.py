"""Benchmark 7: detection lag and status reads per job, webhooks versus the default poll schedule.

One set of completion times is drawn (seeded) from the catalog's Veo latencies, as in
benchmark 1. The default ``PollSchedule`` is simulated over all of them on a virtual clock
(lag = first poll at or after completion − completion). A sample of the same draws, scaled
down so the run takes seconds, is then run for real over loopback: the emulator finishes each
job at its drawn time, signs and POSTs a ``v1`` webhook to a ``WebhookReceiver``, the
``Inbox`` verifies it, and ``generate(..., webhooks=inbox)`` wakes, reads the status once and
completes. Lag = the ``completed`` event's time − the emulator's completion time (one
monotonic clock, one process); reads = ``polled`` events per job. Push lag does not depend on
the scale; poll lag grows with it, so the comparison uses the unscaled simulation.
"""

from __future__ import annotations

import random
import statistics
import time
from typing import Any

from veowrap._core.schedule import PollSchedule

from ._common import Row, verdict
from .polling import completion_times, latency_groups, simulate

__all__ = ["run"]

LAG_TARGET_S = 0.1  # mean webhook lag over loopback
READS_TARGET = 1.0  # status reads per job
SCALE = 1 / 1000  # a 60 s job finishes after 60 ms in the live run


def _live(times: list[float]) -> tuple[list[float], list[int]]:
    import veowrap
    from veowrap import webhooks
    from veowrap.testing import VeoEmulator, WebhookReceiver

    lags: list[float] = []
    reads: list[int] = []
    with VeoEmulator(latency=0.05) as emu:
        inbox = webhooks.Inbox(secret=emu.webhooks.secret)  # default 60 s backstop
        with WebhookReceiver(inbox) as receiver:
            emu.webhooks.configure(receiver.url)
            gen = veowrap.VideoGenerator(
                client=emu.client(), retry_policy=veowrap.RetryPolicy(attempts=1)
            )
            for seconds in times:
                emu.set_latency(seconds * SCALE)
                seen: dict[str, Any] = {"polls": 0, "completed": None}

                def hook(event: Any, seen: dict[str, Any] = seen) -> None:
                    if event.kind == "polled":
                        seen["polls"] += 1
                    elif event.kind == "completed":
                        seen["completed"] = time.monotonic()

                result = gen.generate(
                    "a kite", model="gemini-omni-1.2-flash", webhooks=inbox, on_event=hook
                )
                job = emu._state.interaction(result.handle.name)
                assert job is not None and seen["completed"] is not None
                lags.append(seen["completed"] - job.done_at)
                reads.append(seen["polls"])
    return lags, reads


def run(*, quick: bool) -> list[Row]:
    """Simulates the default schedule and runs the webhook path; returns the table row."""
    rng = random.Random(20261203)
    per_group = 200 if quick else 2_000
    draws = [
        t for triple in sorted(latency_groups()) for t in completion_times(*triple, per_group, rng)
    ]
    polled = simulate(PollSchedule(), draws)
    sample = random.Random(7).sample(draws, 10 if quick else 60)
    lags, reads = _live(sample)
    mean_lag = statistics.fmean(lags)
    mean_reads = statistics.fmean(reads)
    lags.sort()
    lag_ratio = mean_lag / polled.mean_lag
    reads_ratio = mean_reads / polled.mean_gets
    return [
        Row(
            "7a",
            "detection lag, webhooks + 60 s backstop (live loopback)",
            f"lag {mean_lag:.3f} s (p95 {lags[int(0.95 * (len(lags) - 1))]:.3f} s), "
            f"{mean_reads:.2f} reads/job",
            f"default schedule (simulated, same draws): {polled.text()}",
            lag_ratio,
            f"lag ≤ {LAG_TARGET_S:g} s, ≥ 40× less lag, ≤ {READS_TARGET:g} read/job",
            # The "≤ 1/8 of its requests" restates "≤ 1 read" for the default's ~8 GETs
            # (7.95 on these draws: one read is 1/7.95); reads_ratio is reported in the JSON.
            verdict(
                mean_lag <= LAG_TARGET_S and mean_reads <= READS_TARGET and lag_ratio <= 1 / 40
            ),
            {
                "jobs_simulated": len(draws),
                "jobs_live": len(sample),
                "scale": SCALE,
                "lags": lags,
                "reads": reads,
                "lag_ratio": lag_ratio,
                "reads_ratio": reads_ratio,
                "default": polled.__dict__,
            },
        )
    ]
