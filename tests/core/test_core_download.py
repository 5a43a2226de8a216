"""`_download.write_atomically` (and `Downloader` on top): the destination holds the whole video
or nothing new, and no temporary file is ever left behind."""

from __future__ import annotations

import contextlib
import http.client
import os
import stat
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

import veowrap.testing
from veowrap._core.retrying import RetryPolicy
from veowrap._core.status import VideoRef
from veowrap._download import DownloadCancelled, Downloader, write_atomically
from veowrap._errors import DownloadError

# A real MP4: every byte string saved as a video must be a whole ISO-BMFF file.
VIDEO = (Path(veowrap.testing.__file__).parent / "assets" / "veo_16x9_4s.mp4").read_bytes()


@dataclass
class Stream:
    """A download in memory: ``length`` as announced, chunks served from ``parts``."""

    parts: list[bytes]
    length: int | None = None
    fail_after: int | None = None  # raise after this many chunks
    failure: BaseException = field(default_factory=ConnectionResetError)
    on_chunk: Callable[[int], None] | None = None
    sizes: list[int] = field(default_factory=list)

    def chunks(self, size: int) -> Iterator[bytes]:
        self.sizes.append(size)
        for index, part in enumerate(self.parts):
            if self.fail_after == index:
                raise self.failure
            if self.on_chunk is not None:
                self.on_chunk(index)
            yield part


