"""Benchmark 3: the cost of ``import veowrap`` in a fresh interpreter.

Each statement runs in a new ``python -c`` process; its wall time minus the median time of an
empty interpreter (``python -c pass``) is its import cost. Runs are interleaved and the median
is taken. A separate run with ``-X importtime`` gives the cumulative microseconds Python itself
reports for the top-level module, and checks whether ``google.genai`` was imported.
"""

from __future__ import annotations

import subprocess
import sys
import time

from ._common import Row, median, verdict

__all__ = ["run"]

TARGET_MS = 50.0
STATEMENTS = {
    "empty": "pass",
    "veowrap": "import veowrap",
    "genai": "from google import genai",
}


def _wall(statement: str) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", statement], check=True)
    return time.perf_counter() - start


def _importtime(statement: str, module: str) -> tuple[float, bool]:
    # Returns (cumulative µs of `module` as -X importtime reports it, google.genai imported?).
    probe = f"{statement}; import sys; print('google.genai' in sys.modules)"
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", probe],
        check=True,
        capture_output=True,
        text=True,
    )
    cumulative = 0.0
    for line in done.stderr.splitlines():
        parts = [p.strip() for p in line.removeprefix("import time:").split("|")]
        if len(parts) == 3 and parts[2] == module:
            cumulative = float(parts[1])
    return cumulative, done.stdout.strip() == "True"


def run(*, quick: bool) -> list[Row]:
    """Times the imports; returns table rows."""
    repeats = 3 if quick else 9
    walls: dict[str, list[float]] = {name: [] for name in STATEMENTS}
    for statement in STATEMENTS.values():  # warm the OS file cache and .pyc files
        _wall(statement)
    for _ in range(repeats):
        for name, statement in STATEMENTS.items():
            walls[name].append(_wall(statement))
    empty = median(walls["empty"])
    cost = {name: (median(walls[name]) - empty) * 1000 for name in ("veowrap", "genai")}
    veowrap_us, veowrap_pulls_genai = zip(
        *(_importtime("import veowrap", "veowrap") for _ in range(repeats)), strict=True
    )
    genai_us, _ = zip(
        *(_importtime("from google import genai", "google.genai") for _ in range(repeats)),
        strict=True,
    )
    pulls = any(veowrap_pulls_genai)
    details = {
        "repeats": repeats,
        "wall_s": walls,
        "empty_interpreter_ms": empty * 1000,
        "importtime_cumulative_us": {"veowrap": veowrap_us, "google.genai": genai_us},
        "veowrap_imports_google_genai": pulls,
    }
    return [
        Row(
            "3",
            "import veowrap, fresh interpreter (median, minus empty interpreter)",
            f"{cost['veowrap']:.1f} ms (-X importtime {median(veowrap_us) / 1000:.1f} ms); "
            f"google.genai imported: {'yes' if pulls else 'no'}",
            f"from google import genai: {cost['genai']:.0f} ms "
            f"(-X importtime {median(genai_us) / 1000:.0f} ms)",
            cost["veowrap"] / cost["genai"],
            f"≤ {TARGET_MS:g} ms",
            verdict(cost["veowrap"] <= TARGET_MS),
            details,
        )
    ]
