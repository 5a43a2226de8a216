"""Saving finished videos: streamed, checked, retried, bounded in time, and atomic.

A video is streamed into a hidden temporary file next to its destination
(:class:`veowrap._files.PartialFile`). On the way, its bytes are checked: they must be an MP4
from the first chunk on (an HTML page or a JSON error is refused by name), match the announced
Content-Length, and end as a structurally complete file (:mod:`veowrap._core.mp4check`). Only
then is the file fsynced and put at the destination in one step, never over an existing file
unless ``overwrite`` was given. Any failure removes the temporary file.

Each save runs in a worker thread while the caller waits for it, so no server behaviour can
hold the caller past its deadline: at the deadline, on Ctrl-C or when an async task is
cancelled, the caller abandons the transfer (its temporary file is removed at once, and the
file can no longer be committed) and the worker stops at its next read. Sync and async callers
share this code, so the rules live here once.
"""

from __future__ import annotations

import asyncio
import contextlib
import http.client
import io
import os
import random
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from veowrap._core.faults import classify, describe
from veowrap._core.fetching import MAX_RETRY_AFTER, capped_retry_after
from veowrap._core.mp4check import Mp4Walker, VideoProblem, check_mp4_bytes
from veowrap._core.retrying import DeadlineReached, RetryPolicy, retry_arguments
from veowrap._core.status import VideoRef
from veowrap._errors import DestinationExistsError, DownloadError, VeowrapError
from veowrap._events import Event
from veowrap._files import (
    TEMP_MARK,
    PartialFile,
    PartialFileDiscarded,
    name_max,
    sweep_stale_partials,
)
from veowrap._handle import OperationHandle
from veowrap._transfer import DownloadCancelled, TransferScope, transfer_scope
from veowrap.backends._protocol import VideoStream

if TYPE_CHECKING:
    import tenacity

__all__ = ["DownloadCancelled", "Downloader", "IncompleteVideo", "write_atomically"]

# Small enough that a cancelled or overdue transfer notices within a fraction of a second.
CHUNK_SIZE = 1 << 18
#: How long a caller past its deadline still waits for the worker's own, more precise error.
DEADLINE_GRACE = 0.2
_WAIT_SLICE = 0.1
_TEMP_MARK = TEMP_MARK  # the name tests and older code know

T = TypeVar("T")
Opener = Callable[[], AbstractContextManager[VideoStream]]


class IncompleteVideo(http.client.IncompleteRead):
    """The bytes stopped before the MP4 was complete (retried like a cut connection)."""

    def __init__(self, detail: str) -> None:
        super().__init__(b"")
        self.detail = detail

    def __str__(self) -> str:
        return self.detail

    __repr__ = __str__


def _refused(problem: VideoProblem) -> Exception:
    if problem.kind == "truncated":
        return IncompleteVideo(problem.detail)
    if problem.kind == "not_video":
        return DownloadError(
            f"Refused to save the video: the server sent {problem.detail} instead of an MP4.",
            hint="Nothing was written. This is usually an error page from a proxy or the "
            "service; try again later, or check the base URL and network.",
        )
    return DownloadError(
        f"Refused to save the video: it is not a valid MP4 ({problem.detail}).",
        hint="Nothing was written; try again later.",
    )


def _receive(
    open_stream: Opener,
    sink: Callable[[bytes], object],
    scope: TransferScope,
    chunk_size: int = CHUNK_SIZE,
) -> int:
    """Streams one video into ``sink``, checking it on the way; returns the bytes received."""
    with open_stream() as stream:
        length = stream.length
        walker = Mp4Walker(getattr(stream, "content_type", None), length)
        received = 0
        try:
            for chunk in stream.chunks(chunk_size):
                scope.check()
                if not chunk:
                    continue
                received += len(chunk)
                if length is not None and received > length:
                    raise http.client.IncompleteRead(b"", length - received)
                walker.feed(chunk)
                sink(chunk)
            if length is not None and received != length:
                raise http.client.IncompleteRead(b"", length - received)
            walker.finish()
        except VideoProblem as problem:
            raise _refused(problem) from None
    return received


