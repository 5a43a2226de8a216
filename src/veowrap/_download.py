"""Saving finished videos: streamed, retried, checked, and atomic.

A video is written to a temporary file in the destination's own directory, its byte count is
checked against what the server announced, it is flushed to disk, and only then renamed over
the destination. Any failure — a cut connection, a full disk, Ctrl-C — removes the temporary
file, so the destination holds either the complete video or nothing new.

Downloads are blocking and run the same code in sync and async generators (the async one runs
them in a worker thread), so the retry rules live here once.
"""

from __future__ import annotations

import http.client
import os
import random
import secrets
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path

import tenacity

from veowrap._core.faults import classify
from veowrap._core.retrying import DeadlineReached, RetryPolicy, retry_arguments
from veowrap._core.status import VideoRef
from veowrap._errors import DownloadError, VeowrapError
from veowrap._events import Event
from veowrap._handle import OperationHandle
from veowrap.backends._protocol import VideoStream

__all__ = ["DownloadCancelled", "Downloader", "write_atomically"]

# Small enough that a cancelled or overdue transfer notices within a fraction of a second.
CHUNK_SIZE = 1 << 18
_TEMP_MARK = ".veowrap-partial-"


class DownloadCancelled(Exception):
    """The caller stopped a download in progress (an async task was cancelled)."""


def write_atomically(
    open_stream: Callable[[], AbstractContextManager[VideoStream]],
    destination: Path,
    *,
    cancelled: threading.Event | None = None,
    deadline: float | None = None,
    chunk_size: int = CHUNK_SIZE,
) -> int:
    """Streams a video to ``destination`` through a temporary file; returns the bytes written.

    The temporary file is created with mode 0o666 so the user's umask applies, exactly as
    for any file the user's programs create.
    """
    destination.parent.mkdir(parents=True, exist_ok=True)
    temporary = destination.with_name(f".{destination.name}{_TEMP_MARK}{secrets.token_hex(4)}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(descriptor, "wb") as file, open_stream() as stream:
            written = 0
            for chunk in stream.chunks(chunk_size):
                if cancelled is not None and cancelled.is_set():
                    raise DownloadCancelled("the download was cancelled")
                if deadline is not None and time.monotonic() > deadline:
                    raise TimeoutError("the download did not finish before the deadline")
                file.write(chunk)
                written += len(chunk)
            if stream.length is not None and written != stream.length:
                raise http.client.IncompleteRead(b"", stream.length - written)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, destination)
        return written
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


@dataclass
class Downloader:
    """Saves videos through a backend's ``open_video`` with retries on transient faults.

    Attributes:
        open_video: The backend's opener.
        policy: Retry policy for downloads.
        on_event: Receives retry events.
    """

    open_video: Callable[[VideoRef], AbstractContextManager[VideoStream]]
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    on_event: Callable[[Event], None] = lambda event: None

    def save(
        self,
        video: VideoRef,
        destination: Path,
        *,
        handle: OperationHandle | None = None,
        deadline: float | None = None,
        cancelled: threading.Event | None = None,
    ) -> Path:
        """Saves ``video`` at ``destination``, retrying the whole transfer when it breaks.

        Raises:
            DownloadError: The video could not be saved; nothing is left at the destination.
        """
        retrying = tenacity.Retrying(
            **retry_arguments(
                self.policy,
                "download",
                deadline=deadline,
                clock=time.monotonic,
                rand=random.random,
                on_retry=self.on_event,
            )
        )
        try:
            retrying(
                write_atomically,
                lambda: self.open_video(video),
                destination,
                cancelled=cancelled,
                deadline=deadline,
            )
        except DownloadCancelled:
            raise
        except DeadlineReached as error:
            raise DownloadError(
                f"The deadline passed while retrying the download of {str(destination)!r}.",
                hint="Nothing partial was left there; call save() again.",
                handle=handle,
            ) from error
        except VeowrapError as error:
            raise DownloadError(error.message, hint=error.hint, handle=handle) from error
        except Exception as error:
            verdict = classify(error, "download")
            reason = (
                f"{type(error).__name__}: {error}"
                if verdict.fault.kind == "other"
                else verdict.fault.describe()
            )
            raise DownloadError(
                f"Could not save the video to {str(destination)!r} ({reason}).",
                hint="Nothing partial was left there. Check the disk and permissions, then call "
                "save() again, or resume with generator.wait(handle).",
                handle=handle,
            ) from error
        return destination
