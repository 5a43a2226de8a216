"""The committed MP4 assets and the byte streams the emulator serves from them."""

from __future__ import annotations

import base64
import functools
import importlib.resources
import struct
from collections.abc import Iterator
from dataclasses import dataclass

_ASSET_DURATIONS = (4, 5, 6, 7, 8)
_CHUNK = 64 * 1024


@functools.cache
def asset_bytes(aspect_ratio: str, duration_s: int) -> bytes:
    """Returns the committed asset closest to the requested shape.

    Args:
        aspect_ratio: `"9:16"` selects the portrait asset; anything else landscape.
        duration_s: Wanted duration; the nearest available one (4–8 s) is used.
    """
    shape = "9x16" if aspect_ratio == "9:16" else "16x9"
    duration = min(_ASSET_DURATIONS, key=lambda d: (abs(d - duration_s), d))
    resource = importlib.resources.files("veowrap.testing") / "assets"
    return (resource / f"veo_{shape}_{duration}s.mp4").read_bytes()


@dataclass(frozen=True)
class VideoSpec:
    """A video the emulator can serve: an asset, optionally padded to a total size.

    Attributes:
        aspect_ratio: Aspect ratio of the asset.
        duration_s: Duration of the asset.
        total_size: Bytes to serve; larger than the asset means a trailing `free` box.
    """

    aspect_ratio: str
    duration_s: int
    total_size: int = 0

    @property
    def base(self) -> bytes:
        """The real asset bytes."""
        return asset_bytes(self.aspect_ratio, self.duration_s)

    @property
    def size(self) -> int:
        """Total number of bytes served."""
        return max(self.total_size, len(self.base))

    def chunks(self) -> Iterator[bytes]:
        """Yields the file in chunks; padding is generated, never held whole in memory."""
        base = self.base
        yield base
        padding = self.size - len(base)
        if padding <= 0:
            return
        if padding < 16:
            # Too small for a box header: cannot happen for whole-MiB sizes; keep it valid.
            return
        if padding <= 0xFFFFFFFF:
            yield struct.pack(">I4s", padding, b"free")
            remaining = padding - 8
        else:
            yield struct.pack(">I4sQ", 1, b"free", padding)
            remaining = padding - 16
        zeros = bytes(_CHUNK)
        while remaining > 0:
            step = min(remaining, _CHUNK)
            yield zeros if step == _CHUNK else bytes(step)
            remaining -= step

    def read_all(self) -> bytes:
        """Returns the whole file (used only for small, unpadded videos)."""
        return b"".join(self.chunks())

    def base64_size(self) -> int:
        """Length of the file's standard base64 encoding."""
        return 4 * ((self.size + 2) // 3)

    def base64_chunks(self) -> Iterator[bytes]:
        """Yields the standard base64 encoding of the file, chunk by chunk."""
        carry = b""
        for chunk in self.chunks():
            data = carry + chunk
            cut = len(data) - len(data) % 3
            carry = data[cut:]
            if cut:
                yield base64.b64encode(data[:cut])
        if carry:
            yield base64.b64encode(carry)


def spec_for_megabytes(aspect_ratio: str, duration_s: int, megabytes: int) -> VideoSpec:
    """Returns a spec padded to `megabytes` MiB (never smaller than the asset)."""
    base = asset_bytes(aspect_ratio, duration_s)
    total = max(megabytes * 1024 * 1024, len(base))
    if 0 < total - len(base) < 16:
        total = len(base) + 16
    return VideoSpec(aspect_ratio, duration_s, total)