def write_atomically(
    open_stream: Opener,
    destination: Path,
    *,
    cancelled: threading.Event | None = None,
    deadline: float | None = None,
    chunk_size: int = CHUNK_SIZE,
    overwrite: bool = False,
) -> int:
    """Streams a video to ``destination`` through a temporary file, once; returns its size.

    Raises:
        FileExistsError: Without ``overwrite``, a file appeared at ``destination``.
        DownloadError: What arrived is not an MP4.
        http.client.IncompleteRead: The body was shorter or longer than announced, or the MP4
            is incomplete (:class:`IncompleteVideo`).
        DownloadCancelled: ``cancelled`` was set.
        TimeoutError: ``deadline`` (``time.monotonic``) passed.
    """
    destination.parent.mkdir(parents=True, exist_ok=True)
    scope = TransferScope(deadline=deadline, stop=cancelled or threading.Event())
    partial = PartialFile(destination)
    try:
        written = _receive(open_stream, partial.write, scope, chunk_size)
        partial.sync()
        partial.commit(overwrite=overwrite)
        return written
    finally:
        partial.close()
        partial.discard()


# -- a transfer in a worker thread ---------------------------------------------------------


class _Job(Generic[T]):
    """One transfer running in a worker thread, and the caller waiting for it."""

    def __init__(
        self,
        work: Callable[[_Job[T]], T],
        *,
        deadline: float | None,
        stop: threading.Event,
        overdue: Callable[[], BaseException],
    ) -> None:
        self.scope = TransferScope(deadline=deadline, stop=stop)
        self._work = work
        self._overdue = overdue
        self._lock = threading.Lock()
        self._abandoned = False
        self._partial: PartialFile | None = None
        self._done = threading.Event()
        self._outcome: tuple[bool, Any] = (False, None)
        self._listeners: list[Callable[[], None]] = []

    # worker side

    def start(self) -> None:
        threading.Thread(target=self._main, name="veowrap-download", daemon=True).start()

    def _main(self) -> None:
        try:
            with transfer_scope(self.scope):
                outcome: tuple[bool, Any] = (True, self._work(self))
        except BaseException as error:  # handed to the caller, KeyboardInterrupt included
            outcome = (False, error)
        with self._lock:
            self._outcome = outcome
            self._done.set()
            listeners, self._listeners = self._listeners, []
        for listener in listeners:
            listener()

    def adopt(self, destination: Path) -> PartialFile:
        """Creates the temporary file, unless the caller already gave up."""
        with self._lock:
            if self._abandoned:
                raise DownloadCancelled("the download was abandoned")
            self._partial = PartialFile(destination)
            return self._partial

    def may_commit(self) -> bool:
        """Checked under the temporary file's lock, just before it is put in place."""
        deadline = self.scope.deadline
        return not self._abandoned and (deadline is None or time.monotonic() <= deadline)

    # caller side

    def abandon(self) -> bool:
        """Stops the transfer and removes its temporary file.

        Returns:
            ``False`` if the file had already been committed (it is complete and in place).
        """
        with self._lock:
            self._abandoned = True
            partial = self._partial
        self.scope.stop.set()
        return partial.discard() if partial is not None else True

    def _result(self) -> T:
        ok, value = self._outcome
        if ok:
            return value  # type: ignore[no-any-return]
        raise value

    def _past_grace(self) -> bool:
        deadline = self.scope.deadline
        return deadline is not None and time.monotonic() > deadline + DEADLINE_GRACE

    def wait(self, cancelled: threading.Event | None = None) -> T:
        """Blocks until the transfer ends, the deadline passes, or the caller is interrupted."""
        try:
            while not self._done.wait(_WAIT_SLICE):
                if cancelled is not None and cancelled.is_set():
                    raise DownloadCancelled("the download was cancelled")
                if self._past_grace():
                    if self.abandon():
                        raise self._overdue()
                    self._done.wait()  # committed a moment ago: report it
        except BaseException:
            self.abandon()
            raise
        return self._result()

    async def wait_async(self) -> T:
        """Awaits the transfer; a cancelled task or the deadline abandons it."""
        loop = asyncio.get_running_loop()
        finished: asyncio.Future[None] = loop.create_future()

        def wake() -> None:
            def settle() -> None:
                if not finished.done():
                    finished.set_result(None)

            # A closed loop raises RuntimeError: nobody is waiting any more.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(settle)

        with self._lock:
            if self._done.is_set():
                finished.set_result(None)
            else:
                self._listeners.append(wake)
        try:
            deadline = self.scope.deadline
            if deadline is None:
                await finished
            else:
                left = deadline + DEADLINE_GRACE - time.monotonic()
                try:
                    await asyncio.wait_for(asyncio.shield(finished), max(0.0, left))
                except TimeoutError:
                    if self.abandon():
                        raise self._overdue() from None
                    await finished
        except BaseException:
            self.abandon()
            raise
        return self._result()


