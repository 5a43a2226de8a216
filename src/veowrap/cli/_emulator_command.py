"""``veowrap emulator``: the local Veo emulator as a process of its own, until Ctrl-C."""

from __future__ import annotations

import click

from veowrap.cli._failing import guard
from veowrap.cli._options import Output

__all__ = ["emulator"]


@click.command()
@click.option("--port", type=int, default=8765, show_default=True, help="Port (0: any free).")
@click.option(
    "--latency", type=float, default=2.0, show_default=True, help="Seconds from create to done."
)
@click.option("--api-key", default="test-key", show_default=True, help="API key to accept.")
@click.option("--token", default="test-token", show_default=True, help="Bearer token to accept.")
def emulator(port: int, latency: float, api_key: str, token: str) -> None:
    """Run the local Veo emulator until Ctrl-C (for offline work and tests).

    Point other commands at it with --emulator http://127.0.0.1:PORT, or with the environment
    variables it prints.
    """
    from veowrap.testing.__main__ import main as emulator_main

    guard(
        Output(),
        lambda: emulator_main(
            ["--port", str(port), "--latency", str(latency), "--api-key", api_key, "--token", token]
        ),
    )
