"""No save outlives its timeout, whatever the server does; cancelling a save takes effect at
once, even while the Files API says PROCESSING; Retry-After is obeyed only up to a cap."""

from __future__ import annotations

import _thread
import asyncio
import threading
import time
from pathlib import Path
from typing import Any

import pytest

import veowrap
from veowrap._core.fetching import MAX_RETRY_AFTER, capped_retry_after
from veowrap._core.status import VideoRef
from veowrap._result import GeneratedVideo

from ._servers import (
    MP4,
    Loopback,
    Reply,
    Seen,
    download_threads,
    downloader,
    gemini_backend,
    vertex_backend,
    video,
    wait_for,
)

#: A save may end at most this long after its timeout (the promise is 1 s; CI boxes are slow).
SLACK = 0.8
FILES_URI = "https://generativelanguage.googleapis.com/v1beta/files/abc"


def generated(downloader: Any, uri: str = "gs://bucket/out/v.mp4") -> GeneratedVideo:
    handle = veowrap.OperationHandle(name="projects/p/operations/op1", platform="vertex")
    return GeneratedVideo(
        index=0,
        mime_type="video/mp4",
        uri=uri,
        handle=handle,
        _ref=VideoRef(uri=uri),
        _downloader=downloader,
    )


def save(item: GeneratedVideo, flavour: str, path: Path, **options: Any) -> Path:
    if flavour == "sync":
        return item.save(path, **options)
    return asyncio.run(item.save_async(path, **options))


HOSTILE: list[tuple[str, Reply]] = [
    ("trickled-body", video(after=1000, trickle=0.02)),
    ("trickled-body-no-length", video(after=1000, trickle=0.02, length=False)),
    ("trickled-headers", Reply(trickle_headers=0.02)),
    ("stalled", video(stall=30)),
]


@pytest.mark.parametrize("flavour", ["sync", "async"])
@pytest.mark.parametrize("reply", [pytest.param(row[1], id=row[0]) for row in HOSTILE])
def test_a_save_never_outlives_its_timeout(tmp_path: Path, flavour: str, reply: Reply) -> None:
    # download_timeout (the stall timeout) is longer than the save's: only the deadline ends it.
    with Loopback(reply) as storage:
        item = generated(downloader(vertex_backend(storage.base_url, download_timeout=10)))
        began = time.monotonic()
        with pytest.raises(veowrap.DownloadError, match="deadline") as caught:
            save(item, flavour, tmp_path / "v.mp4", timeout=0.5)
        elapsed = time.monotonic() - began
        print(f"elapsed {elapsed:.3f}")
        assert elapsed < 0.5 + SLACK, f"save took {elapsed:.2f} s"
        assert caught.value.handle is not None
        assert list(tmp_path.iterdir()) == []
        # The worker stops too, at its next read: nothing keeps reading in the background.
        assert wait_for(lambda: download_threads() == 0, 1.0)


@pytest.mark.parametrize("flavour", ["sync", "async"])
def test_trickled_headers_are_bounded_without_a_timeout(tmp_path: Path, flavour: str) -> None:
    # No save timeout: the stall timeout bounds the headers' total arrival time per attempt.
    with Loopback(Reply(trickle_headers=0.02)) as storage:
        item = generated(downloader(vertex_backend(storage.base_url, download_timeout=0.3)))
        began = time.monotonic()
        with pytest.raises(veowrap.DownloadError, match="timeout"):
            save(item, flavour, tmp_path / "v.mp4")
        assert time.monotonic() - began < 3 * 0.3 + 0.1 + SLACK
        assert len(storage.requests) == 3  # every attempt, each cut at 0.3 s
    assert list(tmp_path.iterdir()) == []


def test_a_slow_but_finishing_save_within_its_timeout_succeeds(tmp_path: Path) -> None:
    with Loopback(video(after=len(MP4) - 20, trickle=0.01)) as storage:
        item = generated(downloader(vertex_backend(storage.base_url, download_timeout=1)))
        path = item.save(tmp_path / "v.mp4", timeout=5)
    assert path.read_bytes() == MP4


def test_a_timeout_must_be_positive(tmp_path: Path) -> None:
    item = generated(downloader(vertex_backend("http://127.0.0.1:9")))
    with pytest.raises(veowrap.RequestValidationError):
        item.save(tmp_path, timeout=0)


