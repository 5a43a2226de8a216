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
Each way has its own ``genai.Client``: the loop's is one veowrap never touched (veowrap adds a
response guard to the clients it drives).

Rows 2c and 2d measure the same job without the save — create, then a status read every
``interval`` until done — which is what veowrap adds its own work to:

- **2c, instructions per job** (full run, where ``valgrind`` is installed): each way runs in a
  fresh ``valgrind --tool=callgrind`` process (``_overhead_child.py``) that warms up both ways
  and then makes N jobs of one way; a third process only warms up. (count − warm-up count) ÷ N
  is the job's own instruction count, all threads included: deterministic, unlike time on a
  shared machine. Jobs poll every 2 s against a 3 s latency, so both ways read the status
  exactly twice however slow valgrind makes them (checked: the row is not judged otherwise).
  The garbage collector is off during the measured jobs, in every process alike.
- **2d, CPU time per job**: ``time.process_time`` around each of many alternating jobs in this
  process (mean), 0.15 s jobs polled every 0.1 s.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ._common import HERE, Row, emulator_process, median, verdict, vertex_client
from ._overhead_child import hand_loop, veowrap_job

__all__ = ["run"]

MODEL = "veo-3.1-generate-001"
PROMPT = "a paper boat on a rainy street"
TARGET = 1.05
JOB_TARGET = 1.0  # create + polls: veowrap's own work should cost nothing measurable


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
            client=vertex_client(base_url), poll_schedule=veowrap.PollSchedule.fixed(interval)
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
    rows = [
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
    return [*rows, _instruction_row(quick), _cpu_row(quick)]


# -- 2c: instructions per job under callgrind ---------------------------------------------------

CALLGRIND_LATENCY, CALLGRIND_INTERVAL, CALLGRIND_JOBS = 3.0, 2.0, 2


def _callgrind_count(base_url: str, mode: str) -> tuple[int, list[int]]:
    """Instructions of one child process (all threads) and the polls of its measured jobs."""
    with tempfile.TemporaryDirectory() as scratch:
        log = Path(scratch) / "callgrind.log"
        done = subprocess.run(
            [
                "valgrind",
                "--tool=callgrind",
                "--callgrind-out-file=/dev/null",
                f"--log-file={log}",
                sys.executable,
                str(HERE / "_overhead_child.py"),
                base_url,
                f"--mode={mode}",
                f"--jobs={CALLGRIND_JOBS}",
                f"--interval={CALLGRIND_INTERVAL}",
            ],
            capture_output=True,
            text=True,
            check=True,
            # A fixed hash seed: the same dict layouts, so the same instructions, every run.
            env={**os.environ, "PYTHONHASHSEED": "0"},
        )
        found = re.search(r"Collected : (\d+)", log.read_text())
    if found is None:
        raise RuntimeError(f"callgrind reported no count for mode {mode!r}")
    return int(found[1]), list(json.loads(done.stdout.strip().splitlines()[-1])["polls"])


def _instruction_row(quick: bool) -> Row:
    name = "client instructions per job, create + polls (callgrind, all threads)"
    target = f"≤ {JOB_TARGET}×"
    if quick or shutil.which("valgrind") is None:
        why = "quick run" if quick else "valgrind is not installed"
        return Row("2c", name, f"not measured ({why})", "", None, target, "not measured")
    with emulator_process(CALLGRIND_LATENCY) as base_url:
        counts = {mode: _callgrind_count(base_url, mode) for mode in ("none", "loop", "veowrap")}
    warm = counts["none"][0]
    per_job = {mode: (counts[mode][0] - warm) / CALLGRIND_JOBS for mode in ("loop", "veowrap")}
    polls = {mode: counts[mode][1] for mode in ("loop", "veowrap")}
    same = polls["loop"] == polls["veowrap"]
    ratio = per_job["veowrap"] / per_job["loop"]
    return Row(
        "2c",
        name,
        f"{per_job['veowrap'] / 1e6:.2f} M instructions"
        + ("" if same else f" (polls differ: {polls})"),
        f"hand-written loop: {per_job['loop'] / 1e6:.2f} M",
        ratio,
        target,
        verdict(ratio <= JOB_TARGET) if same else "not measured",
        {
            "latency_s": CALLGRIND_LATENCY,
            "poll_interval_s": CALLGRIND_INTERVAL,
            "jobs_each": CALLGRIND_JOBS,
            "instructions": {mode: count for mode, (count, _) in counts.items()},
            "per_job": per_job,
            "polls": polls,
        },
    )


# -- 2d: CPU time per job, many repetitions ---------------------------------------------------


def _cpu_row(quick: bool) -> Row:
    import veowrap

    latency, interval, jobs = (0.15, 0.1, 10) if quick else (0.15, 0.1, 60)
    samples: dict[str, list[float]] = {"loop": [], "veowrap": []}
    polls: dict[str, list[int]] = {"loop": [], "veowrap": []}
    with emulator_process(latency) as base_url:
        loop_client = vertex_client(base_url)
        generator = veowrap.VideoGenerator(
            client=vertex_client(base_url), poll_schedule=veowrap.PollSchedule.fixed(interval)
        )
        ways: dict[str, Callable[[], int]] = {
            "loop": lambda: hand_loop(loop_client, interval),
            "veowrap": lambda: veowrap_job(generator),
        }
        for job in ways.values():
            job()
        for _ in range(jobs):
            for name, job in ways.items():
                start = time.process_time()
                polls[name].append(job())
                samples[name].append(time.process_time() - start)
    mean = {name: statistics.mean(values) for name, values in samples.items()}
    mean_polls = {name: statistics.mean(values) for name, values in polls.items()}
    ratio = mean["veowrap"] / mean["loop"]
    return Row(
        "2d",
        f"client CPU time per job, create + polls (mean of {jobs}, "
        f"{latency:g} s job, poll every {interval:g} s)",
        f"{mean['veowrap'] * 1000:.2f} ms ({mean_polls['veowrap']:.2f} polls)",
        f"hand-written loop: {mean['loop'] * 1000:.2f} ms ({mean_polls['loop']:.2f} polls)",
        ratio,
        f"≤ {JOB_TARGET}×",
        verdict(ratio <= JOB_TARGET),
        {"samples": samples, "polls": polls},
    )
