"""What gets saved: only whole MP4s (anything else refused by name, before much is written),
never over a file the user already has, and never two videos under one name."""

from __future__ import annotations

import contextlib
import gzip
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import veowrap
from veowrap._core.status import VideoRef
from veowrap._download import Downloader
from veowrap._result import GeneratedVideo, GenerationResult
from veowrap.backends._http import BytesStream

from ._servers import (
    FAST,
    MP4,
    Loopback,
    Reply,
    Seen,
    downloader,
    gemini_backend,
    vertex_backend,
    video,
)

HANDLE = veowrap.OperationHandle(name="projects/p/operations/op1", platform="vertex")
HTML = b"<!DOCTYPE html><html><body>502 Bad Gateway</body></html>".ljust(512, b" ")

# -- content -------------------------------------------------------------------------------

# id, reply, words of the DownloadError
WRONG: list[tuple[str, Reply, str]] = [
    (
        "html",
        Reply(headers={"Content-Type": "text/html"}, body=HTML),
        "an HTML page (text/html, 512 bytes)",
    ),
    (
        "json",
        Reply(headers={"Content-Type": "application/json"}, body=b'{"kind": "storage#object"}'),
        "a JSON document (application/json, 26 bytes)",
    ),
    (
        "gzip",
        Reply(headers={"Content-Type": "application/gzip"}, body=gzip.compress(MP4)),
        "gzip data (application/gzip",
    ),
    ("empty", Reply(headers={"Content-Type": "video/mp4"}), "an empty body (video/mp4, 0 bytes)"),
    (
        "empty-no-length",
        Reply(headers={"Content-Type": "video/mp4"}, length=False),
        "an empty body",
    ),
    (
        "html-labelled-video",
        Reply(headers={"Content-Type": "video/mp4"}, body=HTML),
        "an HTML page (video/mp4, 512 bytes)",
    ),
]


@pytest.mark.parametrize(("reply", "words"), [pytest.param(*row[1:], id=row[0]) for row in WRONG])
def test_content_that_is_not_a_video_is_refused_by_name(
    tmp_path: Path, reply: Reply, words: str
) -> None:
    with Loopback(reply) as storage:
        item = _item(downloader(vertex_backend(storage.base_url)))
        with pytest.raises(veowrap.DownloadError) as caught:
            item.save(tmp_path / "v.mp4")
    assert words in str(caught.value)
    assert "instead of an MP4" in str(caught.value)
    assert caught.value.handle == HANDLE
    assert len(storage.requests) == 1  # not retried: the same page would come back
    assert list(tmp_path.iterdir()) == []


def test_a_body_cut_short_without_a_length_is_not_saved(tmp_path: Path) -> None:
    # No Content-Length, a clean close after 5,000 bytes: only the MP4's own structure tells.
    with Loopback(video(MP4[:5000], length=False)) as storage:
        item = _item(downloader(vertex_backend(storage.base_url)))
        with pytest.raises(veowrap.DownloadError, match="arrived incomplete"):
            item.save(tmp_path / "v.mp4")
    assert len(storage.requests) == FAST.attempts  # worth retrying
    assert list(tmp_path.iterdir()) == []


def test_a_whole_mp4_without_a_length_is_saved(tmp_path: Path) -> None:
    with Loopback(video(length=False)) as storage:
        path = _item(downloader(vertex_backend(storage.base_url))).save(tmp_path / "v.mp4")
    assert path.read_bytes() == MP4


@pytest.mark.parametrize("declared", [len(MP4) + 100, len(MP4) - 100])
def test_a_body_not_matching_its_length_is_not_saved(tmp_path: Path, declared: int) -> None:
    # A short body on a kept-alive connection stalls: the stall timeout ends each attempt.
    with Loopback(video(declared=declared)) as storage:
        item = _item(downloader(vertex_backend(storage.base_url, download_timeout=0.2)))
        with pytest.raises(veowrap.DownloadError):
            item.save(tmp_path / "v.mp4")
    assert list(tmp_path.iterdir()) == []


def test_a_compressed_video_is_refused_unread(tmp_path: Path) -> None:
    bomb = zlib.compress(b"\x00" * (64 << 20), 9)  # 64 MiB of zeros in ~64 KiB
    reply = Reply(headers={"Content-Type": "video/mp4", "Content-Encoding": "deflate"}, body=bomb)
    with Loopback(reply) as storage:
        item = _item(downloader(vertex_backend(storage.base_url)))
        with pytest.raises(veowrap.DownloadError, match="Content-Encoding 'deflate'"):
            item.save(tmp_path / "v.mp4")
    assert storage.requests[0].headers["accept-encoding"] == "identity"
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("kind", ["gzip-bomb", "oversized"])
def test_the_file_state_answer_is_size_capped(tmp_path: Path, kind: str) -> None:
    if kind == "gzip-bomb":
        body = gzip.compress(b'{"state": "ACTIVE", "pad": "' + b"0" * (32 << 20) + b'"}')
        state = Reply(headers={"Content-Encoding": "gzip"}, body=body)
        words = "Content-Encoding 'gzip'"
    else:
        state = Reply(body=b'{"state": "ACTIVE", "pad": "' + b"0" * (2 << 20) + b'"}')
        words = "larger than 1,048,576 bytes"

    def handle(seen: Seen) -> Reply:
        return video() if ":download" in seen.path else state

    with Loopback(handle) as api:
        item = _item(downloader(gemini_backend(api.base_url)), _FILES)
        with pytest.raises(veowrap.DownloadError, match=words):
            item.save(tmp_path / "v.mp4")
    assert not any(":download" in seen.path for seen in api.requests)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("data", "words"),
    [(HTML, "an HTML page (video/mp4, 512 bytes)"), (MP4[:3000], "arrived incomplete")],
    ids=["html", "truncated"],
)
def test_inline_bytes_that_are_not_a_whole_mp4_are_refused(
    tmp_path: Path, data: bytes, words: str
) -> None:
    backend = vertex_backend("http://127.0.0.1:9")  # the real backend's inline path
    ref = VideoRef(data=data, mime_type="video/mp4")
    item = GeneratedVideo(0, "video/mp4", None, HANDLE, ref, downloader(backend))
    with pytest.raises(veowrap.DownloadError) as caught:
        item.save(tmp_path / "v.mp4")
    assert words in str(caught.value)
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(veowrap.DownloadError) as caught:
        item.read_bytes()
    assert words in str(caught.value) or "incomplete" in str(caught.value)


