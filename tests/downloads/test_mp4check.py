"""`_core/mp4check`: a video is accepted only as a structurally complete MP4, and anything else
is named from its first bytes, whatever the chunking."""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import veowrap.testing
from veowrap._core.mp4check import Mp4Walker, VideoProblem, check_mp4_bytes, describe_content

ASSETS = Path(veowrap.testing.__file__).parent / "assets"
FIXTURES = Path(__file__).parents[1] / "core" / "mp4"
MP4 = (ASSETS / "veo_16x9_4s.mp4").read_bytes()
FTYP = struct.pack(">I4s", 24, b"ftyp") + b"isom\x00\x00\x02\x00isomiso2"


def box(kind: bytes, payload: bytes = b"") -> bytes:
    return struct.pack(">I4s", 8 + len(payload), kind) + payload


def large_box(kind: bytes, payload: bytes = b"") -> bytes:
    return struct.pack(">I4sQ", 1, kind, 16 + len(payload)) + payload


def feed(data: bytes, step: int, content_type: str | None = None) -> int:
    walker = Mp4Walker(content_type, None)
    for start in range(0, len(data), step):
        walker.feed(data[start : start + step])
    return walker.finish()


# The asset is ftyp(32) moov(1121) free(8) mdat: its samples start at byte 1,169.
MDAT = 1161

# id, bytes (the rules on what is inside moov are tested in tests/core/test_core_mp4check.py)
GOOD: list[tuple[str, bytes]] = [
    ("veo-asset", MP4),
    ("every-asset", b"".join([])),  # placeholder replaced below
    ("moov-at-end", (FIXTURES / "moov_at_end.mp4").read_bytes()),
    ("fragmented", (FIXTURES / "frag_base_moof.mp4").read_bytes()),
    # the 8-byte free box and the mdat header become one 16-byte largesize header
    ("largesize-mdat", MP4[: MDAT - 8] + large_box(b"mdat", MP4[MDAT + 8 :])),
    ("size-zero-last-box", MP4[:MDAT] + struct.pack(">I4s", 0, b"mdat") + MP4[MDAT + 8 :]),
    ("size-zero-free-after", MP4 + struct.pack(">I4s", 0, b"free")),
    ("free-padding", MP4[:32] + box(b"free") + MP4[32:] + box(b"skip", b"\x00" * 9)),
]
GOOD = [row for row in GOOD if row[0] != "every-asset"] + [
    (f"asset-{path.stem}", path.read_bytes()) for path in sorted(ASSETS.glob("*.mp4"))
]


@pytest.mark.parametrize("data", [pytest.param(row[1], id=row[0]) for row in GOOD])
@pytest.mark.parametrize("step", [1, 3, 7, 8, 16, 1000, 1 << 20])
def test_complete_mp4s_are_accepted_whatever_the_chunking(data: bytes, step: int) -> None:
    assert feed(data, step) == len(data)


# id, bytes, problem kind, words in the detail
BAD: list[tuple[str, bytes, str, str]] = [
    ("empty", b"", "not_video", "an empty body"),
    ("html", b"<!DOCTYPE html><html><body>Error 502</body></html>", "not_video", "an HTML page"),
    ("html-lower", b"  <html><head>", "not_video", "an HTML page"),
    ("json", b'{"error": {"code": 403, "message": "denied"}}', "not_video", "a JSON document"),
    ("gzip", gzip.compress(b"\x00" * 1000), "not_video", "gzip data"),
    (
        "xml",
        b"<?xml version='1.0'?><Error><Code>AccessDenied</Code></Error>",
        "not_video",
        "an XML document",
    ),
    ("zip", b"PK\x03\x04" + b"\x00" * 40, "not_video", "a ZIP archive"),
    ("text", b"Service Unavailable, please try again", "not_video", "text"),
    ("binary", bytes(range(200, 256)) * 2, "not_video", "data that is not an MP4 video"),
    ("seven-bytes", b"\x00\x00\x00", "not_video", "3 bytes"),
    ("cut-in-box", MP4[:5000], "truncated", "stops at byte 5,000"),
    ("cut-in-header", MP4[:1165], "truncated", "inside a box header"),
    ("cut-after-ftyp", MP4[:32], "truncated", "no 'moov'"),
    (
        "cut-in-largesize-header",
        MP4 + large_box(b"free", b"q")[:12],
        "truncated",
        "inside a box header",
    ),
    ("trailing-bytes", MP4 + b"\x00\x00", "truncated", "inside a box header"),
    ("trailing-box-overrun", MP4 + box(b"free", b"x" * 10)[:12], "truncated", "ends at byte"),
    ("no-moov", FTYP + box(b"mdat", b"x" * 10), "truncated", "no 'moov'"),
    ("no-ftyp", MP4[32:], "malformed", "no 'ftyp'"),
    ("empty-moov", FTYP + box(b"moov"), "malformed", "no 'mvhd'"),
    ("nul-padding", MP4 + bytes(8) + b"<html>", "malformed", "not a four-character code"),
    (
        "open-mdat-cut",
        (MP4[:MDAT] + struct.pack(">I4s", 0, b"mdat") + MP4[MDAT + 8 :])[:-4000],
        "truncated",
        "its media data is cut off",
    ),
    ("tiny-box", FTYP + struct.pack(">I4s", 4, b"moov"), "malformed", "has size 4"),
    ("tiny-largesize", FTYP + struct.pack(">I4sQ", 1, b"mdat", 8), "malformed", "has size 8"),
]


