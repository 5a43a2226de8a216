"""`_core/mp4check` rules beyond the top-level walk, each with files it accepts and refuses.

The rules: a size-0 ("to the end of the file") box only as a last ``mdat``/``free``/``skip``;
box types are printable four-character codes; ``moov`` holds ``mvhd`` and a track with a
whole sample table; every chunk (``stco``/``co64`` offset plus its samples' sizes from
``stsc`` and ``stsz``/``stz2``) and every fragment's track run lies inside the file; the
tracks hold samples; the work is bounded. The files are built here box by box, and real
ffmpeg-made files (``mp4/``, see ``mp4/make.sh``) cover layouts Veo does not send today.
"""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

import veowrap.testing
from veowrap._core import mp4check
from veowrap._core.mp4check import Mp4Walker, VideoProblem, check_mp4_bytes

ASSETS = Path(veowrap.testing.__file__).parent / "assets"
FIXTURES = Path(__file__).parent / "mp4"
VEO = (ASSETS / "veo_16x9_4s.mp4").read_bytes()
VEO_MDAT = 1161  # the asset is ftyp(32) moov(1121) free(8) mdat


# -- building MP4 files box by box ---------------------------------------------------------------


def u32(*values: int) -> bytes:
    return struct.pack(f">{len(values)}I", *values)


def box(kind: bytes, *parts: bytes) -> bytes:
    payload = b"".join(parts)
    return struct.pack(">I4s", 8 + len(payload), kind) + payload


def full(kind: bytes, *parts: bytes, flags: int = 0, version: int = 0) -> bytes:
    return box(kind, struct.pack(">I", version << 24 | flags), *parts)


def open_box(kind: bytes, payload: bytes = b"") -> bytes:
    """A box of size 0: it runs to the end of the file."""
    return struct.pack(">I4s", 0, kind) + payload


FTYP = box(b"ftyp", b"isom", u32(0x200), b"isomiso2avc1mp41")
MVHD = full(b"mvhd", bytes(96))
STSD = full(b"stsd", u32(1), box(b"avc1", bytes(78)))
EMPTY_TABLES = (full(b"stts", u32(0)), full(b"stsc", u32(0)), full(b"stsz", u32(0, 0)))


def stsc(*runs: tuple[int, int]) -> bytes:
    return full(b"stsc", u32(len(runs)), *(u32(first, count, 1) for first, count in runs))


def stsz(sizes: list[int]) -> bytes:
    return full(b"stsz", u32(0, len(sizes), *sizes))


def stco(offsets: list[int], *, wide: bool = False) -> bytes:
    if wide:
        return full(b"co64", u32(len(offsets)), *(struct.pack(">Q", o) for o in offsets))
    return full(b"stco", u32(len(offsets), *offsets))


def trak(tables: list[bytes], track: int = 1) -> bytes:
    stbl = box(b"stbl", STSD, *tables)
    minf = box(b"minf", full(b"vmhd", bytes(8), flags=1), stbl)
    hdlr = full(b"hdlr", bytes(4), b"vide", bytes(13))
    mdia = box(b"mdia", full(b"mdhd", bytes(20)), hdlr, minf)
    return box(b"trak", full(b"tkhd", u32(0, 0, track), bytes(68)), mdia)


def tables(
    sizes: list[int],
    chunks: list[int],
    offsets: list[int],
    *,
    wide: bool = False,
    sizes_box: bytes | None = None,
    runs: bytes | None = None,
) -> list[bytes]:
    """stts/stsc/stsz/stco for samples ``sizes`` grouped ``chunks`` (samples per chunk)."""
    compact: list[tuple[int, int]] = []
    for index, count in enumerate(chunks, start=1):
        if not compact or compact[-1][1] != count:
            compact.append((index, count))
    return [
        full(b"stts", u32(1, len(sizes), 1)),
        stsc(*compact) if runs is None else runs,
        stsz(sizes) if sizes_box is None else sizes_box,
        stco(offsets, wide=wide),
    ]