# -- cancelling while the file is PROCESSING -------------------------------------------------


def _processing(seen: Seen) -> Reply:
    if ":download" in seen.path:
        return video()
    return Reply(body=b'{"name": "files/abc", "state": "PROCESSING"}')


def test_cancelling_save_async_while_processing_is_prompt(tmp_path: Path) -> None:
    with Loopback(_processing) as api:
        item = generated(downloader(gemini_backend(api.base_url, download_timeout=30)), FILES_URI)

        async def main() -> float:
            task = asyncio.ensure_future(item.save_async(tmp_path / "v.mp4"))
            await asyncio.sleep(0.3)
            assert len(api.requests) >= 2  # polling the state
            began = time.monotonic()
            task.cancel()
            with pytest.raises(asyncio.CancelledError) as caught:
                await task
            assert any("resume" in note for note in getattr(caught.value, "__notes__", ()))
            return time.monotonic() - began

        assert asyncio.run(main()) < 0.2
        assert wait_for(lambda: download_threads() == 0, 0.5)
        polls = len(api.requests)
        time.sleep(0.3)
        assert len(api.requests) == polls  # the worker stopped polling
    assert list(tmp_path.iterdir()) == []


def test_ctrl_c_during_save_while_processing_is_prompt(tmp_path: Path) -> None:
    with Loopback(_processing) as api:
        item = generated(downloader(gemini_backend(api.base_url, download_timeout=30)), FILES_URI)
        fired: list[float] = []

        def interrupt() -> None:
            fired.append(time.monotonic())
            _thread.interrupt_main()

        timer = threading.Timer(0.3, interrupt)
        timer.start()
        with pytest.raises(KeyboardInterrupt) as caught:
            item.save(tmp_path / "v.mp4")
        assert time.monotonic() - fired[0] < 0.3
        assert any("resume" in note for note in getattr(caught.value, "__notes__", ()))
        assert wait_for(lambda: download_threads() == 0, 0.5)
    assert list(tmp_path.iterdir()) == []


def test_a_file_that_stays_processing_ends_with_a_typed_error(tmp_path: Path) -> None:
    with Loopback(_processing) as api:
        item = generated(downloader(gemini_backend(api.base_url, download_timeout=0.3)), FILES_URI)
        with pytest.raises(veowrap.DownloadError, match="PROCESSING"):
            item.save(tmp_path / "v.mp4")


# -- Retry-After ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "cap", "obeyed"),
    [
        (None, 30.0, None),
        (5.0, 30.0, 5.0),
        (3600.0, 30.0, 30.0),
        (-1.0, 30.0, 0.0),
        (86400.0, 0.05, 0.05),
    ],
)
def test_retry_after_is_capped(given: float | None, cap: float, obeyed: float | None) -> None:
    assert capped_retry_after(given, cap) == obeyed
    assert capped_retry_after(1e9) == MAX_RETRY_AFTER


def _once_then(first: Reply, then: Any) -> Any:
    count = [0]

    def handle(seen: Seen) -> Reply:
        count[0] += 1
        return first if count[0] == 1 else then(seen)

    return handle


@pytest.mark.parametrize("route", ["gcs-download", "files-state"])
def test_a_huge_retry_after_is_not_obeyed(tmp_path: Path, route: str) -> None:
    busy = Reply(status=503 if route == "gcs-download" else 429, headers={"Retry-After": "3600"})
    events: list[Any] = []
    if route == "gcs-download":
        server = Loopback(_once_then(busy, lambda seen: video()))
        backend = vertex_backend(server.base_url)
        uri = "gs://bucket/v.mp4"
    else:
        server = Loopback(_once_then(busy, lambda seen: _active(seen)))
        backend = gemini_backend(server.base_url)
        uri = FILES_URI
    with server:
        item = generated(downloader(backend, on_event=events.append, retry_after_cap=0.05), uri)
        began = time.monotonic()
        path = item.save(tmp_path / "v.mp4", timeout=5)
        assert time.monotonic() - began < 2
    assert path.read_bytes() == MP4
    assert [round(event.delay, 2) for event in events] == [0.05]


def _active(seen: Seen) -> Reply:
    if ":download" in seen.path:
        return video()
    return Reply(body=b'{"name": "files/abc", "state": "ACTIVE"}')