@pytest.mark.parametrize(
    ("data", "kind", "words"), [pytest.param(*row[1:], id=row[0]) for row in BAD]
)
@pytest.mark.parametrize("step", [1, 5, 64, 1 << 20])
def test_anything_else_is_refused_and_named(data: bytes, kind: str, words: str, step: int) -> None:
    with pytest.raises(VideoProblem) as caught:
        feed(data, step)
    assert caught.value.kind == kind
    assert words in caught.value.detail


def test_not_a_video_is_refused_from_the_first_bytes() -> None:
    walker = Mp4Walker("text/html", 512)
    with pytest.raises(VideoProblem) as caught:
        walker.feed(b"<!DOCTYPE html><html><body>" + b"x" * 100)
    assert caught.value.detail == "an HTML page (text/html, 512 bytes)"


@pytest.mark.parametrize(
    ("head", "content_type", "size", "expected"),
    [
        (b"<html>", "text/html; charset=utf-8", 512, "an HTML page (text/html, 512 bytes)"),
        (b"{}", "application/json", 2, "a JSON document (application/json, 2 bytes)"),
        (b"\x1f\x8b\x08", "application/gzip", 20, "gzip data (application/gzip, 20 bytes)"),
        (b"", None, 0, "an empty body (no Content-Type, 0 bytes)"),
        (b"oops", "text/plain", None, "text (text/plain, at least 4 bytes)"),
        (b"\xff\xfe\x00", "video/mp4", 3, "data that is not an MP4 video (video/mp4, 3 bytes)"),
        (b"x", None, 1, "text (no Content-Type, 1 byte)"),
    ],
)
def test_descriptions(
    head: bytes, content_type: str | None, size: int | None, expected: str
) -> None:
    assert describe_content(head, content_type, size) == expected


def test_inline_bytes_are_checked_the_same_way() -> None:
    check_mp4_bytes(MP4, "video/mp4")
    with pytest.raises(VideoProblem, match="an HTML page"):
        check_mp4_bytes(b"<html>not a video</html>", "video/mp4")


def test_too_many_boxes_is_malformed() -> None:
    walker = Mp4Walker()
    walker.feed(FTYP)
    with pytest.raises(VideoProblem, match="top-level boxes"):
        walker.feed(box(b"free") * 100_001)


@settings(max_examples=200, deadline=None)
@given(st.integers(0, len(MP4) - 1), st.lists(st.integers(1, 4096), min_size=1, max_size=50))
def test_any_prefix_is_refused_and_any_chunking_accepts_the_whole(
    cut: int, sizes: list[int]
) -> None:
    with pytest.raises(VideoProblem):
        check_mp4_bytes(MP4[:cut])
    walker = Mp4Walker()
    position, index = 0, 0
    while position < len(MP4):
        size = sizes[index % len(sizes)]
        walker.feed(MP4[position : position + size])
        position += size
        index += 1
    assert walker.finish() == len(MP4)
