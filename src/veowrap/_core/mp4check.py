"""Is this an MP4 video, and is it whole? Decided from the bytes as they stream past.

A finished video is accepted only if it is a structurally complete ISO-BMFF file: top-level
boxes whose sizes add up exactly to the file's size (64-bit ``largesize`` boxes and a last
box of size 0, "to the end of the file", included), with an ``ftyp`` and a ``moov`` box.
Anything else that arrives where a video was expected (an HTML error page, a JSON document,
gzip data, nothing at all) is named from its first bytes and its Content-Type, before more
than a chunk of it is written anywhere.

Only box headers are read, never their payloads: checking costs the same for 1 KiB or 1 GiB.
"""

from __future__ import annotations

import struct
from typing import Literal

__all__ = ["Mp4Walker", "VideoProblem", "check_mp4_bytes", "describe_content"]

ProblemKind = Literal["not_video", "truncated", "malformed"]

# Box types that may open an ISO-BMFF / QuickTime file.
_FIRST_BOXES = frozenset(
    {b"ftyp", b"styp", b"free", b"skip", b"wide", b"pdin", b"moov", b"mdat", b"uuid", b"sidx"}
)
_SNIFF_BYTES = 16
#: Top-level boxes a video may have; a stream of tiny boxes is not a video.
MAX_TOP_LEVEL_BOXES = 100_000


class VideoProblem(Exception):
    """Why bytes are not an acceptable video.

    Attributes:
        kind: ``not_video`` (something else arrived), ``truncated`` (an MP4 that stops
            early: worth fetching again) or ``malformed`` (box sizes that cannot be right).
        detail: What was found, in words.
    """

    def __init__(self, kind: ProblemKind, detail: str) -> None:
        self.kind: ProblemKind = kind
        self.detail = detail
        super().__init__(detail)


def describe_content(head: bytes, content_type: str | None, size: int | None) -> str:
    """Names what arrived instead of a video, e.g. ``an HTML page (text/html, 512 bytes)``.

    Args:
        head: The first bytes of the body.
        content_type: The Content-Type header, if any.
        size: The body's size if known (else the bytes seen so far, given as ``head``).
    """
    kind = (content_type or "").split(";", 1)[0].strip().lower()
    text = head.lstrip().lower()
    if not head:
        what = "an empty body"
    elif kind == "text/html" or text.startswith((b"<!doctype html", b"<html", b"<head", b"<body")):
        what = "an HTML page"
    elif kind.endswith(("/xml", "+xml")) or text.startswith(b"<?xml"):
        what = "an XML document"
    elif kind.endswith(("/json", "+json")) or text.startswith((b"{", b"[")):
        what = "a JSON document"
    elif head.startswith(b"\x1f\x8b") or kind in ("application/gzip", "application/x-gzip"):
        what = "gzip data"
    elif head.startswith(b"PK\x03\x04"):
        what = "a ZIP archive"
    elif kind.startswith("text/") or _printable(head):
        what = "text"
    else:
        what = "data that is not an MP4 video"
    shown_type = kind or "no Content-Type"
    count = len(head) if size is None else size
    bytes_text = f"{count:,} byte" + ("" if count == 1 else "s")
    if size is None and head:
        bytes_text = "at least " + bytes_text
    return f"{what} ({shown_type}, {bytes_text})"


def _printable(data: bytes) -> bool:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return all(char.isprintable() or char in "\r\n\t" for char in text)


class Mp4Walker:
    """Follows the top-level boxes of a stream fed chunk by chunk.

    Call :meth:`feed` with each chunk (it raises :class:`VideoProblem` as soon as the start
    of the stream is clearly not an MP4) and :meth:`finish` at the end.

    Args:
        content_type: The Content-Type the bytes came with, for messages.
        length: The size the server announced, for messages.
    """

    def __init__(self, content_type: str | None = None, length: int | None = None) -> None:
        self._content_type = content_type
        self._length = length
        self._head = bytearray()
        self._sniffed = False
        self._total = 0
        self._next = 0  # absolute offset of the next box header
        self._header = bytearray()  # the part of that header received so far
        self._open_ended = False  # a size-0 box runs to the end of the file
        self._boxes = 0
        self.seen: set[bytes] = set()

    @property
    def total(self) -> int:
        """Bytes fed so far."""
        return self._total

    def feed(self, chunk: bytes) -> None:
        """Takes the next chunk of the stream."""
        if not chunk:
            return
        start = self._total
        self._total += len(chunk)
        if not self._sniffed:
            self._head += chunk[: _SNIFF_BYTES - len(self._head)]
            if len(self._head) >= _SNIFF_BYTES:
                self._sniff()
        while not self._open_ended:
            wanted = self._next + len(self._header)  # absolute offset of the next header byte
            if wanted >= self._total:
                return
            need = self._header_size() - len(self._header)
            index = wanted - start
            self._header += chunk[index : index + need]
            if len(self._header) == self._header_size():
                self._close_header()

    def finish(self) -> int:
        """Checks the stream is a complete MP4; returns its size.

        Raises:
            VideoProblem: It is something else, or it stops short.
        """
        if not self._sniffed:
            self._sniff(at_end=True)
        if self._header:
            raise VideoProblem(
                "truncated", f"the MP4 stops inside a box header at byte {self._total:,}"
            )
        if not self._open_ended and self._next != self._total:
            raise VideoProblem(
                "truncated",
                f"the MP4 stops at byte {self._total:,}, inside a box that ends at byte "
                f"{self._next:,}",
            )
        if b"ftyp" not in self.seen:
            raise VideoProblem("malformed", "the file has no 'ftyp' box")
        if b"moov" not in self.seen:
            raise VideoProblem("truncated", "the MP4 has no 'moov' box (the movie header)")
        return self._total

    # -- helpers -----------------------------------------------------------------------------

    def _header_size(self) -> int:
        if len(self._header) >= 4 and struct.unpack_from(">I", self._header)[0] == 1:
            return 16
        return 8

    def _close_header(self) -> None:
        size, kind = struct.unpack_from(">I4s", self._header)
        length = 8
        if size == 1:
            (size,) = struct.unpack_from(">Q", self._header, 8)
            length = 16
        self._boxes += 1
        if self._boxes > MAX_TOP_LEVEL_BOXES:
            raise VideoProblem("malformed", f"more than {MAX_TOP_LEVEL_BOXES:,} top-level boxes")
        self.seen.add(kind)
        if size == 0:
            self._open_ended = True
        elif size < length:
            raise VideoProblem(
                "malformed", f"box {_name(kind)} at byte {self._next:,} has size {size}"
            )
        else:
            self._next += size
        self._header.clear()

    def _sniff(self, *, at_end: bool = False) -> None:
        self._sniffed = True
        head = bytes(self._head)
        if len(head) >= 8:
            size, kind = struct.unpack_from(">I4s", head)
            if kind in _FIRST_BOXES and (size in (0, 1) or size >= 8):
                return
        size_known = self._total if at_end else self._length
        raise VideoProblem("not_video", describe_content(head, self._content_type, size_known))


def _name(kind: bytes) -> str:
    return repr(kind.decode("latin-1"))


def check_mp4_bytes(data: bytes, content_type: str | None = None) -> None:
    """Checks bytes already in memory (an inline video) the same way.

    Raises:
        VideoProblem: They are not a complete MP4.
    """
    walker = Mp4Walker(content_type, len(data))
    walker.feed(data)
    walker.finish()
