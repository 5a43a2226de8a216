"""Is this an MP4 video, and is it whole? Decided from the bytes as they stream past.

A finished video is accepted only if it is a structurally complete ISO-BMFF file:

* Its top-level boxes have printable four-character types and sizes that add up exactly to
  the file's size (64-bit ``largesize`` boxes included). Only a last ``mdat``, ``free`` or
  ``skip`` box may have size 0, "to the end of the file": eight NUL bytes of padding are not
  a box that may swallow whatever follows.
* It has an ``ftyp`` box and exactly one ``moov`` box, whose boxes nest exactly, with an
  ``mvhd`` (movie header) and at least one ``trak`` whose ``mdia/minf/stbl`` sample table
  has the mandatory ``stsd``, ``stts``, ``stsc``, ``stsz``/``stz2`` and ``stco``/``co64``.
* Every chunk of every sample table, from its offset (``stco``/``co64``) and the sizes of
  the samples in it (``stsc`` with ``stsz``/``stz2``), lies inside the file. This is what
  finds an MP4 cut short whose last box said "to the end of the file".
* Fragmented files (``mvex`` in ``moov``, then ``moof``/``mdat`` pairs) are accepted when
  each ``moof`` nests exactly and each track run (``trun``) lies inside the file, its data
  placed by the ``tfhd``/``trun`` offsets and sized by ``trun``, ``tfhd`` or ``trex``.
* The tracks hold at least one sample.

Anything else that arrives where a video was expected (an HTML error page, a JSON document,
gzip data, nothing at all) is named from its first bytes and its Content-Type, before more
than a chunk of it is written anywhere.

Only the ``moov`` and ``moof`` boxes are kept and read (each up to :data:`MAX_INDEX_BYTES`);
the media data is never read, so checking a 1 GiB video costs little more than a 1 KiB one.
The work is bounded for any input: :data:`MAX_TOP_LEVEL_BOXES`, :data:`MAX_INNER_BOXES` and
:data:`MAX_CHUNKS` cap the boxes and table entries walked one by one; the remaining work
(summing sample sizes) runs over arrays in C, linear in the size of the tables.
"""

from __future__ import annotations

import struct
import sys
from array import array
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

__all__ = ["Mp4Walker", "VideoProblem", "check_mp4_bytes", "describe_content"]

ProblemKind = Literal["not_video", "truncated", "malformed"]

# Box types that may open an ISO-BMFF / QuickTime file.
_FIRST_BOXES = frozenset(
    {b"ftyp", b"styp", b"free", b"skip", b"wide", b"pdin", b"moov", b"mdat", b"uuid", b"sidx"}
)
# Box types that may run "to the end of the file" (size 0): media data or padding. A size-0
# box of any other type is far more likely garbage (eight NUL bytes read as a header).
_OPEN_ENDED_BOXES = frozenset({b"mdat", b"free", b"skip"})
# Top-level boxes whose payload is kept and read: the movie index and fragment indexes.
_INDEX_BOXES = frozenset({b"moov", b"moof"})
_SNIFF_BYTES = 16
#: Top-level boxes a video may have; a stream of tiny boxes is not a video.
MAX_TOP_LEVEL_BOXES = 100_000
#: Largest ``moov`` or ``moof`` box read (a two-hour film's ``moov`` is a few MiB).
MAX_INDEX_BYTES = 64 << 20
#: Boxes walked inside all ``moov`` and ``moof`` boxes of one file together.
MAX_INNER_BOXES = 200_000
#: Chunks (``stco``/``co64`` entries) and ``stsc`` entries checked one by one, all tracks.
MAX_CHUNKS = 1_000_000

_LITTLE = sys.byteorder == "little"
# Printable ASCII, and the '©' (0xA9) that QuickTime metadata box types start with.
_PRINTABLE_TYPE = frozenset(range(0x20, 0x7F)) | {0xA9}
_HIGH_NIBBLE = bytes(byte >> 4 for byte in range(256))
_LOW_NIBBLE = bytes(byte & 0x0F for byte in range(256))


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


@dataclass
class _Capture:
    """A top-level index box being received: its payload is kept until it is whole."""

    kind: bytes
    start: int  # file offset of the box
    payload_start: int  # file offset of its payload
    end: int  # file offset just past it
    data: bytearray