def whole(data: bytes = VIDEO, pieces: int = 4, **options: Any) -> Stream:
    step = -(-len(data) // pieces)
    parts = [data[i : i + step] for i in range(0, len(data), step)]
    options.setdefault("length", len(data))
    return Stream(parts, **options)


def opener(stream: Stream) -> Callable[[], contextlib.AbstractContextManager[Stream]]:
    return lambda: contextlib.nullcontext(stream)


def leftovers(directory: Path) -> list[str]:
    return sorted(path.name for path in directory.iterdir())


# --------------------------------------------------------------------------------------- success

# id, stream
SUCCESSES: list[tuple[str, Stream]] = [
    ("announced-length", whole()),
    ("unknown-length", whole(length=None)),
    ("single-chunk", whole(pieces=1)),
    ("empty-chunks-inside", Stream([VIDEO[:10], b"", VIDEO[10:]], length=len(VIDEO))),
]


@pytest.mark.parametrize("stream", [pytest.param(row[1], id=row[0]) for row in SUCCESSES])
def test_success_writes_the_file(tmp_path: Path, stream: Stream) -> None:
    destination = tmp_path / "video.mp4"
    written = write_atomically(opener(stream), destination)
    assert written == len(VIDEO)
    assert destination.read_bytes() == VIDEO
    assert leftovers(tmp_path) == ["video.mp4"]


def test_success_replaces_an_existing_file_only_when_asked(tmp_path: Path) -> None:
    # Changed: an existing file used to be replaced silently; now only with overwrite=True.
    destination = tmp_path / "video.mp4"
    destination.write_bytes(b"old")
    with pytest.raises(FileExistsError):
        write_atomically(opener(whole()), destination)
    assert destination.read_bytes() == b"old"
    assert leftovers(tmp_path) == ["video.mp4"]
    write_atomically(opener(whole()), destination, overwrite=True)
    assert destination.read_bytes() == VIDEO
    assert leftovers(tmp_path) == ["video.mp4"]


def test_creates_missing_directories(tmp_path: Path) -> None:
    destination = tmp_path / "a" / "b" / "video.mp4"
    write_atomically(opener(whole()), destination)
    assert destination.read_bytes() == VIDEO


def test_passes_the_chunk_size_to_the_stream(tmp_path: Path) -> None:
    stream = whole()
    write_atomically(opener(stream), tmp_path / "v.mp4", chunk_size=4096)
    assert stream.sizes == [4096]


def test_temporary_file_lives_next_to_the_destination(tmp_path: Path) -> None:
    seen: list[list[str]] = []
    stream = whole(on_chunk=lambda index: seen.append(leftovers(tmp_path)))
    write_atomically(opener(stream), tmp_path / "video.mp4")
    names = seen[0]
    assert len(names) == 1
    assert names[0].startswith(".video.mp4.veowrap-partial-")


# --------------------------------------------------------------------------------------- failures


def cancel_during(event: threading.Event) -> Stream:
    return whole(on_chunk=lambda index: event.set() if index == 1 else None)


# id, make(stream factory input: a threading.Event), expected exception
FAILURES: list[tuple[str, Callable[[threading.Event], Stream], type[BaseException]]] = [
    ("reset-mid-way", lambda _: whole(fail_after=2), ConnectionResetError),
    ("timeout-mid-way", lambda _: whole(fail_after=1, failure=TimeoutError()), TimeoutError),
    ("fails-before-any-byte", lambda _: whole(fail_after=0), ConnectionResetError),
    ("short-stream", lambda _: whole(length=len(VIDEO) + 100), http.client.IncompleteRead),
    ("long-stream", lambda _: whole(length=10), http.client.IncompleteRead),
    ("cancelled", cancel_during, DownloadCancelled),
    ("ctrl-c", lambda _: whole(fail_after=1, failure=KeyboardInterrupt()), KeyboardInterrupt),
]


@pytest.mark.parametrize(
    ("make", "expected"), [pytest.param(*row[1:], id=row[0]) for row in FAILURES]
)
def test_failures_leave_nothing(
    tmp_path: Path, make: Callable[[threading.Event], Stream], expected: type[BaseException]
) -> None:
    cancelled = threading.Event()
    destination = tmp_path / "video.mp4"
    with pytest.raises(expected):
        write_atomically(opener(make(cancelled)), destination, cancelled=cancelled)
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize(
    ("make", "expected"), [pytest.param(*row[1:], id=row[0]) for row in FAILURES]
)
def test_failures_keep_an_existing_destination(
    tmp_path: Path, make: Callable[[threading.Event], Stream], expected: type[BaseException]
) -> None:
    cancelled = threading.Event()
    destination = tmp_path / "video.mp4"
    destination.write_bytes(b"previous video")
    with pytest.raises(expected):
        write_atomically(opener(make(cancelled)), destination, cancelled=cancelled)
    assert destination.read_bytes() == b"previous video"
    assert leftovers(tmp_path) == ["video.mp4"]


def test_failure_to_open_leaves_nothing(tmp_path: Path) -> None:
    def refuse() -> contextlib.AbstractContextManager[Stream]:
        raise ConnectionRefusedError(111, "Connection refused")

    with pytest.raises(ConnectionRefusedError):
        write_atomically(refuse, tmp_path / "video.mp4")
    assert leftovers(tmp_path) == []


def test_short_stream_reports_the_missing_bytes(tmp_path: Path) -> None:
    with pytest.raises(http.client.IncompleteRead) as caught:
        write_atomically(opener(whole(length=len(VIDEO) + 100)), tmp_path / "v.mp4")
    assert caught.value.expected == 100


def test_cancel_set_before_start_writes_nothing(tmp_path: Path) -> None:
    cancelled = threading.Event()
    cancelled.set()
    with pytest.raises(DownloadCancelled):
        write_atomically(opener(whole()), tmp_path / "v.mp4", cancelled=cancelled)
    assert leftovers(tmp_path) == []


# ------------------------------------------------------------------------------------ file mode


@pytest.mark.parametrize(("mask", "mode"), [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_file_mode_follows_the_umask(tmp_path: Path, mask: int, mode: int) -> None:
    previous = os.umask(mask)
    try:
        destination = tmp_path / "video.mp4"
        write_atomically(opener(whole()), destination)
    finally:
        os.umask(previous)
    assert stat.S_IMODE(destination.stat().st_mode) == mode


# ------------------------------------------------------------------------------------ Downloader

NO_WAIT = RetryPolicy(attempts=3, initial_delay=0, max_delay=0, jitter=0)
REF = VideoRef(uri="gs://bucket/video.mp4")


def test_downloader_retries_a_broken_transfer(tmp_path: Path) -> None:
    streams = [whole(fail_after=2), whole()]
    events: list[Any] = []
    downloader = Downloader(
        lambda ref: contextlib.nullcontext(streams.pop(0)), NO_WAIT, events.append
    )
    destination = downloader.save(REF, tmp_path / "video.mp4")
    assert destination.read_bytes() == VIDEO
    assert leftovers(tmp_path) == ["video.mp4"]
    assert [(event.phase, event.attempt) for event in events] == [("download", 1)]


@pytest.mark.parametrize(
    ("failure", "opens"),
    [
        pytest.param(ConnectionResetError(), 3, id="transient-until-attempts-run-out"),
        pytest.param(PermissionError(13, "Permission denied"), 1, id="not-retryable"),
    ],
)
def test_downloader_raises_download_error(
    tmp_path: Path, failure: BaseException, opens: int
) -> None:
    count = [0]

    def open_video(ref: VideoRef) -> contextlib.AbstractContextManager[Stream]:
        count[0] += 1
        return contextlib.nullcontext(whole(fail_after=1, failure=failure))

    with pytest.raises(DownloadError) as caught:
        Downloader(open_video, NO_WAIT).save(REF, tmp_path / "video.mp4")
    assert count[0] == opens
    assert caught.value.__cause__ is failure
    assert "Nothing partial" in (caught.value.hint or "")
    assert leftovers(tmp_path) == []


def test_downloader_lets_cancellation_through(tmp_path: Path) -> None:
    cancelled = threading.Event()
    cancelled.set()
    downloader = Downloader(lambda ref: contextlib.nullcontext(whole()), NO_WAIT)
    with pytest.raises(DownloadCancelled):
        downloader.save(REF, tmp_path / "video.mp4", cancelled=cancelled)
    assert leftovers(tmp_path) == []
