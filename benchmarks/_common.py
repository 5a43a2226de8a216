"""Shared pieces: result rows, the table, emulator processes and clients that reach them.

Everything here talks only to 127.0.0.1.
"""

from __future__ import annotations

import contextlib
import json
import os
import statistics
import subprocess
import sys
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

__all__ = [
    "API_KEY",
    "HERE",
    "TOKEN",
    "EmulatorProcess",
    "Row",
    "Status",
    "controlled_emulator",
    "emulator_process",
    "format_table",
    "gemini_client",
    "median",
    "peak_rss_reset",
    "read_memory",
    "vertex_client",
    "write_json",
]

HERE = Path(__file__).resolve().parent
TOKEN = "test-token"  # The emulator's built-in test credentials (not secrets).
API_KEY = "test-key"
PROJECT = "test-project"
LOCATION = "us-central1"

Status = Literal["met", "missed", "info", "not measured"]


@dataclass
class Row:
    """One line of the results table.

    Attributes:
        key: A stable identifier, e.g. ``"1a"``.
        benchmark: What is measured, in words.
        figure: veowrap's number, formatted with its unit.
        baseline: The comparison measured in the same run, with its name.
        ratio: ``figure / baseline`` as a number (``None`` when it means nothing).
        target: The target, in words.
        status: ``met``, ``missed``, ``info`` (no target) or ``not measured``.
        details: Raw numbers for the JSON file.
    """

    key: str
    benchmark: str
    figure: str
    baseline: str
    ratio: float | None
    target: str
    status: Status
    details: dict[str, Any] = field(default_factory=dict)


def verdict(ok: bool) -> Status:
    """``met`` or ``missed``."""
    return "met" if ok else "missed"


def median(values: Sequence[float]) -> float:
    """The median of a non-empty sequence."""
    return float(statistics.median(values))


def format_table(rows: Sequence[Row], *, quick: bool) -> str:
    """A Markdown table of the rows (quick runs mark every verdict as not asserted)."""
    header = ("#", "benchmark", "veowrap", "baseline (same run)", "ratio", "target", "result")
    lines = [header]
    for row in rows:
        ratio = "" if row.ratio is None else f"{row.ratio:.2f}×"
        status: str = row.status
        if quick and status in ("met", "missed"):
            status += " (quick: not asserted)"
        lines.append((row.key, row.benchmark, row.figure, row.baseline, ratio, row.target, status))
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    out = []
    for index, line in enumerate(lines):
        out.append("| " + " | ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)) + " |")
        if index == 0:
            out.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(out)


def write_json(path: Path, rows: Sequence[Row], meta: dict[str, Any]) -> None:
    """Writes the rows and the run's metadata as JSON."""
    document = {"meta": meta, "rows": [asdict(row) for row in rows]}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2, default=str) + "\n", encoding="utf-8")


# -- emulator in its own process ----------------------------------------------------------------


class EmulatorProcess:
    """A ``VeoEmulator`` in a child process (see ``_emulator_process.py``) and its controls.

    Attributes:
        base_url: Where it listens (``http://127.0.0.1:PORT``).
    """

    def __init__(self, child: subprocess.Popen[str], base_url: str) -> None:
        self._child = child
        self.base_url = base_url

    def _command(self, line: str) -> str:
        assert self._child.stdin is not None and self._child.stdout is not None
        self._child.stdin.write(line + "\n")
        self._child.stdin.flush()
        answer = self._child.stdout.readline().strip()
        if not answer or answer.startswith("error"):
            raise RuntimeError(f"the emulator process answered {answer!r} to {line!r}")
        return answer

    def set_quota(self, requests: int | None, per_seconds: float = 60.0) -> None:
        """``VeoEmulator.set_quota`` in the child."""
        self._command("quota none" if requests is None else f"quota {requests} {per_seconds!r}")

    def reset(self) -> None:
        """``VeoEmulator.reset`` in the child (forgets counters, operations and the quota log)."""
        self._command("reset")

    def stats(self) -> dict[str, int]:
        """The child's ``accepted_submissions`` and ``quota_rejections``."""
        found: dict[str, int] = json.loads(self._command("stats"))
        return found


@contextlib.contextmanager
def controlled_emulator(latency: float) -> Iterator[EmulatorProcess]:
    """Runs a ``VeoEmulator`` in a child process; yields a handle that can script it.

    Keeping the server out of the measured process means ``time.process_time`` and
    ``tracemalloc`` see only the client's work.
    """
    script = HERE / "_emulator_process.py"
    child = subprocess.Popen(
        [sys.executable, str(script), "--latency", str(latency)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        line = child.stdout.readline().strip()
        if not line.startswith("http://127.0.0.1:"):
            raise RuntimeError(f"the emulator process did not start (said {line!r})")
        yield EmulatorProcess(child, line)
    finally:
        if child.stdin is not None:
            child.stdin.close()  # the child exits when its stdin closes
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


@contextlib.contextmanager
def emulator_process(latency: float) -> Iterator[str]:
    """Runs a ``VeoEmulator`` in a child process; yields its base URL."""
    with controlled_emulator(latency) as emulator:
        yield emulator.base_url


def vertex_client(base_url: str, retry_options: Any = None) -> Any:
    """A Vertex AI ``google.genai.Client`` for an emulator, like ``emu.client(vertex=True)``.

    ``retry_options`` (a ``google.genai.types.HttpRetryOptions``) turns the SDK's retries on.
    """
    import google.oauth2.credentials
    from google import genai
    from google.genai import types

    credentials = google.oauth2.credentials.Credentials(token=TOKEN)  # type: ignore[no-untyped-call]
    return genai.Client(
        vertexai=True,
        project=PROJECT,
        location=LOCATION,
        credentials=credentials,
        http_options=types.HttpOptions(base_url=base_url, retry_options=retry_options),
    )


def gemini_client(base_url: str) -> Any:
    """A Gemini API ``google.genai.Client`` pointed at an emulator."""
    from google import genai
    from google.genai import types

    options = types.HttpOptions(base_url=base_url, api_version="v1beta")
    return genai.Client(api_key=API_KEY, http_options=options)


# -- memory -------------------------------------------------------------------------------------


def read_memory() -> dict[str, int]:
    """This process's ``VmRSS`` and ``VmHWM`` in bytes (Linux), else ``ru_maxrss`` for both."""
    status = Path("/proc/self/status")
    if status.exists():
        values: dict[str, int] = {}
        for line in status.read_text().splitlines():
            name, _, rest = line.partition(":")
            if name in ("VmRSS", "VmHWM"):
                values[name] = int(rest.split()[0]) * 1024
        if len(values) == 2:
            return values
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    peak *= 1 if sys.platform == "darwin" else 1024
    return {"VmRSS": peak, "VmHWM": peak}


def peak_rss_reset() -> bool:
    """Resets the peak-RSS mark (Linux ``clear_refs``); ``False`` where that is impossible."""
    try:
        with open(f"/proc/{os.getpid()}/clear_refs", "w") as handle:
            handle.write("5")
        return True
    except OSError:
        return False