# -- the downloader ------------------------------------------------------------------------


@dataclass
class Downloader:
    """Saves videos through a backend's ``open_video`` with retries on transient faults.

    Attributes:
        open_video: The backend's opener.
        policy: Retry policy for downloads.
        on_event: Receives retry events (from the worker thread).
        retry_after_cap: The longest ``Retry-After`` obeyed between attempts, in seconds.
    """

    open_video: Callable[[VideoRef], AbstractContextManager[VideoStream]]
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    on_event: Callable[[Event], None] = lambda event: None
    retry_after_cap: float = MAX_RETRY_AFTER

    def save(
        self,
        video: VideoRef,
        destination: Path,
        *,
        handle: OperationHandle | None = None,
        deadline: float | None = None,
        cancelled: threading.Event | None = None,
        overwrite: bool = False,
    ) -> Path:
        """Saves ``video`` at ``destination``, retrying the whole transfer when it breaks.

        Args:
            video: The video.
            destination: The file to create.
            handle: The operation, carried by errors.
            deadline: ``time.monotonic()`` value by which the save must be done.
            cancelled: Set by another thread to stop the save (:class:`DownloadCancelled`).
            overwrite: Replace an existing file instead of refusing.

        Raises:
            DestinationExistsError: A file is there and ``overwrite`` is false.
            DownloadError: The video could not be saved; nothing is left at the destination.
        """
        job = self._save_job(video, destination, handle, deadline, overwrite, cancelled)
        job.start()
        return job.wait(cancelled)

    async def save_async(
        self,
        video: VideoRef,
        destination: Path,
        *,
        handle: OperationHandle | None = None,
        deadline: float | None = None,
        overwrite: bool = False,
    ) -> Path:
        """Like :meth:`save`, awaited; cancelling the task stops the transfer at once."""
        job = self._save_job(video, destination, handle, deadline, overwrite, None)
        job.start()
        return await job.wait_async()

    def read(
        self,
        video: VideoRef,
        *,
        handle: OperationHandle | None = None,
        deadline: float | None = None,
    ) -> bytes:
        """The whole checked video in memory, with the same retries and deadline as a save."""
        if video.data is not None:
            try:
                check_mp4_bytes(video.data, video.mime_type)
            except VideoProblem as problem:
                refused = _refused(problem)
                if isinstance(refused, IncompleteVideo):  # the same bytes every time
                    refused = DownloadError(
                        f"Refused the video: it arrived incomplete ({problem.detail})."
                    )
                raise _with_handle(refused, handle) from None
            return video.data

        def work(job: _Job[bytes]) -> bytes:
            def attempt() -> bytes:
                buffer = io.BytesIO()
                _receive(lambda: self.open_video(video), buffer.write, job.scope)
                return buffer.getvalue()

            try:
                return self._retrying(job.scope)(attempt)
            except BaseException as error:
                failure = self._failure(error, "read the video", handle, job.scope)
                if failure is error:
                    raise
                raise failure from error

        job: _Job[bytes] = _Job(
            work,
            deadline=deadline,
            stop=threading.Event(),
            overdue=lambda: _overdue_error("read the video", handle),
        )
        job.start()
        return job.wait()

    # -- helpers ----------------------------------------------------------------------------

    def _save_job(
        self,
        video: VideoRef,
        destination: Path,
        handle: OperationHandle | None,
        deadline: float | None,
        overwrite: bool,
        cancelled: threading.Event | None,
    ) -> _Job[Path]:
        where = f"save the video to {str(destination)!r}"

        def work(job: _Job[Path]) -> Path:
            try:
                _prepare(destination, overwrite=overwrite, handle=handle)
                sweep_stale_partials(destination.parent)
                partial = job.adopt(destination)
                try:
                    self._retrying(job.scope)(self._attempt, video, partial, job.scope)
                    partial.sync()
                    try:
                        partial.commit(overwrite=overwrite, allowed=job.may_commit)
                    except FileExistsError:
                        raise _exists(destination, handle) from None
                finally:
                    partial.close()
                    partial.discard()
            except BaseException as error:
                failure = self._failure(error, where, handle, job.scope)
                if failure is error:
                    raise
                raise failure from error
            return destination

        return _Job(
            work,
            deadline=deadline,
            stop=cancelled or threading.Event(),
            overdue=lambda: _overdue_error(where, handle),
        )

    def _attempt(self, video: VideoRef, partial: PartialFile, scope: TransferScope) -> int:
        scope.check()
        partial.restart()
        return _receive(lambda: self.open_video(video), partial.write, scope)

    def _retrying(self, scope: TransferScope) -> tenacity.Retrying:
        import tenacity  # loaded by the first save, not by ``import veowrap``

        arguments = retry_arguments(
            self.policy,
            "download",
            deadline=scope.deadline,
            clock=time.monotonic,
            rand=random.random,
            on_retry=self.on_event,
        )
        retry = arguments["retry"]
        policy, cap = self.policy, self.retry_after_cap

        def wait(state: tenacity.RetryCallState) -> float:
            error = state.outcome.exception() if state.outcome else None
            retry_after = describe(error).retry_after if error is not None else None
            return policy.delay(
                state.attempt_number, capped_retry_after(retry_after, cap), random.random()
            )

        def should_retry(state: tenacity.RetryCallState) -> bool:
            return not scope.stop.is_set() and bool(retry(state))

        return tenacity.Retrying(
            **{**arguments, "wait": wait, "retry": should_retry}, sleep=scope.pause
        )

    def _failure(
        self,
        error: BaseException,
        where: str,
        handle: OperationHandle | None,
        scope: TransferScope,
    ) -> BaseException:
        """The typed error to raise for a failed transfer (interruptions pass through)."""
        if not isinstance(error, Exception) or isinstance(error, DownloadCancelled):
            return error
        if isinstance(error, PartialFileDiscarded):
            if scope.stop.is_set():
                return DownloadCancelled("the download was cancelled")
            return _overdue_error(where, handle)
        if isinstance(error, DeadlineReached):
            return DownloadError(
                f"The deadline passed while retrying to {where}.",
                hint="Nothing partial was left there; call save() again with a longer timeout.",
                handle=handle,
            )
        if isinstance(error, VeowrapError):
            return _with_handle(error, handle)
        if isinstance(error, IncompleteVideo):
            return DownloadError(
                f"Could not {where}: the video arrived incomplete ({error.detail}).",
                hint="Nothing partial was left there; call save() again later, or resume with "
                "generator.wait(handle).",
                handle=handle,
            )
        verdict = classify(error, "download")
        deadline = scope.deadline
        if (
            verdict.fault.kind == "timeout"
            and deadline is not None
            and time.monotonic() >= deadline
        ):
            return _overdue_error(where, handle)
        reason = (
            f"{type(error).__name__}: {error}"
            if verdict.fault.kind == "other"
            else verdict.fault.describe()
        )
        return DownloadError(
            f"Could not {where} ({reason}).",
            hint="Nothing partial was left there. Check the disk and permissions, then call "
            "save() again, or resume with generator.wait(handle).",
            handle=handle,
        )


