"""Benchmark 3: the cost of ``import veowrap`` and of a first generator in a fresh interpreter.

Row 3a: each statement runs in a new ``python -c`` process; its wall time minus the median
time of an empty interpreter (``python -c pass``) is its import cost. Runs are interleaved and
the median is taken. A separate run with ``-X importtime`` gives the cumulative microseconds
Python itself reports for the top-level module, and checks whether ``google.genai`` was
imported.

Row 3b, first use: the CPU time (``time.process_time``, read inside the child, so interpreter
start-up is left out) of ``import veowrap; veowrap.VideoGenerator(api_key=...)`` against
``from google import genai; genai.Client(api_key=...)``, each in fresh interpreters, interleaved,
median. A generator builds exactly such a client, so the ratio is what veowrap adds. In a full
run with ``valgrind`` installed, the same two statements are also counted in instructions
(callgrind, minus an empty interpreter's count): deterministic where CPU time is noisy.

Row 3c, first touch: the CPU time of ``import veowrap; veowrap.VideoGenerator`` (the class
only, no client), and which heavy packages that loads.

Every child runs with compiled bytecode, as an installed package has: ``PYTHONDONTWRITEBYTECODE``
(set by ``.ci/run``) is dropped for them and ``PYTHONPYCACHEPREFIX`` points at a scratch
directory, filled by a warm-up run of each statement. Otherwise veowrap, read from a source
tree, would be compiled in every fresh interpreter while google-genai's wheel brings its ``.pyc``
files, and the rows would measure the compiler.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ._common import Row, median, verdict

__all__ = ["run"]

TARGET_MS = 50.0
FIRST_USE_TARGET = 1.05
FIRST_USE = {
    "genai": "from google import genai; genai.Client(api_key='benchmark-key')",
    "veowrap": "import veowrap; veowrap.VideoGenerator(api_key='benchmark-key')",
}
FIRST_TOUCH = "import veowrap; veowrap.VideoGenerator"
HEAVY = ("pydantic", "tenacity", "google.genai", "httpx2", "sqlite3")
STATEMENTS = {
    "empty": "pass",
    "veowrap": "import veowrap",
    "genai": "from google import genai",
}


_CHILD_ENV: dict[str, str] = dict(os.environ)


def _bytecode_env(cache: str) -> None:
    # See the module docstring: children read and write .pyc files under `cache`.
    _CHILD_ENV.clear()
    _CHILD_ENV.update(os.environ)
    _CHILD_ENV.pop("PYTHONDONTWRITEBYTECODE", None)
    _CHILD_ENV["PYTHONPYCACHEPREFIX"] = cache


def _wall(statement: str) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", statement], check=True, env=_CHILD_ENV)
    return time.perf_counter() - start


def _importtime(statement: str, module: str) -> tuple[float, bool]:
    # Returns (cumulative µs of `module` as -X importtime reports it, google.genai imported?).
    probe = f"{statement}; import sys; print('google.genai' in sys.modules)"
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", probe],
        check=True,
        capture_output=True,
        text=True,
        env=_CHILD_ENV,
    )
    cumulative = 0.0
    for line in done.stderr.splitlines():
        parts = [p.strip() for p in line.removeprefix("import time:").split("|")]
        if len(parts) == 3 and parts[2] == module:
            cumulative = float(parts[1])
    return cumulative, done.stdout.strip() == "True"


def run(*, quick: bool) -> list[Row]:
    """Times the imports; returns table rows."""
    with tempfile.TemporaryDirectory(prefix="veowrap-pycache-") as cache:
        _bytecode_env(cache)
        return _rows(quick=quick)


def _rows(*, quick: bool) -> list[Row]:
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
            "3a",
            "import veowrap, fresh interpreter (median, minus empty interpreter)",
            f"{cost['veowrap']:.1f} ms (-X importtime {median(veowrap_us) / 1000:.1f} ms); "
            f"google.genai imported: {'yes' if pulls else 'no'}",
            f"from google import genai: {cost['genai']:.0f} ms "
            f"(-X importtime {median(genai_us) / 1000:.0f} ms)",
            cost["veowrap"] / cost["genai"],
            f"≤ {TARGET_MS:g} ms",
            verdict(cost["veowrap"] <= TARGET_MS),
            details,
        ),
        *first_use_rows(quick=quick),
    ]


# -- first use ----------------------------------------------------------------------------------


def _cpu(statement: str) -> tuple[float, list[str]]:
    # CPU seconds of `statement` inside a fresh interpreter, and which HEAVY packages it loaded.
    probe = (
        "import time, sys\n"
        "start = time.process_time()\n"
        f"{statement}\n"
        "spent = time.process_time() - start\n"
        f"print(spent, *[name for name in {HEAVY!r} if name in sys.modules])"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], check=True, capture_output=True, text=True, env=_CHILD_ENV
    )
    first, *loaded = done.stdout.split()
    return float(first), loaded


def _instructions(statement: str) -> int:
    with tempfile.TemporaryDirectory() as scratch:
        log = Path(scratch) / "callgrind.log"
        subprocess.run(
            [
                "valgrind",
                "--tool=callgrind",
                "--callgrind-out-file=/dev/null",
                f"--log-file={log}",
                sys.executable,
                "-c",
                statement,
            ],
            check=True,
            capture_output=True,
            env={**_CHILD_ENV, "PYTHONHASHSEED": "0"},
        )
        found = re.search(r"Collected : (\d+)", log.read_text())
    if found is None:
        raise RuntimeError("callgrind reported no instruction count")
    return int(found[1])


def first_use_rows(*, quick: bool) -> list[Row]:
    """Rows 3b (first generator vs first client) and 3c (first touch of the class)."""
    repeats = 3 if quick else 9
    cpu: dict[str, list[float]] = {name: [] for name in (*FIRST_USE, "touch")}
    loaded: dict[str, list[str]] = {}
    for name, statement in {**FIRST_USE, "touch": FIRST_TOUCH}.items():  # warm .pyc files
        _, loaded[name] = _cpu(statement)
    for _ in range(repeats):
        for name, statement in {**FIRST_USE, "touch": FIRST_TOUCH}.items():
            cpu[name].append(_cpu(statement)[0])
    spent = {name: median(values) for name, values in cpu.items()}
    ratio = spent["veowrap"] / spent["genai"]
    details: dict[str, object] = {"repeats": repeats, "cpu_s": cpu, "loaded": loaded}
    figure = f"{spent['veowrap'] * 1000:.0f} ms CPU"
    baseline = f"genai.Client(api_key=...): {spent['genai'] * 1000:.0f} ms"
    if not quick and shutil.which("valgrind") is not None:
        empty = _instructions("pass")
        counts = {name: _instructions(statement) - empty for name, statement in FIRST_USE.items()}
        details["instructions"] = counts
        instruction_ratio = counts["veowrap"] / counts["genai"]
        figure += f"; {counts['veowrap'] / 1e9:.3f} G instructions"
        baseline += f"; {counts['genai'] / 1e9:.3f} G ({instruction_ratio:.3f}×)"
        ratio = instruction_ratio  # the deterministic figure decides
    return [
        Row(
            "3b",
            "first VideoGenerator(api_key=...) in a fresh interpreter, imports included",
            figure,
            baseline,
            ratio,
            f"≤ {FIRST_USE_TARGET}×",
            verdict(ratio <= FIRST_USE_TARGET),
            details,
        ),
        Row(
            "3c",
            "first touch: import veowrap; veowrap.VideoGenerator (no client built)",
            f"{spent['touch'] * 1000:.0f} ms CPU; loads: "
            f"{', '.join(loaded['touch']) or 'none of ' + '/'.join(HEAVY)}",
            "",
            None,
            "none (for reference)",
            "info",
        ),
    ]
