"""The benchmark runner: ``python -m benchmarks`` or ``python benchmarks/run.py``.

Runs every benchmark against the local emulator (127.0.0.1 only), prints one table and writes
JSON. ``--quick`` uses small sizes and only checks that the benchmarks run: it never fails on a
timing. Without ``--quick`` the exit status is 0 too, unless ``--strict`` is given and a target
was missed.
"""

from __future__ import annotations

import argparse
import atexit
import datetime
import os
import platform
import sys
import tempfile
import time
import traceback
import warnings
from collections.abc import Callable
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the `benchmarks` package importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import (
    concurrency,
    download,
    eta,
    imports,
    overhead,
    polling,
    quota,
    webhooks,
    workers,
)
from benchmarks._common import HERE, Row, format_table, write_json

__all__ = ["main"]

BENCHMARKS: dict[str, Callable[..., list[Row]]] = {
    "polling": polling.run,
    "overhead": overhead.run,
    "imports": imports.run,
    "download": download.run,
    "concurrency": concurrency.run,
    "quota": quota.run,
    "webhooks": webhooks.run,
    "workers": workers.run,
    "eta": eta.run,
}


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine() -> dict[str, str | int | None]:
    """What the numbers were measured on."""
    import google.genai

    import veowrap

    return {
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": os.cpu_count(),
        "cpu": _cpu_model(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "veowrap": veowrap.__version__,
        "google_genai": google.genai.__version__,
    }


def main(argv: list[str] | None = None) -> int:
    """Parses arguments, runs the chosen benchmarks, prints the table and writes the JSON."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes; never asserts timings")
    parser.add_argument(
        "--json",
        type=Path,
        default=None,
        help="where to write the results (default: benchmarks/results.json, or "
        "benchmarks/results-quick.json with --quick)",
    )
    parser.add_argument(
        "--only", choices=sorted(BENCHMARKS), action="append", help="run only these (repeatable)"
    )
    parser.add_argument(
        "--strict", action="store_true", help="exit 1 when a target is missed (not with --quick)"
    )
    args = parser.parse_args(argv)
    # Jobs against the emulator record latency history like any job (its cost is measured),
    # but in a throwaway directory: emulator latencies must not reach the user's history.
    if "VEOWRAP_CACHE_DIR" not in os.environ:
        cache = tempfile.TemporaryDirectory(prefix="veowrap-bench-cache-")
        atexit.register(cache.cleanup)
        os.environ["VEOWRAP_CACHE_DIR"] = cache.name
    warnings.simplefilter("ignore", DeprecationWarning)
    chosen = args.only or list(BENCHMARKS)
    rows: list[Row] = []
    timings: dict[str, float] = {}
    failed: list[str] = []
    for name in chosen:
        print(f"running {name}…", file=sys.stderr, flush=True)
        start = time.perf_counter()
        try:
            rows += BENCHMARKS[name](quick=args.quick)
        except Exception:
            failed.append(name)
            traceback.print_exc()
        timings[name] = round(time.perf_counter() - start, 1)
    meta = {**machine(), "quick": args.quick, "seconds": timings, "failed": failed}
    print(
        f"\nveowrap benchmarks — {meta['date']}, {meta['nproc']} × {meta['cpu']}, "
        f"Python {meta['python']}, google-genai {meta['google_genai']}"
        f"{' (quick)' if args.quick else ''}\n"
    )
    print(format_table(rows, quick=args.quick))
    destination = args.json or HERE / ("results-quick.json" if args.quick else "results.json")
    write_json(destination, rows, meta)
    print(f"\nJSON: {destination}")
    if failed:
        print(f"FAILED: {', '.join(failed)}", file=sys.stderr)
        return 1
    if args.strict and not args.quick and any(row.status == "missed" for row in rows):
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