class Mp4Walker:
    """Follows the boxes of a stream fed chunk by chunk.

    Call :meth:`feed` with each chunk (it raises :class:`VideoProblem` as soon as the stream
    is clearly not an MP4, or an index box is broken) and :meth:`finish` at the end.

    Args:
        content_type: The Content-Type the bytes came with, for messages.
        length: The size the server announced, for messages.
    """

    def __init__(self, content_type: str | None = None, length: int | None = None) -> None:
        self._content_type = content_type
        self._length = length
        self._pending = bytearray()  # bytes received before the stream was sniffed
        self._sniffed = False
        self._total = 0
        self._next = 0  # absolute offset of the next box header
        self._header = bytearray()  # the part of that header received so far
        self._open_ended = False  # a size-0 box runs to the end of the file
        self._boxes = 0
        self._capture: _Capture | None = None
        self._index = _Index()
        self.seen: set[bytes] = set()

    @property
    def total(self) -> int:
        """Bytes fed so far."""
        return self._total + len(self._pending)

    def feed(self, chunk: bytes) -> None:
        """Takes the next chunk of the stream."""
        if not chunk:
            return
        if not self._sniffed:
            # Nothing is walked before the first bytes are known to be an MP4, so that what
            # else arrived is named ("an HTML page") rather than read as broken boxes.
            self._pending += chunk
            if len(self._pending) < _SNIFF_BYTES:
                return
            self._sniff(self._length)
            chunk, self._pending = bytes(self._pending), bytearray()
        self._walk(chunk)

    def _walk(self, chunk: bytes) -> None:
        start = self._total
        self._total += len(chunk)
        position = start  # absolute offset of the next byte of `chunk` to look at
        while position < self._total:
            capture = self._capture
            if capture is not None:
                stop = min(self._total, capture.end)
                capture.data += chunk[position - start : stop - start]
                position = stop
                if position == capture.end:
                    self._close_capture()
                continue
            if self._open_ended:
                return
            if position < self._next:  # inside a box's payload: skipped, never read
                position = min(self._next, self._total)
                continue
            need = self._header_size() - len(self._header)
            piece = chunk[position - start : position - start + need]
            self._header += piece
            position += len(piece)
            if len(self._header) == self._header_size():
                self._close_header()

    def finish(self) -> int:
        """Checks the stream is a complete MP4; returns its size.

        Raises:
            VideoProblem: It is something else, or it stops short.
        """
        if not self._sniffed:
            self._sniff(len(self._pending))
            pending, self._pending = bytes(self._pending), bytearray()
            self._walk(pending)
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
        self._index.check_data_end(self._total)
        if self._index.samples == 0:
            raise VideoProblem(
                "malformed", "the MP4's tracks hold no samples: there is no video in it"
            )
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
        where = f"at byte {self._next:,}"
        _check_type(kind, where)
        if size == 0 and kind not in _OPEN_ENDED_BOXES:
            raise VideoProblem(
                "malformed",
                f"box {_name(kind)} {where} has size 0 ('to the end of the file'), which only "
                "a last 'mdat', 'free' or 'skip' box may have",
            )
        if size != 0 and size < length:
            raise VideoProblem("malformed", f"box {_name(kind)} {where} has size {size}")
        if kind == b"moov" and kind in self.seen:
            raise VideoProblem("malformed", f"a second 'moov' box {where}")
        self.seen.add(kind)
        box_start = self._next
        if size == 0:
            self._open_ended = True
        else:
            self._next += size
        self._header.clear()
        if kind in _INDEX_BOXES:
            if size - length > MAX_INDEX_BYTES:
                raise _too_large(kind, box_start)
            payload_start = box_start + length
            self._capture = _Capture(kind, box_start, payload_start, self._next, bytearray())
            if self._next == payload_start:  # an empty payload: nothing more will arrive for it
                self._close_capture()

    def _close_capture(self) -> None:
        capture = self._capture
        assert capture is not None
        self._capture = None
        data = bytes(capture.data)
        if capture.kind == b"moov":
            self._index.read_moov(data, capture.payload_start)
        else:
            self._index.read_moof(data, capture.payload_start, capture.start)

    def _sniff(self, size: int | None) -> None:
        """Checks the stream starts like an MP4; ``size`` is its size, if known."""
        self._sniffed = True
        head = bytes(self._pending[:_SNIFF_BYTES])
        if len(head) >= 8:
            box_size, kind = struct.unpack_from(">I4s", head)
            if kind in _FIRST_BOXES and (box_size in (0, 1) or box_size >= 8):
                return
        raise VideoProblem("not_video", describe_content(head, self._content_type, size))


