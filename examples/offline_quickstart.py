"""Generate a video offline: veowrap's VideoGenerator against the built-in Veo emulator.

The emulator is a real HTTP server on 127.0.0.1 speaking Google's Vertex AI video endpoints,
so this runs the unmodified google-genai client end to end, with no account and no cost.

    python examples/offline_quickstart.py [OUTPUT.mp4]
"""

from __future__ import annotations

import sys
from pathlib import Path

import veowrap
from veowrap.testing import VeoEmulator, inspect_mp4


def main(output: Path) -> None:
    with VeoEmulator(latency=0.5) as emulator:
        generator = veowrap.VideoGenerator(
            client=emulator.client(vertex=True),
            poll_schedule=veowrap.PollSchedule.fixed(0.2),
        )
        result = generator.generate(
            "a paper boat on a rainy street",
            model="veo-3.1-generate-001",
            duration_seconds=8,
            aspect_ratio="16:9",
            on_event=lambda event: print(f"  {event.kind}"),
        )
        (path,) = result.save(output)
    info = inspect_mp4(path)
    print(f"saved {path} ({path.stat().st_size:,} bytes): {info}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("out/boat.mp4"))