def movie(
    sizes: tuple[int, ...] = (40, 50, 60),
    chunks: tuple[int, ...] = (2, 1),
    *,
    moov_last: bool = False,
    mdat: str = "plain",
    wide: bool = False,
    shift: int = 0,
    sizes_box: bytes | None = None,
    runs: bytes | None = None,
    extra: bytes = b"",
) -> bytes:
    """A whole MP4: one track of samples ``sizes`` in chunks of ``chunks`` samples, its data
    in one ``mdat`` (``plain``, ``large``: a 64-bit size, ``open``: size 0).

    ``shift`` moves the last chunk's offset; ``sizes_box``/``runs`` replace stsz/stsc;
    ``extra`` is added to ``moov`` after the track.
    """
    data = bytes(range(256)) * (sum(sizes) // 256 + 1)
    data = data[: sum(sizes)]
    header = {"plain": 8, "large": 16, "open": 8}[mdat]

    def moov_with(start: int) -> bytes:
        offsets, position, sample = [], start, 0
        for count in chunks:
            offsets.append(position)
            position += sum(sizes[sample : sample + count])
            sample += count
        if offsets:
            offsets[-1] += shift
        track = trak(
            tables(list(sizes), list(chunks), offsets, wide=wide, sizes_box=sizes_box, runs=runs)
        )
        return box(b"moov", MVHD, track, extra)

    if mdat == "plain":
        mdat_box = box(b"mdat", data)
    elif mdat == "large":
        mdat_box = struct.pack(">I4sQ", 1, b"mdat", 16 + len(data)) + data
    else:
        mdat_box = open_box(b"mdat", data)
    size = len(moov_with(0))
    if moov_last:
        return FTYP + mdat_box + moov_with(len(FTYP) + header)
    return FTYP + moov_with(len(FTYP) + size + header) + mdat_box


def frag_moov(trex_size: int = 0, *, second_track: bool = False) -> bytes:
    """The ``moov`` of a fragmented MP4: tracks with empty sample tables, and ``mvex``."""
    traks = [trak([*EMPTY_TABLES, stco([])], 1)]
    trexes = [full(b"trex", u32(1, 1, 0, trex_size, 0))]
    if second_track:
        traks.append(trak([*EMPTY_TABLES, stco([])], 2))
        trexes.append(full(b"trex", u32(2, 1, 0, 16, 0)))
    return box(b"moov", MVHD, *traks, box(b"mvex", *trexes))


def moof(*trafs: bytes) -> bytes:
    return box(b"moof", full(b"mfhd", u32(1)), *trafs)


def _moof(
    samples: tuple[int, ...],
    data_offset: int,
    moof_start: int,
    base: str,
    sizes_in: str,
    second_track: bool,
    default_size: int,
) -> bytes:
    """One fragment's ``moof`` (see :func:`fragmented`); its size never depends on offsets."""
    flags, fields = 0, b""
    if base == "explicit":
        flags |= 0x01
        fields += struct.pack(">Q", moof_start)
    elif base == "moof":
        flags |= 0x020000
    if sizes_in == "tfhd":
        flags |= 0x10
        fields += u32(default_size)
    tfhd = full(b"tfhd", u32(1), fields, flags=flags)
    head = u32(len(samples), data_offset & 0xFFFFFFFF)  # the offset is signed
    if sizes_in == "trun":
        trun = full(b"trun", head, *map(u32, samples), flags=0x201)
    else:
        trun = full(b"trun", head, flags=0x001)
    trafs = [box(b"traf", tfhd, trun)]
    if second_track:
        # No base offset, no data offset: the data follows the previous traf's.
        tfhd2 = full(b"tfhd", u32(2), flags=0)
        trafs.append(box(b"traf", tfhd2, full(b"trun", u32(1), flags=0)))
    return moof(*trafs)


def fragmented(
    fragments: tuple[tuple[int, ...], ...] = ((40, 50), (60,)),
    *,
    base: str = "moof",
    sizes_in: str = "trun",
    second_track: bool = False,
    open_last: bool = False,
    offset_shift: int = 0,
    trex_size: int = 0,
) -> bytes:
    """A fragmented MP4: ``moov`` (empty sample tables, ``mvex``) then ``moof``/``mdat`` pairs.

    Args:
        fragments: Sample sizes of each fragment.
        base: Where a run's data offset counts from: ``moof`` (default-base-is-moof),
            ``explicit`` (a tfhd base data offset) or ``implicit`` (neither flag).
        sizes_in: ``trun`` (per sample), ``tfhd`` or ``trex`` (one default size: all samples
            then take the first size).
        second_track: Adds a second traf (track 2, one 16-byte sample) to each moof, with no
            data offset of its own: its data follows the first traf's data.
        open_last: The last mdat has size 0.
        offset_shift: Added to every first track's trun data offset.
        trex_size: The default sample size in ``trex`` (``sizes_in="trex"`` sets it).
    """
    uniform = fragments[0][0]
    trex_default = uniform if sizes_in == "trex" else trex_size
    out = FTYP + frag_moov(trex_default, second_track=second_track)
    for number, samples in enumerate(fragments, start=1):
        data = bytes([number]) * (sum(samples) if sizes_in == "trun" else uniform * len(samples))
        data += bytes(16) if second_track else b""

        options = (base, sizes_in, second_track, uniform)
        moof_size = len(_moof(samples, 0, 0, *options))
        fragment = _moof(samples, moof_size + 8 + offset_shift, len(out), *options)
        last = number == len(fragments)
        out += fragment + (open_box(b"mdat", data) if open_last and last else box(b"mdat", data))
    return out


def check(data: bytes) -> None:
    """Checks ``data`` fed whole, then byte by byte and in 7-byte chunks: same verdict."""
    verdicts = []
    for step in (len(data) or 1, 1, 7):
        walker = Mp4Walker()
        try:
            for start in range(0, len(data), step):
                walker.feed(data[start : start + step])
            assert walker.finish() == len(data)
            verdicts.append(None)
        except VideoProblem as problem:
            verdicts.append((problem.kind, problem.detail))
    assert verdicts.count(verdicts[0]) == 3, verdicts
    if verdicts[0] is not None:
        raise VideoProblem(*verdicts[0])


# -- the tables --------------------------------------------------------------------------------

_CUT = movie(mdat="open")

# id, bytes
GOOD: list[tuple[str, bytes]] = [
    # size 0 only as a last mdat/free/skip
    ("veo-open-mdat", VEO[:VEO_MDAT] + open_box(b"mdat", VEO[VEO_MDAT + 8 :])),
    ("open-mdat", movie(mdat="open")),
    ("open-free-after-video", VEO + open_box(b"free", b"anything at all \x00\x01")),
    ("open-skip-empty", VEO + open_box(b"skip")),
    # box types: any printable four-character code, known or not
    ("unknown-printable-box", VEO + box(b"abcd", b"\x00" * 5)),
    ("space-in-type", VEO + box(b"ab d")),
    ("uuid-box", VEO + box(b"uuid", bytes(16))),
    ("free-before-moov", FTYP + box(b"free", bytes(3)) + movie()[len(FTYP) :]),
    # moov: mvhd and a track with a whole sample table
    ("one-track", movie()),
    ("moov-ends-with-zero-word", movie(extra=bytes(4))),
    ("unknown-box-in-moov", movie(extra=box(b"udta", box(b"\xa9nam", b"x")))),
    (
        "incomplete-track-beside-a-whole-one",
        movie(extra=box(b"trak", full(b"tkhd", bytes(80)))),
    ),
    # chunks inside the file
    ("exact-fit", movie()),
    ("one-sample-per-chunk", movie(chunks=(1, 1, 1))),
    ("all-in-one-chunk", movie(chunks=(3,))),
    ("many-runs", movie((1, 2, 3, 4, 5, 6, 7), (1, 2, 2, 1, 1))),
    ("co64", movie(wide=True)),
    ("moov-last", movie(moov_last=True)),
    ("moov-last-co64", movie(moov_last=True, wide=True)),
    ("largesize-mdat", movie(mdat="large")),
    ("uniform-sizes", movie((50, 50, 50), sizes_box=full(b"stsz", u32(50, 3)))),
    ("stz2-16bit", movie(sizes_box=full(b"stz2", u32(16, 3), struct.pack(">3H", 40, 50, 60)))),
    ("stz2-8bit", movie(sizes_box=full(b"stz2", u32(8, 3), bytes([40, 50, 60])))),
    ("stz2-4bit", movie((4, 5, 6), sizes_box=full(b"stz2", u32(4, 3), bytes([0x45, 0x60])))),
    ("chunk-before-its-mdat-end", movie(shift=-10)),
    ("stsc-entry-past-last-chunk", movie(runs=stsc((1, 2), (2, 1), (9, 5)))),
    # fragmented
    ("frag-base-moof", fragmented()),
    ("frag-base-explicit", fragmented(base="explicit")),
    ("frag-base-implicit", fragmented(base="implicit")),
    ("frag-sizes-tfhd", fragmented(((30, 30), (30,)), sizes_in="tfhd")),
    ("frag-sizes-trex", fragmented(((30, 30), (30,)), sizes_in="trex")),
    ("frag-two-trafs", fragmented(second_track=True)),
    ("frag-two-trafs-implicit", fragmented(second_track=True, base="implicit")),
    ("frag-open-last-mdat", fragmented(open_last=True)),
    ("frag-sidx-first", FTYP + box(b"sidx", bytes(24)) + fragmented()[len(FTYP) :]),
] + [
    (f"ffmpeg-{path.name}", path.read_bytes())
    for path in sorted([*FIXTURES.glob("*.mp4"), *FIXTURES.glob("*.mov")])
]

# id, bytes, problem kind, words in the detail
BAD: list[tuple[str, bytes, str, str]] = [
    # size 0 only as a last mdat/free/skip; NUL padding is not a box
    ("nul-padding-then-garbage", VEO + bytes(8) + b"<html>proxy</html>", "malformed", "'\\x00"),
    ("nul-padding-alone", VEO + bytes(8), "malformed", "not a four-character code"),
    ("nul-padding-long", VEO + bytes(4096), "malformed", "not a four-character code"),
    ("open-moov", FTYP + open_box(b"moov", VEO[40:1153]), "malformed", "size 0"),
    ("open-unknown-box", VEO + open_box(b"abcd", b"junk"), "malformed", "has size 0"),
    ("open-moof", VEO + open_box(b"moof"), "malformed", "'moof'"),
    # box types
    ("binary-type", VEO + box(b"\x01\x02\x03\x04"), "malformed", "not a four-character code"),
    ("high-byte-type", VEO + box(b"ab\xffd"), "malformed", "at byte 19,329"),
    ("control-char-type", VEO + box(b"fre\n"), "malformed", "four-character"),
    (
        "binary-type-in-moov",
        movie(extra=box(b"\x00\x00\x00\x01", b"x")),
        "malformed",
        "in 'moov'",
    ),
    # moov structure
    ("empty-moov", FTYP + box(b"moov"), "malformed", "no 'mvhd'"),
    ("moov-mvhd-only", FTYP + box(b"moov", MVHD), "malformed", "no 'trak'"),
    ("moov-junk-payload", FTYP + box(b"moov", b"m" * 20), "malformed", "has size"),
    ("moov-stray-bytes", movie(extra=b"\x01\x02\x03"), "malformed", "3 stray bytes"),
    (
        "moov-child-overruns",
        FTYP + box(b"moov", MVHD, struct.pack(">I4s", 500, b"trak")),
        "malformed",
        "'trak'",
    ),
    (
        "track-without-mdia",
        FTYP + box(b"moov", MVHD, box(b"trak", full(b"tkhd", bytes(80)))),
        "malformed",
        "track 1 has no 'trak/mdia'",
    ),
    (
        "track-without-stco",
        FTYP + box(b"moov", MVHD, trak(tables([1], [1], [0])[:3])),
        "malformed",
        "no 'stco' or 'co64'",
    ),
    (
        "track-without-stsz",
        FTYP + box(b"moov", MVHD, trak([*tables([1], [1], [0])[:2], stco([0])])),
        "malformed",
        "no 'stsz' or 'stz2'",
    ),
    ("second-moov", movie() + box(b"moov", MVHD), "malformed", "a second 'moov'"),
    # chunks inside the file
    (
        "veo-open-mdat-cut",
        (VEO[:VEO_MDAT] + open_box(b"mdat", VEO[VEO_MDAT + 8 :]))[:9000],
        "truncated",
        "its media data is cut off",
    ),
    ("open-mdat-cut-by-one", _CUT[:-1], "truncated", "reaches byte"),
    ("open-mdat-empty", _CUT[: len(_CUT) - 150], "truncated", "chunk 2 of track 1"),
    ("last-chunk-past-eof", movie(shift=200), "truncated", "chunk 2 of track 1"),
    ("last-chunk-one-byte-over", movie(shift=1), "truncated", "reaches byte"),
    ("co64-past-eof", movie(wide=True, shift=1 << 40), "truncated", "1,099,511,"),
    (
        "uniform-size-too-big",
        movie((50, 50, 50), sizes_box=full(b"stsz", u32(51, 3))),
        "truncated",
        "cut off",
    ),
    (
        "stz2-sizes-too-big",
        movie(sizes_box=full(b"stz2", u32(16, 3), struct.pack(">3H", 40, 50, 61))),
        "truncated",
        "cut off",
    ),
    (
        "stsc-holds-more-samples",
        movie(runs=stsc((1, 3))),
        "malformed",
        "more samples in its chunks than the 3",
    ),
    ("stsc-holds-fewer-samples", movie(runs=stsc((1, 1))), "malformed", "hold 2 samples"),
    ("stsc-starts-at-2", movie(runs=stsc((2, 2))), "malformed", "starts at chunk 2"),
    ("stsc-out-of-order", movie(runs=stsc((1, 2), (1, 1))), "malformed", "out of order"),
    ("stsc-empty", movie(runs=full(b"stsc", u32(0))), "malformed", "empty 'stsc'"),
    (
        "stco-count-too-big",
        FTYP + box(b"moov", MVHD, trak([*tables([1], [1], [0])[:3], full(b"stco", u32(9))])),
        "malformed",
        "lists 9 entries but has room for 0",
    ),
    (
        "stsz-count-too-big",
        movie(sizes_box=full(b"stsz", u32(0, 1000), u32(40, 50, 60))),
        "malformed",
        "lists 1,000 entries",
    ),
    (
        "stz2-bad-field",
        movie(sizes_box=full(b"stz2", u32(12, 3), bytes(6))),
        "malformed",
        "field size 12",
    ),
    (
        "no-samples",
        FTYP + box(b"moov", MVHD, trak([*EMPTY_TABLES, stco([])])),
        "malformed",
        "no samples",
    ),
    # fragmented
    ("frag-last-mdat-cut", fragmented(open_last=True)[:-1], "truncated", "a track run of"),
    (
        "frag-mdat-cut-mid",
        fragmented(((400, 500), (600,)), open_last=True)[:-300],
        "truncated",
        "cut off",
    ),
    ("frag-data-offset-past-eof", fragmented(offset_shift=10_000), "truncated", "cut off"),
    (
        "frag-data-offset-before-file",
        fragmented(offset_shift=-100_000),
        "malformed",
        "before the start of the file",
    ),
    (
        "frag-tfhd-size-too-big",
        fragmented(((30, 30), (30,)), sizes_in="tfhd", open_last=True)[:-1],
        "truncated",
        "cut off",
    ),
    (
        "frag-two-trafs-cut",
        fragmented(second_track=True, open_last=True)[:-1],
        "truncated",
        "cut off",
    ),
    ("frag-init-segment-only", FTYP + frag_moov(), "malformed", "no samples"),
    (
        "frag-traf-without-tfhd",
        FTYP + frag_moov() + moof(box(b"traf", full(b"trun", u32(1))), box(b"mdat", bytes(4))),
        "malformed",
        "has no 'tfhd'",
    ),
    (
        "frag-moof-child-overruns",
        FTYP + frag_moov() + box(b"moof", struct.pack(">I4s", 99, b"traf")),
        "malformed",
        "has size 99",
    ),
    (
        "frag-trun-count-too-big",
        FTYP
        + frag_moov()
        + moof(box(b"traf", full(b"tfhd", u32(1)), full(b"trun", u32(50), flags=0x200))),
        "malformed",
        "lists 50 samples but is shorter",
    ),
    (
        "frag-tfhd-too-short",
        FTYP + frag_moov() + moof(box(b"traf", full(b"tfhd", u32(1), flags=0x01))),
        "malformed",
        "'tfhd' of a 'traf' of the 'moof' at byte",
    ),
]


@pytest.mark.parametrize("data", [pytest.param(row[1], id=row[0]) for row in GOOD])
def test_whole_videos_are_accepted(data: bytes) -> None:
    check(data)


@pytest.mark.parametrize(
    ("data", "kind", "words"), [pytest.param(*row[1:], id=row[0]) for row in BAD]
)
def test_broken_files_are_refused_naming_what_is_wrong(data: bytes, kind: str, words: str) -> None:
    with pytest.raises(VideoProblem) as caught:
        check(data)
    assert (caught.value.kind, words in caught.value.detail) == (kind, True), caught.value.detail


def _top_level(data: bytes) -> list[tuple[bytes, int, int]]:
    boxes, position = [], 0
    while position < len(data):
        size, kind = struct.unpack_from(">I4s", data, position)
        if size == 1:
            (size,) = struct.unpack_from(">Q", data, position + 8)
        boxes.append((kind, position, size))
        position += size
    return boxes


def _open_ended(data: bytes) -> tuple[bytes, int]:
    """``data`` up to its last mdat, that mdat made size 0; and where its payload starts."""
    _, start, size = [row for row in _top_level(data) if row[0] == b"mdat"][-1]
    return data[:start] + struct.pack(">I", 0) + data[start + 4 : start + size], start + 8


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(VEO, id="veo"),
        pytest.param(fragmented(((300, 200), (100, 400, 50))), id="built-fragmented"),
        pytest.param(fragmented(second_track=True, base="implicit"), id="built-two-trafs"),
        *(pytest.param(path.read_bytes(), id=path.name) for path in FIXTURES.glob("frag*.mp4")),
    ],
)
def test_open_ended_mdat_is_whole_only_uncut(data: bytes) -> None:
    whole, payload = _open_ended(data)
    check_mp4_bytes(whole)
    for cut in range(payload, len(whole), max(1, (len(whole) - payload) // 200)):
        with pytest.raises(VideoProblem) as caught:
            check_mp4_bytes(whole[:cut])
        assert caught.value.kind == "truncated"
    with pytest.raises(VideoProblem, match="cut off"):
        check_mp4_bytes(whole[:-1])


def test_every_emulator_asset_passes_and_its_truncations_do_not() -> None:
    for path in sorted(ASSETS.glob("*.mp4")):
        whole, payload = _open_ended(path.read_bytes())
        check_mp4_bytes(path.read_bytes())
        check_mp4_bytes(whole)
        for cut in (payload, (payload + len(whole)) // 2, len(whole) - 1):
            with pytest.raises(VideoProblem, match="cut off"):
                check_mp4_bytes(whole[:cut])


# -- bounded work ----------------------------------------------------------------------------


def test_a_huge_moov_is_refused_from_its_header() -> None:
    walker = Mp4Walker()
    walker.feed(FTYP)
    with pytest.raises(VideoProblem, match="larger than the 64 MiB") as caught:
        walker.feed(struct.pack(">I4s", mp4check.MAX_INDEX_BYTES + 9, b"moov"))
    assert caught.value.kind == "malformed"


def test_too_many_boxes_inside_moov() -> None:
    data = FTYP + box(b"moov", MVHD, box(b"free") * mp4check.MAX_INNER_BOXES)
    with pytest.raises(VideoProblem, match="more than 200,000 boxes inside"):
        check_mp4_bytes(data)


def test_too_many_chunks() -> None:
    count = mp4check.MAX_CHUNKS + 1
    table = full(b"stco", u32(count), bytes(4 * count))
    data = FTYP + box(b"moov", MVHD, trak([*tables([1], [1], [0])[:3], table]))
    with pytest.raises(VideoProblem, match="more than 1,000,000 chunks"):
        check_mp4_bytes(data)


def test_a_run_of_four_billion_samples_is_refused_without_walking_them() -> None:
    data = movie(runs=stsc((1, 0xFFFFFFFF)))
    with pytest.raises(VideoProblem, match="more samples in its chunks"):
        check_mp4_bytes(data)


def test_a_fragment_claiming_four_billion_samples_is_cut_off() -> None:
    data = FTYP + frag_moov(trex_size=1000)
    data += moof(
        box(b"traf", full(b"tfhd", u32(1), flags=0x020000), full(b"trun", u32(0xFFFFFFFF)))
    )
    data += box(b"mdat", bytes(10))
    with pytest.raises(VideoProblem, match="cut off"):
        check_mp4_bytes(data)
