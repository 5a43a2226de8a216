"""Finished generations: `GenerationResult` and its `GeneratedVideo` items."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import html
import io
import re
import threading
import time
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path

from veowrap._core.plan import Outcome
from veowrap._core.status import VideoRef
from veowrap._download import Downloader
from veowrap._handle import OperationHandle, note_resumable

__all__ = ["GeneratedVideo", "GenerationResult"]

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_INLINE_HTML_LIMIT = 16 * 1024 * 1024
_MAX_STEM = 100


def _file_stem(handle: OperationHandle) -> str:
    # Names derived from server data are sanitised so they can never leave the directory, and
    # kept short enough for any file system (long ones keep a digest to stay distinct).
    stem = _UNSAFE.sub("-", handle.name.rsplit("/", 1)[-1]).strip(".-") or "video"
    if len(stem) > _MAX_STEM:
        digest = hashlib.sha256(stem.encode()).hexdigest()[:12]
        stem = f"{stem[: _MAX_STEM - 13]}-{digest}"
    return stem


@dataclass(frozen=True)
class GeneratedVideo:
    """One finished video.

    Attributes:
        index: Its position in the result.
        mime_type: Its MIME type, usually ``video/mp4``.
        uri: Where it is stored remotely (``gs://`` or a Files API URI), or ``None`` when the
            service returned its bytes inline.
        handle: The operation that made it.
    """

    index: int
    mime_type: str | None
    uri: str | None
    handle: OperationHandle
    _ref: VideoRef = field(repr=False)
    _downloader: Downloader = field(repr=False)

    def save(self, path: str | PathLike[str] = ".", *, timeout: float | None = None) -> Path:
        """Streams the video to ``path`` atomically and returns the file's path.

        Args:
            path: A file path, or an existing directory (or one ending in ``/``), in which the
                file is named after the operation.
            timeout: Seconds the whole save (retries included) may take.

        Raises:
            DownloadError: It could not be saved; nothing partial is left at ``path``.
        """
        return self._save(path, None, timeout)

    async def save_async(
        self, path: str | PathLike[str] = ".", *, timeout: float | None = None
    ) -> Path:
        """Like :meth:`save`, without blocking the event loop.

        If the awaiting task is cancelled, the transfer stops and its temporary file is removed
        before the cancellation propagates.
        """
        cancelled = threading.Event()
        task = asyncio.ensure_future(asyncio.to_thread(self._save, path, cancelled, timeout))
        try:
            return await asyncio.shield(task)
        except asyncio.CancelledError as error:
            cancelled.set()
            await asyncio.wait({task})
            if not task.cancelled():
                task.exception()  # retrieved: the worker's DownloadCancelled is expected
            note_resumable(error, self.handle)
            raise

    def read_bytes(self) -> bytes:
        """Returns the whole video in memory (fine for short clips; use :meth:`save` otherwise)."""
        if self._ref.data is not None:
            return self._ref.data
        buffer = io.BytesIO()
        with self._downloader.open_video(self._ref) as stream:
            for chunk in stream.chunks(1 << 20):
                buffer.write(chunk)
        return buffer.getvalue()

    def _save(
        self,
        path: str | PathLike[str],
        cancelled: threading.Event | None,
        timeout: float | None = None,
    ) -> Path:
        destination = Path(path)
        if destination.is_dir() or str(path).endswith(("/", "\\")):
            suffix = "" if self.index == 0 else f"-{self.index}"
            destination = destination / f"{_file_stem(self.handle)}{suffix}.mp4"
        deadline = None if timeout is None else time.monotonic() + timeout
        try:
            return self._downloader.save(
                self._ref, destination, handle=self.handle, deadline=deadline, cancelled=cancelled
            )
        except BaseException as error:
            # Here, in the thread doing the work: asyncio lets a KeyboardInterrupt raised in a
            # worker escape the event loop without passing through save_async.
            note_resumable(error, self.handle)
            raise

    def _repr_html_(self) -> str:
        if self._ref.data is not None and len(self._ref.data) <= _INLINE_HTML_LIMIT:
            source = f"data:{self.mime_type or 'video/mp4'};base64,"
            source += base64.b64encode(self._ref.data).decode()
            return f'<video controls src="{source}" style="max-width:100%"></video>'
        return (
            f"<p>Video {self.index} of <code>{html.escape(self.handle.name)}</code>: "
            "call <code>.save(path)</code> to download it.</p>"
        )


@dataclass(frozen=True)
class GenerationResult:
    """The videos of a finished operation and how the job went.

    Attributes:
        videos: The videos that survived safety filtering.
        handle: The operation.
        elapsed: Seconds spent waiting (from submission or resumption to completion).
        polls: Status reads made while waiting.
        filtered_count: Videos withheld by safety filters (not billed).
        filtered_reasons: The service's reasons for withholding them.
    """

    videos: tuple[GeneratedVideo, ...]
    handle: OperationHandle
    elapsed: float
    polls: int
    filtered_count: int = 0
    filtered_reasons: tuple[str, ...] = ()

    @classmethod
    def from_outcome(cls, outcome: Outcome, downloader: Downloader) -> GenerationResult:
        """Builds a result from a finished wait."""
        status = outcome.status
        videos = tuple(
            GeneratedVideo(
                index=index,
                mime_type=ref.mime_type or "video/mp4",
                uri=ref.uri,
                handle=outcome.handle,
                _ref=ref,
                _downloader=downloader,
            )
            for index, ref in enumerate(status.videos)
        )
        return cls(
            videos=videos,
            handle=outcome.handle,
            elapsed=outcome.elapsed,
            polls=outcome.polls,
            filtered_count=status.filtered_count,
            filtered_reasons=status.filtered_reasons,
        )

    @property
    def model(self) -> str | None:
        """The model that made the videos."""
        return self.handle.model

    @property
    def operation_name(self) -> str:
        """The operation's name."""
        return self.handle.name

    def save(self, path: str | PathLike[str] = ".", *, timeout: float | None = None) -> list[Path]:
        """Saves every video and returns their paths.

        Args:
            path: A directory (created if needed when it ends in ``/`` or has no suffix), or,
                for a single video, a file path. Several videos saved to a file path get
                ``-1``, ``-2``… suffixes after the first.
            timeout: Seconds each video's save may take.
        """
        return [
            video.save(self._place(video, Path(path)), timeout=timeout) for video in self.videos
        ]

    async def save_async(
        self, path: str | PathLike[str] = ".", *, timeout: float | None = None
    ) -> list[Path]:
        """Like :meth:`save`, without blocking the event loop."""
        return [
            await video.save_async(self._place(video, Path(path)), timeout=timeout)
            for video in self.videos
        ]

    def _place(self, video: GeneratedVideo, path: Path) -> Path | str:
        if path.is_dir() or path.suffix == "":
            return f"{path}/"
        if video.index == 0:
            return path
        return path.with_name(f"{path.stem}-{video.index}{path.suffix}")

    def _repr_html_(self) -> str:
        return "".join(video._repr_html_() for video in self.videos)

    def __repr__(self) -> str:
        return (
            f"GenerationResult({self.handle.name!r}, videos={len(self.videos)}, "
            f"filtered={self.filtered_count}, elapsed={self.elapsed:.1f}s)"
        )
