"""Runs a ``VeoEmulator`` until its standard input closes; prints the base URL first.

Used by the benchmarks to keep the server's CPU time and allocations out of the measured process.
"""

from __future__ import annotations

import argparse
import sys

from veowrap.testing import VeoEmulator


def main() -> None:
    """Parses ``--latency``, serves, and stops when the parent closes our stdin."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--latency", type=float, required=True)
    args = parser.parse_args()
    with VeoEmulator(latency=args.latency) as emulator:
        print(emulator.base_url, flush=True)
        sys.stdin.read()


if __name__ == "__main__":
    main()