def _with_handle(error: Exception, handle: OperationHandle | None) -> Exception:
    if not isinstance(error, VeowrapError) or error.handle is not None or handle is None:
        return error
    if isinstance(error, DestinationExistsError):
        return DestinationExistsError(
            error.message, path=error.path, hint=error.hint, handle=handle
        )
    return DownloadError(error.message, hint=error.hint, handle=handle)


def _overdue_error(where: str, handle: OperationHandle | None) -> DownloadError:
    return DownloadError(
        f"Could not {where} before the deadline.",
        hint="Nothing partial was left there; call save() again with a longer timeout "
        "(the video stays available for about two days).",
        handle=handle,
    )


def _exists(destination: Path, handle: OperationHandle | None) -> DestinationExistsError:
    return DestinationExistsError(
        f"{str(destination)!r} already exists; it was not replaced.",
        path=str(destination),
        hint="Choose another path, or pass overwrite=True (CLI: --overwrite) to replace it.",
        handle=handle,
    )


def _prepare(destination: Path, *, overwrite: bool, handle: OperationHandle | None) -> None:
    """Refuses, before any byte is fetched, a destination the file could not take."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    size, limit = len(os.fsencode(destination.name)), name_max(destination.parent)
    if size > limit:
        raise DownloadError(
            f"Cannot save as {destination.name!r}: the name is {size} bytes long and the file "
            f"system allows {limit}.",
            hint="Choose a shorter file name.",
            handle=handle,
        )
    if os.path.isdir(destination):
        raise DownloadError(
            f"Cannot save a video as {str(destination)!r}: it is a directory.",
            hint="Pass a file name, or end the path with '/' to save inside the directory.",
            handle=handle,
        )
    if not overwrite and os.path.lexists(destination):
        raise _exists(destination, handle)
