"""The ``veowrap`` command line: generate, batch, status, wait, cancel, models, doctor, emulator.

Installed with ``pip install 'veowrap[cli]'`` (click and tqdm). Run ``veowrap --help``, or
``python -m veowrap.cli --help``. Exit codes are listed in :mod:`veowrap.cli._exit` and
``docs/cli.md``.
"""

from __future__ import annotations

import sys

__all__ = ["main"]


def main(argv: list[str] | None = None) -> None:
    """Runs the command line (the ``veowrap`` console script) and exits with its status."""
    try:
        from veowrap.cli._app import cli
    except ImportError as error:
        if error.name not in ("click", "tqdm"):
            raise
        print(
            f"error: the veowrap command line needs the {error.name} package, which is not "
            "installed.\nhint: pip install 'veowrap[cli]'",
            file=sys.stderr,
        )
        raise SystemExit(8) from None
    cli.main(args=argv, prog_name="veowrap")
