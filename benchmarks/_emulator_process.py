"""Runs a ``VeoEmulator`` until its standard input closes; prints the base URL first.

Used by the benchmarks to keep the server's CPU time and allocations out of the measured process.
While it runs, the parent may send one command per line on standard input; each gets one line
back on standard output:

- ``quota REQUESTS SECONDS`` (or ``quota none``): ``VeoEmulator.set_quota``; answers ``ok``.
- ``reset``: ``VeoEmulator.reset``; answers ``ok``.
- ``stats``: answers JSON ``{"accepted_submissions": …, "quota_rejections": …}``.
"""

from __future__ import annotations

import argparse
import json
import sys

from veowrap.testing import VeoEmulator


def _answer(emulator: VeoEmulator, command: list[str]) -> str:
    """Carries out one command; returns the line to send back."""
    match command:
        case ["quota", "none"]:
            emulator.set_quota(None)
        case ["quota", requests, seconds]:
            emulator.set_quota(int(requests), float(seconds))
        case ["reset"]:
            emulator.reset()
        case ["stats"]:
            return json.dumps(
                {
                    "accepted_submissions": emulator.accepted_submissions,
                    "quota_rejections": emulator.quota_rejections,
                }
            )
        case _:
            return f"error: unknown command {' '.join(command)!r}"
    return "ok"


def main() -> None:
    """Parses ``--latency``, serves, answers commands, and stops when our stdin closes."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--latency", type=float, required=True)
    args = parser.parse_args()
    with VeoEmulator(latency=args.latency) as emulator:
        print(emulator.base_url, flush=True)
        for line in iter(sys.stdin.readline, ""):
            if line.strip():
                print(_answer(emulator, line.split()), flush=True)


if __name__ == "__main__":
    main()