def _name(kind: bytes) -> str:
    return repr(kind.decode("latin-1"))


def _check_type(kind: bytes, where: str) -> None:
    if not all(byte in _PRINTABLE_TYPE for byte in kind):
        raise VideoProblem(
            "malformed",
            f"the box {where} has type {_name(kind)}, not a four-character code: this is not "
            "MP4 structure (garbage or padding where a box should be)",
        )


def _too_large(kind: bytes, start: int) -> VideoProblem:
    return VideoProblem(
        "malformed",
        f"the {_name(kind)} box at byte {start:,} is larger than the "
        f"{MAX_INDEX_BYTES >> 20} MiB this check reads",
    )


def _malformed(detail: str) -> VideoProblem:
    return VideoProblem("malformed", detail)


def _uint_array(data: bytes, start: int, count: int, width: int) -> array[int]:
    """``count`` big-endian unsigned integers of ``width`` bytes (2, 4 or 8) from ``start``."""
    values = array({2: "H", 4: "I", 8: "Q"}[width])
    if values.itemsize != width:  # 'I' is 4 bytes on every platform Python supports
        raise AssertionError(f"array item size {values.itemsize} is not {width}")
    values.frombytes(data[start : start + count * width])
    if _LITTLE:
        values.byteswap()
    return values


