"""A small ISO-BMFF (MP4) box reader: enough to check a file is a real video."""

from __future__ import annotations

import io
import os
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

# Containers we descend into on the way to tkhd/mvhd/stsd.
_CONTAINERS = {b"moov", b"trak", b"mdia", b"minf", b"stbl"}


@dataclass(frozen=True)
class Mp4Info:
    """What `inspect_mp4` found.

    Attributes:
        width: Display width of the first video track, in pixels.
        height: Display height of the first video track, in pixels.
        duration_s: Movie duration from `mvhd`, in seconds.
        codec: Four-character code of the first sample entry, e.g. `"avc1"`.
    """

    width: int
    height: int
    duration_s: float
    codec: str


def _boxes(data: bytes, start: int = 0, end: int | None = None) -> Iterator[tuple[bytes, int, int]]:
    """Yields (type, payload_start, payload_end) for boxes laid out in `data[start:end]`."""
    end = len(data) if end is None else end
    pos = start
    while pos + 8 <= end:
        size, kind = struct.unpack_from(">I4s", data, pos)
        header = 8
        if size == 1:
            if pos + 16 > end:
                raise ValueError("truncated 64-bit box header")
            (size,) = struct.unpack_from(">Q", data, pos + 8)
            header = 16
        elif size == 0:
            size = end - pos
        if size < header or pos + size > end:
            raise ValueError(f"box {kind!r} at {pos} overruns its parent")
        yield kind, pos + header, pos + size
        pos += size


def _top_level(stream: BinaryIO) -> tuple[set[bytes], bytes]:
    """Walks top-level boxes by seeking (padding is never read); returns types and `moov`."""
    seen: set[bytes] = set()
    moov = b""
    stream.seek(0, io.SEEK_END)
    total = stream.tell()
    pos = 0
    while pos + 8 <= total:
        stream.seek(pos)
        header = stream.read(16)
        size, kind = struct.unpack_from(">I4s", header)
        header_len = 8
        if size == 1:
            (size,) = struct.unpack_from(">Q", header, 8)
            header_len = 16
        elif size == 0:
            size = total - pos
        if size < header_len or pos + size > total:
            raise ValueError(f"top-level box {kind!r} at {pos} is truncated")
        seen.add(kind)
        if kind == b"moov":
            stream.seek(pos)
            moov = stream.read(size)
        pos += size
    if pos != total:
        raise ValueError("trailing bytes after the last box")
    return seen, moov


def _parse_moov(moov: bytes) -> Mp4Info:
    duration_s = 0.0
    tracks: list[tuple[int, int, str]] = []

    def walk(start: int, end: int, track: dict[str, object]) -> None:
        nonlocal duration_s
        for kind, p0, p1 in _boxes(moov, start, end):
            if kind == b"mvhd":
                version = moov[p0]
                if version == 1:
                    timescale, duration = struct.unpack_from(">IQ", moov, p0 + 20)
                else:
                    timescale, duration = struct.unpack_from(">II", moov, p0 + 12)
                duration_s = duration / timescale if timescale else 0.0
            elif kind == b"tkhd":
                # Width and height are the last two 16.16 fixed-point fields.
                w, h = struct.unpack_from(">II", moov, p1 - 8)
                track["size"] = (w >> 16, h >> 16)
            elif kind == b"stsd":
                # Full box header (4) + entry count (4), then the first entry's size + fourcc.
                track["codec"] = moov[p0 + 12 : p0 + 16].decode("latin-1")
            elif kind == b"trak":
                inner: dict[str, object] = {}
                walk(p0, p1, inner)
                size = inner.get("size", (0, 0))
                assert isinstance(size, tuple)
                tracks.append((size[0], size[1], str(inner.get("codec", ""))))
            elif kind in _CONTAINERS:
                walk(p0, p1, track)

    first = next(_boxes(moov), None)
    if first is None:
        raise ValueError("empty moov box")
    walk(first[1], first[2], {})
    video = [t for t in tracks if t[0] and t[1]]
    if not video:
        raise ValueError("no video track found")
    width, height, codec = video[0]
    return Mp4Info(width=width, height=height, duration_s=duration_s, codec=codec)


def inspect_mp4(source: bytes | str | os.PathLike[str]) -> Mp4Info:
    """Checks that `source` is a structurally valid MP4 and describes its video track.

    Top-level boxes are walked by seeking, so a multi-gigabyte file costs only the size of
    its `moov` box in memory.

    Args:
        source: The file's bytes, or a path to it.

    Returns:
        Width, height, duration and codec fourcc of the first video track.

    Raises:
        ValueError: If `ftyp` or `moov` is missing, a box is truncated, or no video track
            with a sample description exists.
    """
    if isinstance(source, bytes | bytearray | memoryview):
        seen, moov = _top_level(io.BytesIO(bytes(source)))
    else:
        with open(source, "rb") as stream:
            seen, moov = _top_level(stream)
    if b"ftyp" not in seen:
        raise ValueError("no ftyp box: not an MP4 file")
    if not moov:
        raise ValueError("no moov box")
    return _parse_moov(moov)