def test_read_bytes_checks_and_retries_like_a_save() -> None:
    count = [0]

    def handle(seen: Seen) -> Reply:
        count[0] += 1
        return video(MP4[:100], declared=len(MP4)) if count[0] == 1 else video()

    with Loopback(handle) as storage:
        backend = vertex_backend(storage.base_url, download_timeout=0.2)
        assert _item(downloader(backend)).read_bytes() == MP4
    assert count[0] == 2


# -- never overwrite silently --------------------------------------------------------------


def _item(d: Downloader, uri: str = "gs://bucket/v.mp4") -> GeneratedVideo:
    return GeneratedVideo(0, "video/mp4", uri, HANDLE, VideoRef(uri=uri), d)


_FILES = "https://generativelanguage.googleapis.com/v1beta/files/abc"


@contextlib.contextmanager
def _inline(ref: VideoRef) -> Iterator[BytesStream]:
    assert ref.data is not None
    yield BytesStream(ref.data)


def _result(count: int = 2, opener: Any = _inline) -> GenerationResult:
    d = Downloader(opener, policy=FAST)
    videos = tuple(
        GeneratedVideo(i, "video/mp4", None, HANDLE, VideoRef(data=MP4), d) for i in range(count)
    )
    return GenerationResult(videos=videos, handle=HANDLE, elapsed=1.0, polls=1)


def _save(result: GenerationResult, flavour: str, path: Path, **options: Any) -> list[Path]:
    import asyncio

    if flavour == "sync":
        return result.save(path, **options)
    return asyncio.run(result.save_async(path, **options))


@pytest.mark.parametrize("flavour", ["sync", "async"])
def test_two_videos_never_overwrite_the_users_numbered_file(tmp_path: Path, flavour: str) -> None:
    # Used to overwrite: x.mp4 and x-1.mp4 were written, replacing the user's own x-1.mp4.
    mine = tmp_path / "x-1.mp4"
    mine.write_bytes(b"my own video")
    with pytest.raises(veowrap.DestinationExistsError) as caught:
        _save(_result(), flavour, tmp_path / "x.mp4")
    assert caught.value.path == str(mine)
    assert caught.value.handle == HANDLE and caught.value.hint
    assert isinstance(caught.value, veowrap.DownloadError)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x-1.mp4"]  # not even x.mp4
    assert mine.read_bytes() == b"my own video"
    paths = _save(_result(), flavour, tmp_path / "x.mp4", overwrite=True)
    assert [p.name for p in paths] == ["x.mp4", "x-1.mp4"]
    assert all(p.read_bytes() == MP4 for p in paths)


@pytest.mark.parametrize("flavour", ["sync", "async"])
def test_saving_into_a_directory_twice_refuses_the_second_time(
    tmp_path: Path, flavour: str
) -> None:
    first = _save(_result(), flavour, tmp_path)
    assert [p.name for p in first] == ["op1.mp4", "op1-1.mp4"]
    with pytest.raises(veowrap.DestinationExistsError, match="and 1 more"):
        _save(_result(), flavour, tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["op1-1.mp4", "op1.mp4"]


def test_one_video_refuses_an_existing_file(tmp_path: Path) -> None:
    target = tmp_path / "v.mp4"
    target.write_bytes(b"mine")
    item = _result(1).videos[0]
    with pytest.raises(veowrap.DestinationExistsError) as caught:
        item.save(target)
    assert caught.value.path == str(target) and caught.value.handle == HANDLE
    assert target.read_bytes() == b"mine"
    assert item.save(target, overwrite=True).read_bytes() == MP4
    assert [p.name for p in tmp_path.iterdir()] == ["v.mp4"]


def test_a_file_created_during_the_download_is_kept(tmp_path: Path) -> None:
    target = tmp_path / "v.mp4"

    class Racing:
        length = len(MP4)
        content_type = "video/mp4"

        def chunks(self, size: int) -> Iterator[bytes]:
            yield MP4[:100]
            target.write_bytes(b"created meanwhile")
            yield MP4[100:]

    item = _result(1, lambda ref: contextlib.nullcontext(Racing())).videos[0]
    with pytest.raises(veowrap.DestinationExistsError):
        item.save(target)
    assert target.read_bytes() == b"created meanwhile"
    assert [p.name for p in tmp_path.iterdir()] == ["v.mp4"]


def test_a_save_sweeps_partial_files_left_by_a_dead_process(tmp_path: Path) -> None:
    from .test_files import _dead_pid, _partial

    left = _partial(tmp_path, "v.mp4", _dead_pid())
    _result(1).videos[0].save(tmp_path / "w.mp4")
    assert not left.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["w.mp4"]


def test_a_name_longer_than_the_file_system_allows_is_refused_up_front(tmp_path: Path) -> None:
    with pytest.raises(veowrap.DownloadError, match="256 bytes long"):
        _result(1).videos[0].save(tmp_path / ("a" * 252 + ".mp4"))
    assert list(tmp_path.iterdir()) == []
