"""What ``generate``, ``wait`` and ``batch`` check before anything is paid for or waited on.

A job costs money before its first byte can be saved, so a ``-o`` that cannot take the videos
(under a regular file, on a read-only file system, under ``/proc``, an existing file without
``--overwrite``), a place where the handle cannot be written, or a journal that cannot be
used must be found out before submitting, not after the job completes. (A batch journal is
checked by the batch engine when it opens it, which is also before anything is sent.)
"""

from __future__ import annotations

from pathlib import Path

from veowrap._destination import check_directory, check_file
from veowrap._errors import DestinationError
from veowrap._handle import OperationHandle
from veowrap.cli._handles import handle_path, is_directory_output

__all__ = ["check_output", "video_paths"]


def check_output(
    output: str, *, overwrite: bool, videos: int = 1, handle: OperationHandle | None = None
) -> None:
    """Checks, before submitting or waiting, that the videos and their handle can be saved.

    A directory ``-o`` is created and probed; a file ``-o`` has its directory probed and is
    refused if it exists (or, for several videos, if ``name-1.mp4``… exist) unless
    ``overwrite``. The handle file (``<output>.handle.json``, or inside a directory a file
    named after the operation) goes in the directory the probe has just shown writable; it
    must not be a directory.

    Args:
        output: The ``-o`` value.
        overwrite: Whether existing video files may be replaced (``--overwrite``).
        videos: How many videos the job makes.
        handle: The job, when known (``wait``); names the handle file in a directory.

    Raises:
        DestinationError: The videos or the handle could not be saved there.
        DestinationExistsError: A video file is already there and ``overwrite`` is false.
    """
    if is_directory_output(output):
        check_directory(output)
        if handle is None:
            return
        handle_file = handle_path(handle, output)
    else:
        target = Path(output)
        for path in video_paths(target, videos):
            check_file(path, overwrite=overwrite)
        handle_file = target.with_name(target.name + ".handle.json")
    if handle_file.is_dir():
        raise DestinationError(
            f"Cannot save the job's handle as {str(handle_file)!r}: it is a directory.",
            path=str(handle_file),
            hint="Remove that directory or choose another -o (nothing was submitted).",
        )


def video_paths(target: Path, videos: int) -> list[Path]:
    """The files ``GenerationResult.save(target)`` writes for a file ``target``."""
    return [target] + [
        target.with_name(f"{target.stem}-{index}{target.suffix}")
        for index in range(1, max(videos, 1))
    ]
