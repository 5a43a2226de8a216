"""Image to video, and first + last frame, offline against the built-in emulator.

The script draws its own PNG frames (pure Python: zlib and struct), so it needs no files, no
account and no network beyond 127.0.0.1.

    python examples/image_to_video.py [OUTPUT_DIR]
"""

from __future__ import annotations

import struct
import sys
import zlib
from pathlib import Path

import veowrap
from veowrap.testing import VeoEmulator, inspect_mp4


def png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A solid-colour PNG, encoded by hand (8-bit RGB, one filter byte per row)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    row = b"\x00" + bytes(rgb) * width
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )


def main(output_dir: Path) -> list[Path]:
    output_dir.mkdir(parents=True, exist_ok=True)
    first = output_dir / "first.png"
    first.write_bytes(png(64, 36, (30, 60, 160)))  # a path works; so do bytes and gs:// URIs
    last = png(64, 36, (240, 140, 40))

    saved: list[Path] = []
    with VeoEmulator(latency=0.3) as emulator:
        generator = veowrap.VideoGenerator(
            client=emulator.client(vertex=True),
            poll_schedule=veowrap.PollSchedule.fixed(0.1),
        )
        # 1. Image to video: the image is the first frame; its MIME type is read from the bytes.
        result = generator.generate(
            "the harbour wakes up, boats drift out",
            model="veo-3.1-generate-001",
            image=first,
            duration_seconds=8,
            aspect_ratio="16:9",
        )
        saved += result.save(output_dir / "image_to_video.mp4")

        # 2. First and last frame: Veo fills in the motion between the two images.
        request = veowrap.VideoRequest(
            prompt="the sky turns from night blue to sunset orange",
            model="veo-3.1-generate-001",
            image=first,
            last_frame=last,
            duration_seconds=8,
        )
        saved += generator.generate(request).save(output_dir / "first_last_frame.mp4")

        sent = [r.body["instances"][0] for r in emulator.requests if r.endpoint == "create"]
        print(
            f"sent {len(sent)} requests; the second carried a lastFrame: {'lastFrame' in sent[1]}"
        )
    for path in saved:
        print(f"saved {path}: {inspect_mp4(path)}")
    return saved


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("out/image_to_video"))
