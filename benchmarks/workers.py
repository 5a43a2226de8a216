"""Benchmark 8: four worker processes under one quota, sharing a PostgreSQL journal.

The emulator (in its own process) limits creates to ``limit`` per sliding ``window`` seconds
and answers the rest with 429 and a ``Retry-After``, as in benchmark 6. Four worker processes
start at the same moment (a ``go`` file, after each said it is ready):

- **shared**: each runs ``AsyncVideoGenerator.generate_all`` on *all* N requests with
  ``journal="postgresql://…"``, one ``batch`` name and ``requests_per_minute=<the quota>``:
  the workers split the items between them through the journal (each item sent once) and book
  their creates from one pacer row in PostgreSQL (``SharedPacer``);
- **independent** (the baseline): each runs a quarter of the N requests with no journal and its
  own single-process pacer at the quota, as four teams unaware of each other would.

*Ideal* is N ÷ rate + one job's latency. Each worker runs one untimed warm-up job first; the
emulator is then reset and its quota set, so each side's counts are its own. Makespan is from
the ``go`` file to the last worker's end (opening the journal and loading the items included).
The PostgreSQL server is a throwaway one (``veowrap.testing.PostgresServer``) on a unix socket.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from ._common import HERE, EmulatorProcess, Row, controlled_emulator, verdict

__all__ = ["run"]

MODEL = "veo-3.1-generate-001"
WORKERS = 4
POLL = 0.05
LATENCY = 0.5
CONCURRENCY = 64
MAKESPAN_TARGET = 1.05
REJECTION_TARGET = 0.01


def _side(
    emulator: EmulatorProcess,
    quota: tuple[int, float],
    jobs: int,
    journal: str | None,
    batch: str,
) -> dict[str, Any]:
    """Starts the four workers together; returns the makespan and what they reported."""
    folder = Path(tempfile.mkdtemp(prefix="vw-bench-"))
    go = folder / "go"
    share = jobs // WORKERS
    rpm = quota[0] / quota[1] * 60.0
    base_url = emulator.base_url
    emulator.set_quota(None)
    children = []
    for n in range(WORKERS):
        first, count = (0, jobs) if journal else (n * share, share)
        config = {
            "base_url": base_url,
            "model": MODEL,
            "poll": POLL,
            "first": first,
            "count": count,
            "concurrency": CONCURRENCY,
            "rpm": rpm,
            "journal": journal,
            "batch": batch if journal else None,
            "go": str(go),
        }
        children.append(
            subprocess.Popen(
                [sys.executable, str(HERE / "_worker_child.py"), json.dumps(config)],
                stdout=subprocess.PIPE,
                text=True,
            )
        )
    for child in children:
        assert child.stdout is not None
        if child.stdout.readline().strip() != "ready":
            raise RuntimeError("a worker did not start")
    emulator.reset()  # forget the warm-up jobs: the counts are this side's own
    emulator.set_quota(*quota)
    start = time.time()
    go.touch()
    reports = []
    for child in children:
        out, _ = child.communicate(timeout=600)
        if child.returncode != 0:
            raise RuntimeError(f"a worker failed (exit {child.returncode})")
        reports.append(json.loads(out.strip().splitlines()[-1]))
    return {
        "makespan_s": max(r["end"] for r in reports) - start,
        "failed": sum(r["failed"] for r in reports),
        "sent_per_worker": [r["sent"] for r in reports],
    }


def run(*, quick: bool) -> list[Row]:
    """Runs N jobs on four shared workers, then on four independent ones; returns rows."""
    from veowrap.testing import PostgresServer

    jobs, limit, window = (80, 20, 0.5) if quick else (500, 40, 1.0)
    rate = limit / window
    rpm = rate * 60.0
    ideal = jobs / rate + LATENCY
    server = PostgresServer.start()
    found: dict[str, dict[str, Any]] = {}
    try:
        dsn = server.create_database("bench")
        with controlled_emulator(LATENCY) as emulator:
            for name, journal in (("shared", dsn), ("independent", None)):
                found[name] = {
                    **_side(emulator, (limit, window), jobs, journal, f"bench-{jobs}"),
                    **emulator.stats(),
                }
            emulator.set_quota(None)
    finally:
        server.destroy()
    shared, alone = found["shared"], found["independent"]
    ratio = shared["makespan_s"] / ideal
    alone_ratio = alone["makespan_s"] / ideal
    allowed = REJECTION_TARGET * jobs
    details = {
        "jobs": jobs,
        "workers": WORKERS,
        "quota": f"{limit} per {window:g} s",
        "requests_per_minute": rpm,
        "latency_s": LATENCY,
        "ideal_s": ideal,
        "independent_ratio": alone_ratio,
        "shared": shared,
        "independent": alone,
    }

    def rejections(side: dict[str, Any]) -> str:
        share = side["quota_rejections"] / max(side["accepted_submissions"], 1)
        failed = f", {side['failed']} failed" if side["failed"] else ""
        return (
            f"{side['quota_rejections']} 429s / {side['accepted_submissions']} accepted "
            f"({share:.1%}){failed}"
        )

    return [
        Row(
            "8a",
            f"makespan of {jobs} jobs, {WORKERS} worker processes, one quota of {limit} creates "
            f"/ {window:g} s (PostgreSQL journal and pacer)",
            f"{shared['makespan_s']:.2f} s",
            f"ideal N/rate + one job: {ideal:.2f} s; {WORKERS} independent pacers: "
            f"{alone['makespan_s']:.2f} s ({alone_ratio:.2f}× ideal)",
            ratio,
            f"≤ {MAKESPAN_TARGET}× ideal",
            verdict(ratio <= MAKESPAN_TARGET and not shared["failed"]),
            details,
        ),
        Row(
            "8b",
            "quota 429s and paid creates (same runs as 8a)",
            rejections(shared),
            f"{WORKERS} independent pacers: {rejections(alone)}",
            None,
            f"≤ {REJECTION_TARGET:.0%} of submissions ({allowed:g}), {jobs} paid",
            verdict(
                shared["quota_rejections"] <= allowed
                and shared["accepted_submissions"] == jobs
                and not shared["failed"]
            ),
        ),
    ]
