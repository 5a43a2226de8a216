"""Checking, before anything is paid for, that videos can be saved where the caller wants them.

A generation costs money before its first byte can be written, so a destination that cannot
take the file must be found out up front: a directory that cannot be created (under a regular
file, on a read-only file system, under ``/proc``), one that cannot be written, or a file that
already exists and must not be replaced.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
from pathlib import Path

from veowrap._core import validation
from veowrap._errors import DestinationError, DestinationExistsError

__all__ = ["check_directory", "check_file"]

_PROBE_MARK = ".veowrap-probe-"


def check_directory(path: str | os.PathLike[str]) -> Path:
    """Creates ``path`` if needed and proves a file can be written and removed in it.

    Returns:
        The directory.

    Raises:
        RequestValidationError: ``path`` is not a path (another type, empty, a NUL in it).
        DestinationError: It cannot be created or written; the message names the reason.
    """
    directory = Path(validation.path("output_dir", path))
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise DestinationError(
            f"Cannot save videos in {str(directory)!r}: it exists and is not a directory.",
            path=str(directory),
            hint="Choose a directory (or a new path) for -o / output_dir.",
        ) from None
    except OSError as error:
        raise _unusable(directory, error) from None
    if not directory.is_dir():
        raise DestinationError(
            f"Cannot save videos in {str(directory)!r}: it is not a directory.",
            path=str(directory),
            hint="Choose a directory (or a new path) for -o / output_dir.",
        )
    probe = directory / f"{_PROBE_MARK}{secrets.token_hex(4)}"
    try:
        descriptor = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(descriptor, b"veowrap")
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
    except OSError as error:
        raise _unusable(directory, error) from None
    finally:
        with contextlib.suppress(OSError):
            probe.unlink(missing_ok=True)
    return directory


def check_file(path: str | os.PathLike[str], *, overwrite: bool = False) -> Path:
    """Checks that a video can be saved at the file path ``path``.

    The parent directory is created and probed; an existing file is refused unless
    ``overwrite`` is true, and an existing directory is always refused.

    Raises:
        DestinationExistsError: A file is already there and ``overwrite`` is false.
        DestinationError: The parent cannot be created or written, or ``path`` is a directory.
    """
    target = Path(path)
    if target.is_dir():
        raise DestinationError(
            f"Cannot save a video as {str(target)!r}: it is a directory.",
            path=str(target),
            hint="Pass a file name, or end the path with '/' to save inside the directory.",
        )
    check_directory(target.parent if str(target.parent) else Path("."))
    if not overwrite and (target.exists() or target.is_symlink()):
        raise DestinationExistsError(
            f"{str(target)!r} already exists; it was not replaced.",
            path=str(target),
            hint="Choose another path, or pass overwrite=True (CLI: --overwrite) to replace it.",
        )
    return target


def _unusable(directory: Path, error: OSError) -> DestinationError:
    reason = {
        errno.EROFS: "the file system is read-only",
        errno.EACCES: "permission denied",
        errno.EPERM: "operation not permitted",
        errno.ENOTDIR: "a part of the path is a file, not a directory",
        errno.ENOSPC: "the disk is full",
        errno.EDQUOT: "the disk quota is exhausted",
        errno.ENAMETOOLONG: "the name is too long",
    }.get(error.errno or 0, error.strerror or type(error).__name__)
    return DestinationError(
        f"Cannot save videos in {str(directory)!r}: {reason}.",
        path=str(directory),
        hint="Choose a writable directory for -o / output_dir (nothing was submitted).",
    )
