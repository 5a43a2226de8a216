"""`python -m veowrap.testing`: run the emulator until Ctrl-C."""

from __future__ import annotations

import argparse
import threading

from ._emulator import VeoEmulator


def main(argv: list[str] | None = None) -> None:
    """Parses arguments, starts the emulator and prints how to point a client at it."""
    parser = argparse.ArgumentParser(
        prog="python -m veowrap.testing",
        description="Local emulator of Google's Veo, Interactions and Cloud Storage APIs.",
    )
    parser.add_argument("--port", type=int, default=8765, help="port (0: any free port)")
    parser.add_argument("--latency", type=float, default=2.0, help="seconds from create to done")
    parser.add_argument("--api-key", default="test-key", help="API key to accept")
    parser.add_argument("--token", default="test-token", help="bearer token to accept")
    args = parser.parse_args(argv)
    emulator = VeoEmulator(
        latency=args.latency, api_key=args.api_key, token=args.token, port=args.port
    )
    with emulator:
        print(f"Veo emulator listening on {emulator.base_url}")
        print("Gemini API:")
        for name, value in emulator.env().items():
            print(f"  export {name}={value}")
        print("Vertex AI express mode:")
        for name, value in emulator.env(vertex=True).items():
            print(f"  export {name}={value}")
        print("Press Ctrl-C to stop.", flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            print("Stopping.")


if __name__ == "__main__":
    main()
