"""Handle files: reading the HANDLE argument, and saving a job's handle where it can be found.

A HANDLE argument is whatever the user typed: a file, a handle's JSON, an operation name, or
something else entirely (a directory, the video instead of its handle, binary junk, a
hundred-thousand-character paste). Each of those is a ``RequestValidationError`` (exit 3).

A saved handle is the only record of a paid job that is still running, so it is written
atomically and durably, and never over the handle of another job.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from veowrap._errors import RequestValidationError
from veowrap._files import NotARegularFileError, read_regular_file
from veowrap._handle import OperationHandle
from veowrap.cli._describe import os_reason

__all__ = ["MAX_HANDLE_CHARS", "handle_path", "load_handle", "save_handle"]

MAX_HANDLE_CHARS = 64 * 1024
"""The longest HANDLE argument or handle file read; a real handle is under 1,000 characters."""

_ALLOWED = "a .handle.json file, a handle's JSON, or an operation name"
_HINT = (
    "Pass the .handle.json file that `veowrap generate` saved, or the operation name it printed."
)


def load_handle(value: str) -> tuple[OperationHandle, Path | None]:
    """Reads HANDLE: a handle JSON file, the JSON itself, or an operation name.

    Returns:
        The handle and the file it came from (``None`` when it was not a file).

    Raises:
        RequestValidationError: It is none of these (whatever it is).
    """
    if len(value) > MAX_HANDLE_CHARS:
        raise RequestValidationError(
            "handle",
            value,
            _ALLOWED,
            reason=f"it is {len(value):,} characters long",
            hint=_HINT,
        )
    if not value.strip():
        raise RequestValidationError("handle", value, _ALLOWED, reason="it is empty", hint=_HINT)
    if not value.lstrip().startswith("{"):
        kind = _kind(Path(value))
        if kind == "directory":
            raise RequestValidationError(
                "handle", value, _ALLOWED, reason="it is a directory", hint=_HINT
            )
        if kind == "file":
            return _read_handle_file(Path(value)), Path(value)
    try:
        return OperationHandle.coerce(value), None
    except RequestValidationError as error:
        raise RequestValidationError(
            "handle",
            value,
            error.allowed,
            reason=_why(error),
            hint="There is no file by that name either. " + _HINT,
        ) from None


def _why(error: RequestValidationError) -> str | None:
    """The reason of a refused handle, naming the handle's field at fault (name, count…)."""
    if error.field == "handle":
        return error.reason
    text = f"its {error.field.removeprefix('handle.')} {_shorten(repr(error.value))} is not valid"
    return f"{text} ({error.reason})" if error.reason else text


def _shorten(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _kind(path: Path) -> str | None:
    """``"directory"``, ``"file"`` (anything readable that is not a directory), or ``None``."""
    try:
        mode = path.stat().st_mode
    except (OSError, ValueError):  # no such file, a name too long to be one, a NUL in it
        return None
    return "directory" if stat.S_ISDIR(mode) else "file"


def _read_handle_file(path: Path) -> OperationHandle:
    shown = str(path)
    try:
        data = read_regular_file(path, MAX_HANDLE_CHARS)  # a FIFO would block open() forever
    except NotARegularFileError as error:
        raise RequestValidationError(
            "handle",
            shown,
            "a handle file",
            reason=f"it is {error.kind}, not a regular file",
            hint=_HINT,
        ) from None
    except OSError as error:
        raise RequestValidationError(
            "handle", shown, "a readable handle file", reason=os_reason(error), hint=_HINT
        ) from None
    if len(data) > MAX_HANDLE_CHARS:
        raise RequestValidationError(
            "handle",
            shown,
            "a handle file (under 64 KiB)",
            reason="the file is too large to be a handle",
            hint="Is it the video rather than its .handle.json? " + _HINT,
        )
    try:
        text = data.decode("utf-8-sig").strip()
    except UnicodeDecodeError:
        raise RequestValidationError(
            "handle",
            shown,
            "a handle file (UTF-8 JSON text)",
            reason="the file is not UTF-8 text",
            hint="Is it the video rather than its .handle.json? " + _HINT,
        ) from None
    try:
        return OperationHandle.coerce(text)
    except RequestValidationError as error:
        reason, why = "the file does not hold a handle", _why(error)
        raise RequestValidationError(
            "handle",
            shown,
            error.allowed,
            reason=f"{reason}: {why}" if why else reason,
            hint=_HINT,
        ) from None


def handle_path(handle: OperationHandle, output: str) -> Path:
    """Where the handle of a job headed for ``output`` is saved: ``<output>.handle.json``.

    When ``output`` is a directory the file is named after the operation inside it.
    """
    target = Path(output)
    if is_directory_output(output):
        return target / f"{operation_stem(handle)}.handle.json"
    return target.with_name(target.name + ".handle.json")


def is_directory_output(output: str) -> bool:
    """Whether ``-o`` names a directory (existing, ending in a slash, or without a suffix)."""
    target = Path(output)
    return target.is_dir() or output.endswith(("/", os.sep)) or target.suffix == ""


def operation_stem(handle: OperationHandle) -> str:
    """A file-name-safe form of the operation's id."""
    stem = "".join(c if c.isalnum() or c in "._-" else "-" for c in handle.name.split("/")[-1])
    return stem.strip(".-")[:100] or "operation"


def save_handle(handle: OperationHandle, output: str) -> Path:
    """Writes the handle's JSON (no secrets) next to the intended output; returns its path.

    The handle of another job already there is kept: this one then goes to
    ``<output>.<operation id>.handle.json``.

    Raises:
        OSError: It could not be written (the caller prints the handle instead).
    """
    path = handle_path(handle, output)
    if _holds_another_job(path, handle):
        path = path.with_name(
            path.name.removesuffix(".handle.json") + f".{operation_stem(handle)}.handle.json"
        )
    _write_durably(path, (handle.to_json() + "\n").encode("utf-8"))
    return path


def _holds_another_job(path: Path, handle: OperationHandle) -> bool:
    if not path.exists():
        return False
    try:
        return _read_handle_file(path).name != handle.name
    except RequestValidationError:
        return True  # not a handle of ours: leave it alone too


def _write_durably(path: Path, data: bytes) -> None:
    """Writes ``data`` to ``path`` atomically and durably (the one writer in ``_files``)."""
    from veowrap._files import write_bytes_atomically

    write_bytes_atomically(path, data, overwrite=True, mode=0o644)
