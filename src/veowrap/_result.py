"""Finished generations: `GenerationResult` and its `GeneratedVideo` items."""

from __future__ import annotations

import base64
import html
import os
import threading
import time
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path

from veowrap._core.deadline import deadline_after
from veowrap._core.plan import Outcome
from veowrap._core.status import VideoRef
from veowrap._download import Downloader
from veowrap._errors import DestinationExistsError, DownloadError
from veowrap._files import indexed_path, video_file_name
from veowrap._handle import OperationHandle, note_resumable
from veowrap._observe import save_span
from veowrap._redact import redact

__all__ = ["GeneratedVideo", "GenerationResult"]

_INLINE_HTML_LIMIT = 16 * 1024 * 1024
_OVERWRITE_HINT = "Choose another path, or pass overwrite=True (CLI: --overwrite) to replace it."


def _deadline(timeout: float | None) -> float | None:
    # Saves run on real time, whatever clock the generator that made the result keeps.
    return deadline_after(timeout, time.monotonic)


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

    def __repr__(self) -> str:
        # The URI is the server's text and may carry a credential; reprs end up in logs.
        return redact(
            f"GeneratedVideo(index={self.index}, mime_type={self.mime_type!r}, uri={self.uri!r}, "
            f"handle={self.handle!r})"
        )

    def save(
        self,
        path: str | PathLike[str] = ".",
        *,
        timeout: float | None = None,
        overwrite: bool = False,
    ) -> Path:
        """Streams the video to ``path`` atomically and returns the file's path.

        The bytes are checked on the way (an MP4, complete, of the announced length); the file
        appears at ``path`` only when whole, and an existing file is never replaced unless
        ``overwrite`` is given.

        Args:
            path: A file path, or an existing directory (or one ending in ``/``), in which the
                file is named after the operation.
            timeout: Seconds the whole save (retries included) may take.
            overwrite: Replace a file already at the destination.

        Raises:
            DestinationExistsError: A file is already there and ``overwrite`` is false.
            DownloadError: It could not be saved in time, or what arrived is not a whole MP4;
                nothing partial is left at ``path``.
        """
        return self._save(path, None, timeout, overwrite)

    async def save_async(
        self,
        path: str | PathLike[str] = ".",
        *,
        timeout: float | None = None,
        overwrite: bool = False,
    ) -> Path:
        """Like :meth:`save`, without blocking the event loop.

        If the awaiting task is cancelled, the save is abandoned at once: its temporary file
        is removed and the file can no longer appear, before the cancellation propagates.
        """
        destination = self._destination(path)
        return await self._save_async_until(destination, _deadline(timeout), overwrite)

    def read_bytes(self, *, timeout: float | None = None) -> bytes:
        """Returns the whole, checked video in memory (fine for short clips; use :meth:`save`
        otherwise).

        Raises:
            DownloadError: It could not be fetched in time, or it is not a whole MP4.
        """
        try:
            with save_span(self.handle, self.index):
                return self._downloader.read(
                    self._ref, handle=self.handle, deadline=_deadline(timeout)
                )
        except BaseException as error:
            note_resumable(error, self.handle)
            raise

    def _destination(self, path: str | PathLike[str]) -> Path:
        destination = Path(path)
        if os.path.isdir(destination) or str(path).endswith(("/", "\\")):
            destination = destination / video_file_name(self.handle.name, self.index)
        return destination

    def _save(
        self,
        path: str | PathLike[str],
        cancelled: threading.Event | None,
        timeout: float | None = None,
        overwrite: bool = False,
    ) -> Path:
        return self._save_until(self._destination(path), _deadline(timeout), overwrite, cancelled)

    def _save_until(
        self,
        destination: Path,
        deadline: float | None,
        overwrite: bool,
        cancelled: threading.Event | None = None,
    ) -> Path:
        try:
            with save_span(self.handle, self.index):
                return self._downloader.save(
                    self._ref,
                    destination,
                    handle=self.handle,
                    deadline=deadline,
                    cancelled=cancelled,
                    overwrite=overwrite,
                )
        except BaseException as error:
            note_resumable(error, self.handle)
            raise

    async def _save_async_until(
        self, destination: Path, deadline: float | None, overwrite: bool
    ) -> Path:
        try:
            with save_span(self.handle, self.index):
                return await self._downloader.save_async(
                    self._ref,
                    destination,
                    handle=self.handle,
                    deadline=deadline,
                    overwrite=overwrite,
                )
        except BaseException as error:  # CancelledError and KeyboardInterrupt included
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

    def save(
        self,
        path: str | PathLike[str] = ".",
        *,
        timeout: float | None = None,
        overwrite: bool = False,
    ) -> list[Path]:
        """Saves every video and returns their paths.

        Every destination is checked before the first byte is written: without ``overwrite``,
        one existing file refuses the whole save.

        Args:
            path: A directory (created if needed when it ends in ``/`` or has no suffix), or,
                for a single video, a file path. Several videos saved to a file path get
                ``-1``, ``-2``… suffixes after the first.
            timeout: Seconds the whole call (every video) may take.
            overwrite: Replace files already at the destinations.

        Raises:
            DestinationExistsError: A destination exists and ``overwrite`` is false; nothing
                was written.
            DownloadError: A video could not be saved (those saved before it stay).
        """
        deadline = _deadline(timeout)
        targets = self._targets(Path(path), overwrite)
        return [
            video._save_until(target, deadline, overwrite)
            for video, target in zip(self.videos, targets, strict=True)
        ]

    async def save_async(
        self,
        path: str | PathLike[str] = ".",
        *,
        timeout: float | None = None,
        overwrite: bool = False,
    ) -> list[Path]:
        """Like :meth:`save`, without blocking the event loop."""
        deadline = _deadline(timeout)
        targets = self._targets(Path(path), overwrite)
        return [
            await video._save_async_until(target, deadline, overwrite)
            for video, target in zip(self.videos, targets, strict=True)
        ]

    def _targets(self, path: Path, overwrite: bool) -> list[Path]:
        """Every video's destination: distinct, and (without ``overwrite``) all free."""
        if os.path.isdir(path) or path.suffix == "":
            targets = [path / video_file_name(self.handle.name, v.index) for v in self.videos]
        else:
            targets = [indexed_path(path, video.index) for video in self.videos]
        if len(set(targets)) != len(targets):
            raise DownloadError(
                f"The videos of {self.handle.name} would share a file name under {str(path)!r}.",
                hint="Save them one by one with GeneratedVideo.save(path).",
                handle=self.handle,
            )
        if not overwrite:
            taken = [t for t in targets if os.path.lexists(t)]
            if taken:
                others = f" (and {len(taken) - 1} more)" if len(taken) > 1 else ""
                raise DestinationExistsError(
                    f"{str(taken[0])!r}{others} already exists; nothing was replaced or saved.",
                    path=str(taken[0]),
                    hint=_OVERWRITE_HINT,
                    handle=self.handle,
                )
        return targets

    def _repr_html_(self) -> str:
        return "".join(video._repr_html_() for video in self.videos)

    def __repr__(self) -> str:
        return (
            f"GenerationResult({self.handle.name!r}, videos={len(self.videos)}, "
            f"filtered={self.filtered_count}, elapsed={self.elapsed:.1f}s)"
        )