class _Index:
    """What the ``moov`` and ``moof`` boxes say about where the media data lies."""

    def __init__(self) -> None:
        self.samples = 0
        self.data_end = 0  # file offset just past the last byte of media data referenced
        self.data_end_where = ""
        self._inner_boxes = 0
        self._chunks = 0
        self._trex_sizes: dict[int, int] = {}  # track_ID -> default sample size from 'trex'

    def check_data_end(self, total: int) -> None:
        """Raises if any media data referenced lies past ``total``, the file's size."""
        if self.data_end > total:
            raise VideoProblem(
                "truncated",
                f"the MP4 stops at byte {total:,}, but {self.data_end_where} reaches byte "
                f"{self.data_end:,}: its media data is cut off",
            )

    # -- walking -------------------------------------------------------------------------------

    def _children(
        self, data: bytes, start: int, end: int, base: int, where: str
    ) -> Iterator[tuple[bytes, int, int]]:
        """Yields ``(type, payload_start, payload_end)`` of the boxes in ``data[start:end]``.

        ``base`` is the file offset of ``data[0]``, for messages; ``where`` names the parent.
        """
        position = start
        while position < end:
            left = end - position
            if left < 8:
                # QuickTime lets a list of boxes end with a 32-bit zero; anything else is junk.
                if any(data[position:end]):
                    raise _malformed(
                        f"{where} ends with {left} stray bytes at byte {base + position:,}"
                    )
                return
            size, kind = struct.unpack_from(">I4s", data, position)
            header = 8
            if size == 1:
                if left < 16:
                    raise _malformed(
                        f"{where} ends inside a box header at byte {base + position:,}"
                    )
                (size,) = struct.unpack_from(">Q", data, position + 8)
                header = 16
            elif size == 0:
                size = left
            self._inner_boxes += 1
            if self._inner_boxes > MAX_INNER_BOXES:
                raise _malformed(f"more than {MAX_INNER_BOXES:,} boxes inside 'moov' and 'moof'")
            at = f"at byte {base + position:,} in {where}"
            _check_type(kind, at)
            if size < header or size > left:
                raise _malformed(
                    f"box {_name(kind)} {at} has size {size:,}, but its parent has "
                    f"{left:,} bytes left"
                )
            yield kind, position + header, position + size
            position += size

    def _find(
        self, data: bytes, start: int, end: int, base: int, where: str
    ) -> dict[bytes, tuple[int, int]]:
        """The first box of each type among the children of one box."""
        found: dict[bytes, tuple[int, int]] = {}
        for kind, payload_start, payload_end in self._children(data, start, end, base, where):
            found.setdefault(kind, (payload_start, payload_end))
        return found

    # -- moov ----------------------------------------------------------------------------------

    def read_moov(self, data: bytes, base: int) -> None:
        """Reads a whole ``moov`` payload that starts at file offset ``base``."""
        has_mvhd = False
        tracks = 0
        complete = 0
        first_gap = ""
        for kind, start, end in self._children(data, 0, len(data), base, "'moov'"):
            if kind == b"mvhd":
                has_mvhd = True
            elif kind == b"mvex":
                self._read_mvex(data, start, end, base)
            elif kind == b"trak":
                tracks += 1
                gap = self._read_trak(data, start, end, base, tracks)
                if gap:
                    first_gap = first_gap or gap
                else:
                    complete += 1
        if not has_mvhd:
            raise _malformed("the 'moov' box has no 'mvhd' (movie header)")
        if not tracks:
            raise _malformed("the 'moov' box has no 'trak': the MP4 has no tracks")
        if not complete:
            raise _malformed(f"no track has a complete sample table: {first_gap}")

    def _read_mvex(self, data: bytes, start: int, end: int, base: int) -> None:
        for kind, p0, p1 in self._children(data, start, end, base, "'moov/mvex'"):
            if kind == b"trex":
                if p1 - p0 < 24:
                    raise _malformed(f"the 'trex' box at byte {base + p0 - 8:,} is too short")
                track_id, _, _, size = struct.unpack_from(">IIII", data, p0 + 4)
                self._trex_sizes[track_id] = size

    def _read_trak(self, data: bytes, start: int, end: int, base: int, number: int) -> str:
        """Checks one track's sample table; returns what is missing from it, or ``""``."""
        where = f"track {number}"
        path = "trak"
        boxes = self._find(data, start, end, base, f"'moov/{path}' ({where})")
        for step in (b"mdia", b"minf", b"stbl"):
            if step not in boxes:
                return f"{where} has no '{path}/{step.decode()}'"
            path += "/" + step.decode()
            boxes = self._find(data, *boxes[step], base, f"'moov/{path}' ({where})")
        for needed in ((b"stsd",), (b"stts",), (b"stsc",), (b"stsz", b"stz2"), (b"stco", b"co64")):
            if not any(kind in boxes for kind in needed):
                names = " or ".join(f"'{kind.decode()}'" for kind in needed)
                return f"{where} has no {names} in its sample table"
        sizes = self._sample_sizes(data, boxes, where)
        offsets = self._chunk_offsets(data, boxes, where)
        runs = self._chunk_runs(data, boxes[b"stsc"], where)
        self._check_chunks(offsets, runs, sizes, where)
        return ""

    def _table(
        self, data: bytes, span: tuple[int, int], kind: str, where: str, skip: int, width: int
    ) -> tuple[int, int]:
        """Reads a full box's entry count, after ``skip`` more bytes of fields.

        Returns:
            The index of the first entry in ``data`` and the number of entries, each
            ``width`` bytes, checked to fit in the box.
        """
        start, end = span
        room = end - start - 8 - skip
        if room < 0:
            raise _malformed(f"the '{kind}' box of {where} is too short")
        (count,) = struct.unpack_from(">I", data, start + 4 + skip)
        if count * width > room:
            raise _malformed(
                f"the '{kind}' box of {where} lists {count:,} entries but has room for "
                f"{room // width:,}"
            )
        return start + 8 + skip, count

    def _sample_sizes(
        self, data: bytes, boxes: dict[bytes, tuple[int, int]], where: str
    ) -> _Uniform | array[int]:
        """The sample sizes of a track: one size for all samples, or one per sample."""
        if b"stsz" in boxes:
            span = boxes[b"stsz"]
            if span[1] - span[0] < 12:
                raise _malformed(f"the 'stsz' box of {where} is too short")
            uniform, count = struct.unpack_from(">II", data, span[0] + 4)
            if uniform:
                self.samples += count
                return _Uniform(uniform, count)
            first, count = self._table(data, span, "stsz", where, 4, 4)
            self.samples += count
            return _uint_array(data, first, count, 4)
        span = boxes[b"stz2"]
        if span[1] - span[0] < 12:
            raise _malformed(f"the 'stz2' box of {where} is too short")
        field = data[span[0] + 7]
        if field not in (4, 8, 16):
            raise _malformed(f"the 'stz2' box of {where} has field size {field}, not 4, 8 or 16")
        first, count = self._table(data, span, "stz2", where, 4, 0)
        length = (count * field + 7) // 8
        if length > span[1] - first:
            raise _malformed(f"the 'stz2' box of {where} lists {count:,} sizes but is shorter")
        self.samples += count
        if field == 16:
            return _uint_array(data, first, count, 2)
        packed = data[first : first + length]
        if field == 8:
            return array("B", packed)
        # Two sizes a byte, high nibble first; split with translate() to stay in C.
        sizes = array("B", bytes(count))
        sizes[0::2] = array("B", packed.translate(_HIGH_NIBBLE)[: (count + 1) // 2])
        sizes[1::2] = array("B", packed.translate(_LOW_NIBBLE)[: count // 2])
        return sizes

    def _chunk_offsets(
        self, data: bytes, boxes: dict[bytes, tuple[int, int]], where: str
    ) -> array[int]:
        kind, width = (b"stco", 4) if b"stco" in boxes else (b"co64", 8)
        first, count = self._table(data, boxes[kind], kind.decode(), where, 0, width)
        self._count_chunks(count)
        return _uint_array(data, first, count, width)

    def _count_chunks(self, count: int) -> None:
        self._chunks += count
        if self._chunks > MAX_CHUNKS:
            raise _malformed(f"more than {MAX_CHUNKS:,} chunks in the sample tables")

    def _chunk_runs(self, data: bytes, span: tuple[int, int], where: str) -> list[tuple[int, int]]:
        """``stsc`` as (first chunk, samples per chunk) pairs, from chunk 1, rising."""
        first, count = self._table(data, span, "stsc", where, 0, 12)
        self._count_chunks(count)
        entries = _uint_array(data, first, count * 3, 4)
        runs = list(zip(entries[0::3], entries[1::3], strict=True))
        previous = 0
        for chunk, _ in runs:
            if chunk <= previous:
                raise _malformed(
                    f"the 'stsc' table of {where} is out of order: chunk {chunk:,} after "
                    f"chunk {previous:,} (it must start at chunk 1 and rise)"
                )
            previous = chunk
        if runs and runs[0][0] != 1:
            raise _malformed(f"the 'stsc' table of {where} starts at chunk {runs[0][0]:,}, not 1")
        return runs

    def _check_chunks(
        self,
        offsets: array[int],
        runs: list[tuple[int, int]],
        sizes: _Uniform | array[int],
        where: str,
    ) -> None:
        """Finds where the track's data ends; checks the tables agree on the sample count."""
        chunks = len(offsets)
        if isinstance(sizes, _Uniform):
            count, uniform, table = sizes.count, sizes.size, None
        else:
            count, uniform, table = len(sizes), 0, sizes
        if chunks and not runs:
            raise _malformed(f"{where} has {chunks:,} chunks but an empty 'stsc' table")
        sample = 0
        for index, (first, per_chunk) in enumerate(runs):
            if first > chunks:
                break  # entries past the last chunk describe nothing
            last = runs[index + 1][0] - 1 if index + 1 < len(runs) else chunks
            for chunk in range(first - 1, min(last, chunks)):
                if sample + per_chunk > count:
                    raise _malformed(
                        f"the 'stsc' table of {where} puts more samples in its chunks than "
                        f"the {count:,} that its sample size table lists"
                    )
                if table is None:
                    length = per_chunk * uniform
                else:
                    length = sum(table[sample : sample + per_chunk])
                sample += per_chunk
                end = offsets[chunk] + length
                if end > self.data_end:
                    self.data_end = end
                    self.data_end_where = f"chunk {chunk + 1:,} of {where}"
        if sample != count:
            raise _malformed(
                f"the chunks of {where} hold {sample:,} samples, but its sample size table "
                f"lists {count:,}"
            )

    # -- moof ----------------------------------------------------------------------------------

    def read_moof(self, data: bytes, base: int, moof_start: int) -> None:
        """Reads a whole ``moof`` payload that starts at file offset ``base``.

        Places each track run's data as ISO/IEC 14496-12 (8.8.7, 8.8.8) says: from the
        ``tfhd`` base data offset, else the ``moof`` box itself (for the first ``traf``, or
        with default-base-is-moof), else where the previous ``traf``'s data ended; then at
        the ``trun`` data offset from there, else where the previous run's data ended.
        """
        where = f"the 'moof' at byte {moof_start:,}"
        previous_end: int | None = moof_start  # where a traf without its own base starts
        for kind, start, end in self._children(data, 0, len(data), base, where):
            if kind != b"traf":
                continue
            tfhd: tuple[int, int] | None = None
            truns: list[tuple[int, int]] = []
            for inner, p0, p1 in self._children(data, start, end, base, f"a 'traf' of {where}"):
                if inner == b"tfhd" and tfhd is None:
                    tfhd = (p0, p1)
                elif inner == b"trun":
                    truns.append((p0, p1))
            if tfhd is None:
                raise _malformed(f"a 'traf' of {where} has no 'tfhd' (track fragment header)")
            data_base, base_is_moof, default_size = self._read_tfhd(data, tfhd, where)
            if data_base is None:
                data_base = moof_start if base_is_moof else previous_end
            position = data_base
            for trun in truns:
                position = self._read_trun(data, trun, where, default_size, data_base, position)
            previous_end = position

    def _read_tfhd(
        self, data: bytes, span: tuple[int, int], where: str
    ) -> tuple[int | None, bool, int | None]:
        """Returns (base data offset if given, default-base-is-moof, default sample size)."""
        start, end = span
        if end - start < 8:
            raise _malformed(f"the 'tfhd' of a 'traf' of {where} is too short")
        flags = int.from_bytes(data[start + 1 : start + 4], "big")
        fields = ((0x01, 8), (0x02, 4), (0x08, 4), (0x10, 4), (0x20, 4))
        if end - start < 8 + sum(width for flag, width in fields if flags & flag):
            raise _malformed(f"the 'tfhd' of a 'traf' of {where} is too short")
        (track,) = struct.unpack_from(">I", data, start + 4)
        position = start + 8
        data_base: int | None = None
        if flags & 0x01:
            (data_base,) = struct.unpack_from(">Q", data, position)
            position += 8
        position += 4 * bool(flags & 0x02) + 4 * bool(flags & 0x08)
        default_size = self._trex_sizes.get(track)
        if flags & 0x10:
            (default_size,) = struct.unpack_from(">I", data, position)
        return data_base, bool(flags & 0x020000), default_size

    def _read_trun(
        self,
        data: bytes,
        span: tuple[int, int],
        where: str,
        default_size: int | None,
        data_base: int | None,
        position: int | None,
    ) -> int | None:
        """Checks one track run; returns where its data ends, or None if that is unknown."""
        start, end = span
        if end - start < 8:
            raise _malformed(f"a 'trun' of {where} is too short")
        flags = int.from_bytes(data[start + 1 : start + 4], "big")
        (count,) = struct.unpack_from(">I", data, start + 4)
        cursor = start + 8
        run_start = position
        if flags & 0x01:
            if end - cursor < 4:
                raise _malformed(f"a 'trun' of {where} is too short")
            (offset,) = struct.unpack_from(">i", data, cursor)
            cursor += 4
            run_start = None if data_base is None else data_base + offset
        cursor += 4 * bool(flags & 0x04)  # first-sample-flags
        fields = bin(flags & 0xF00).count("1")
        if cursor + count * 4 * fields > end:
            raise _malformed(f"a 'trun' of {where} lists {count:,} samples but is shorter")
        self.samples += count
        length: int | None = None
        if flags & 0x200:
            values = _uint_array(data, cursor, count * fields, 4)
            length = sum(values[int(bool(flags & 0x100)) :: fields])
        elif default_size is not None:
            length = count * default_size
        if run_start is None:
            return None
        if run_start < 0:
            raise _malformed(f"a 'trun' of {where} places its data before the start of the file")
        # Without sample sizes (no 'trex' for the track) only the run's start can be checked.
        run_end = run_start + (length or 0)
        if run_end > self.data_end:
            self.data_end = run_end
            self.data_end_where = f"a track run of {where}"
        return None if length is None else run_end


class _Uniform:
    """``stsz`` with one size for every sample."""

    def __init__(self, size: int, count: int) -> None:
        self.size = size
        self.count = count


def check_mp4_bytes(data: bytes, content_type: str | None = None) -> None:
    """Checks bytes already in memory (an inline video) the same way.

    Raises:
        VideoProblem: They are not a complete MP4.
    """
    walker = Mp4Walker(content_type, len(data))
    walker.feed(data)
    walker.finish()
