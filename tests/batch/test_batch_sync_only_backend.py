"""The sync `generate_many` runs with a backend that has only sync calls."""

from __future__ import annotations

from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import veowrap
from veowrap._core.status import VideoRef
from veowrap._handle import OperationHandle, Platform, Route
from veowrap.backends import AsyncBackend, Backend, VideoStream
from veowrap.backends.fake import Failure, FakeBackend
from veowrap.testing import inspect_mp4


class SyncOnly:
    """A third-party style backend: submit/poll/cancel only (here, over a FakeBackend)."""

    def __init__(self, inner: FakeBackend) -> None:
        self.inner = inner
        self.threads: set[str] = set()

    @property
    def platform(self) -> Platform:
        return self.inner.platform

    def default_model(self) -> str:
        return self.inner.default_model()

    def route_for(self, model: str) -> Route:
        return self.inner.route_for(model)

    def prepare(self, request: veowrap.VideoRequest, model: str) -> None:
        self.inner.prepare(request, model)

    def open_video(self, video: VideoRef) -> AbstractContextManager[VideoStream]:
        return self.inner.open_video(video)

    def submit(self, request: veowrap.VideoRequest, model: str) -> Any:
        import threading

        self.threads.add(threading.current_thread().name)
        return self.inner.submit(request, model)

    def poll(self, handle: OperationHandle) -> Any:
        return self.inner.poll(handle)

    def cancel(self, handle: OperationHandle) -> None:
        self.inner.cancel(handle)


def _backend() -> SyncOnly:
    # Real time, short jobs: the adapter runs calls in threads, not on a virtual clock.
    return SyncOnly(FakeBackend(platform="vertex", latency=0.05, virtual_time=False))


def test_the_backend_really_is_sync_only() -> None:
    backend = _backend()
    assert isinstance(backend, Backend)
    assert not isinstance(backend, AsyncBackend)


def test_sync_generate_many_runs_a_batch_on_a_sync_only_backend(tmp_path: Path) -> None:
    backend = _backend()
    backend.inner.script(Failure(code=13, message="boom"))
    schedule = veowrap.PollSchedule.fixed(0.02)
    with veowrap.VideoGenerator(backend=backend, poll_schedule=schedule) as gen:
        items = gen.generate_all(
            ["a", "b", "c"], output_dir=tmp_path, journal=tmp_path / "j.sqlite", concurrency=2
        )
    assert [item.ok for item in items].count(True) == 2
    failed = [item for item in items if not item.ok]
    assert isinstance(failed[0].error, veowrap.OperationFailedError)
    saved = sorted(tmp_path.glob("*.mp4"))
    assert len(saved) == 2
    assert all(inspect_mp4(path).duration_s > 0 for path in saved)
    assert len(backend.inner.submitted) == 3
    assert backend.threads  # the creates ran in worker threads, not on the event loop


def test_sync_only_backend_still_refused_by_the_async_generator() -> None:
    import pytest

    with pytest.raises(veowrap.UnsupportedCapabilityError, match="VideoGenerator"):
        veowrap.AsyncVideoGenerator(backend=_backend())


class NeutralBackend(SyncOnly):
    """A backend that answers with veowrap's neutral OperationStatus, not Google's JSON."""

    def submit(self, request: veowrap.VideoRequest, model: str) -> Any:
        from veowrap._core.status import read_operation

        return read_operation(super().submit(request, model))

    def poll(self, handle: OperationHandle) -> Any:
        from veowrap._core.status import read_operation

        return read_operation(super().poll(handle))


def test_a_backend_may_answer_with_operation_status(tmp_path: Path) -> None:
    backend = NeutralBackend(FakeBackend(platform="vertex", latency=0.02, virtual_time=False))
    gen = veowrap.VideoGenerator(backend=backend, poll_schedule=veowrap.PollSchedule.fixed(0.01))
    result = gen.generate("a kite", model="veo-3.1-generate-001")
    (path,) = result.save(tmp_path / "kite.mp4")
    assert inspect_mp4(path).duration_s > 0
    assert isinstance(gen.status(result.handle), veowrap.OperationStatus)
