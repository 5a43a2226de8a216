"""Reading batch requests from JSONL and CSV files.

A request file comes from a person or another program, so anything can be in it: another
encoding, binary junk, a spreadsheet's quirks, a line that is JSON but not an object. Every
problem becomes a :class:`RequestValidationError` naming ``file:line`` (and the field, when
one is at fault), with the offending text shortened and a hint; nothing else escapes.

Format and limits (documented in ``docs/cli.md``):

* UTF-8, with or without a byte-order mark; ``\\n`` or ``\\r\\n`` line ends.
* JSONL (any suffix but ``.csv``): one JSON object per line; blank lines are skipped. A field
  given twice in one object is refused rather than silently resolved.
* CSV (``.csv``): a header row naming the columns, then one request per row. Empty cells are
  left unset; a row may be shorter than the header but not longer.
* Columns and fields: those of :class:`VideoRequest`, plus an optional ``key`` (a string or
  whole number, at most :data:`MAX_KEY_CHARS` characters, unique in the file), which names the
  item's video file.
* At most :data:`MAX_FILE_BYTES` bytes per file and :data:`MAX_LINE_CHARS` characters per line
  (a CSV cell: at most 131,072, the csv module's limit), so that a wrong file is refused
  rather than read into memory.
* A file with no request in it is an error ("no requests"), not an empty batch.
"""

from __future__ import annotations

import csv
import difflib
import io
import json
from collections.abc import Iterator
from os import PathLike
from pathlib import Path
from typing import Any, NamedTuple

from veowrap._core import validation
from veowrap._errors import RequestValidationError
from veowrap._files import NotARegularFileError, read_regular_file
from veowrap._request import VideoRequest

__all__ = [
    "MAX_FILE_BYTES",
    "MAX_KEY_CHARS",
    "MAX_LINE_CHARS",
    "FileRequest",
    "load_requests",
    "read_request_file",
]

MAX_FILE_BYTES = 32 * 1024 * 1024
"""The largest request file read (32 MiB: about 50,000 requests with long prompts)."""

MAX_LINE_CHARS = 1024 * 1024
"""The longest line read (1 MiB), against a binary file read as lines: far above Veo's
documented prompt limit (1,024 tokens). Models' own limits are the catalog's."""

MAX_KEY_CHARS = validation.MAX_KEY_CHARS
"""The longest ``key``: it becomes a file name, and file systems allow 255 bytes."""

_SHOWN = 80
_FIELDS = frozenset(VideoRequest.model_fields)
_COLUMNS = sorted(_FIELDS | {"key"})
_ENCODING_HINT = "Save the file as UTF-8 (with or without a byte-order mark)."
_JSONL_HINT = (
    'Write one JSON object of VideoRequest fields per line, e.g. {"prompt": "a paper boat", '
    '"duration_seconds": 8, "key": "boat"}.'
)
_CSV_HINT = (
    "The first row must name the columns: VideoRequest fields (prompt, model, "
    "duration_seconds, ...) and optionally key."
)
_FIELD_HINT = "Fix that value in the file; help(veowrap.VideoRequest) lists every field."


class FileRequest(NamedTuple):
    """A request read from a file, with the line it starts on and its key."""

    line: int
    request: VideoRequest
    key: str | None


def load_requests(
    path: str | PathLike[str],
) -> tuple[list[VideoRequest], list[str | None]]:
    """Reads requests from a JSONL or CSV file; returns the requests and their keys.

    Each JSONL line (or CSV row, after a header) holds :class:`VideoRequest` fields and an
    optional ``key``. Empty CSV cells are left unset. The file must be UTF-8 (a byte-order mark
    is accepted), at most :data:`MAX_FILE_BYTES` bytes, with lines of at most
    :data:`MAX_LINE_CHARS` characters, and hold at least one request.

    Raises:
        RequestValidationError: The file cannot be read or a line is not valid. ``field`` is
            ``"<file>:<line>"`` or ``"<file>:<line>.<request field>"`` (just ``"<file>"`` for
            problems with the whole file); nothing else is raised, whatever the file holds.
    """
    read = read_request_file(path)
    return [item.request for item in read], [item.key for item in read]


def read_request_file(path: str | PathLike[str]) -> list[FileRequest]:
    """Like :func:`load_requests`, keeping each request's line number (for later messages)."""
    path = Path(path)
    name = path.name or str(path)
    text = _decode(path, name, _read(path, name))
    lines = text.split("\n")
    for number, line in enumerate(lines, 1):
        if len(line) > MAX_LINE_CHARS:
            raise _error(
                f"{name}:{number}",
                line,
                f"lines of at most {MAX_LINE_CHARS:,} characters",
                reason=f"the line has {len(line):,} characters",
                hint="Shorten that line, or build a longer request in Python (VideoRequest).",
            )
    is_csv = path.suffix.lower() == ".csv"
    rows = list(_csv_rows(text, lines, name) if is_csv else _jsonl_rows(lines, name))
    if not rows:
        # An empty batch is almost always the wrong file, not an intention.
        raise _error(
            name,
            text,
            "at least one request",
            reason="the file holds no requests",
            hint=_CSV_HINT + " Then one request per row." if is_csv else _JSONL_HINT,
        )
    read: list[FileRequest] = []
    seen: dict[str, int] = {}
    for number, row, shown in rows:
        where = f"{name}:{number}"
        key = _key(row.pop("key", None), where)
        if key is not None:
            if key in seen:
                raise _error(
                    f"{where}.key",
                    key,
                    "a different key for every request",
                    reason=f"line {seen[key]} has the same key",
                    hint="Keys name the saved videos; give each request its own.",
                )
            seen[key] = number
        read.append(FileRequest(number, _request(row, where, shown), key))
    return read


# -- reading ------------------------------------------------------------------------------


def _read(path: Path, name: str) -> bytes:
    """The file's bytes, refusing what is not a readable file of a sensible size."""
    try:
        data = read_regular_file(path, MAX_FILE_BYTES)  # a FIFO would block open() forever
    except FileNotFoundError:
        raise _file_error(path, name, "there is no such file") from None
    except IsADirectoryError:
        raise _file_error(path, name, "it is a directory") from None
    except NotARegularFileError as error:
        raise _file_error(path, name, f"it is {error.kind}, not a regular file") from None
    except PermissionError:
        raise _file_error(path, name, "permission denied") from None
    except OSError as error:
        raise _file_error(path, name, error.strerror or type(error).__name__) from None
    except ValueError as error:  # a NUL in the path
        raise _file_error(path, name, str(error)) from None
    if len(data) > MAX_FILE_BYTES:
        raise _error(
            name,
            str(path),
            f"a file of at most {MAX_FILE_BYTES // (1024 * 1024)} MiB",
            reason="the file is too large",
            hint="Split it into several batches, or check that this is the right file.",
        )
    return data


def _file_error(path: Path, name: str, reason: str) -> RequestValidationError:
    return _error(
        name,
        str(path),
        "a readable JSONL or CSV file",
        reason=reason,
        hint="Pass the path of a JSONL file (one JSON object per line) or a CSV file.",
    )


def _decode(path: Path, name: str, data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise _error(
            f"{name}:1",
            data[:_SHOWN],
            "UTF-8 text",
            reason="the file is UTF-16 (it starts with a UTF-16 byte-order mark)",
            hint=_ENCODING_HINT,
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        number = data.count(b"\n", 0, error.start) + 1
        start = data.rfind(b"\n", 0, error.start) + 1
        raise _error(
            f"{name}:{number}",
            data[start : start + _SHOWN],
            "UTF-8 text",
            reason=f"byte {data[error.start]:#04x} is not UTF-8 (binary data, or another encoding)",
            hint=_ENCODING_HINT,
        ) from None
    nul = text.find("\x00")
    if nul >= 0:
        number = text.count("\n", 0, nul) + 1
        raise _error(
            f"{name}:{number}",
            text.split("\n")[number - 1],
            "text without NUL characters",
            reason="the line holds a NUL character (binary data?)",
            hint="Check that this is the right file; " + _ENCODING_HINT.lower(),
        )
    return text


# -- parsing ------------------------------------------------------------------------------

Row = tuple[int, dict[str, Any], str]
"""A request's line number, its fields, and its text (for messages)."""


def _jsonl_rows(lines: list[str], name: str) -> Iterator[Row]:
    for number, line in enumerate(lines, 1):
        line = line.removesuffix("\r")
        if not line.strip():
            continue
        where = f"{name}:{number}"
        try:
            value = json.loads(line, object_pairs_hook=_unique_fields)
        except RecursionError:
            raise _error(
                where,
                line,
                "one JSON object per line",
                reason="nested too deeply",
                hint=_JSONL_HINT,
            ) from None
        except ValueError as error:  # JSONDecodeError, a repeated field, a huge number
            reason = str(error)
            if isinstance(error, json.JSONDecodeError):
                reason = f"{error.msg} (column {error.colno})"
            raise _error(
                where, line, "one JSON object per line", reason=reason, hint=_JSONL_HINT
            ) from None
        if not isinstance(value, dict):
            kind = {list: "a list", str: "a string", bool: "true or false", type(None): "null"}
            raise _error(
                where,
                line,
                "one JSON object per line",
                reason=f"the line is {kind.get(type(value), 'a number')}, not an object",
                hint=_JSONL_HINT,
            )
        yield number, value, line


def _unique_fields(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for field, value in pairs:
        if field in result:
            raise ValueError(f"field {field[:40]!r} is given twice")
        result[field] = value
    return result


def _csv_rows(text: str, lines: list[str], name: str) -> Iterator[Row]:
    # strict: an unbalanced quote is an error, rather than swallowing the rest of the file
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    header: list[str] | None = None
    start = 1
    try:
        for cells in reader:
            number, start = start, reader.line_num + 1
            if not any(cell.strip() for cell in cells):
                continue
            shown = ",".join(cells)
            if header is None:
                header = _header(cells, f"{name}:{number}", shown)
                continue
            if len(cells) > len(header):
                raise _error(
                    f"{name}:{number}",
                    shown,
                    f"at most {len(header)} cells, one per column of the header",
                    reason=f"the row has {len(cells)} cells",
                    hint="Quote cells that contain commas, or add a column to the header.",
                )
            row = {column: cell for column, cell in zip(header, cells, strict=False) if cell != ""}
            yield number, row, shown
    except csv.Error as error:
        raise _error(
            f"{name}:{start}",
            lines[start - 1] if start <= len(lines) else "",
            "CSV with a header row",
            reason=str(error),
            hint="Check the quotes on that row: a quoted cell must end with a quote; "
            "a cell is at most 131,072 characters.",
        ) from None


def _header(cells: list[str], where: str, shown: str) -> list[str]:
    header = [cell.strip() for cell in cells]
    for column in header:
        if not column:
            raise _error(
                where,
                shown,
                "a name for every column",
                reason="a column has no name",
                hint=_CSV_HINT + " Remove the empty column.",
            )
        if header.count(column) > 1:
            raise _error(
                where,
                shown,
                "each column once",
                reason=f"column {column[:40]!r} appears twice",
                hint=_CSV_HINT,
            )
        if column not in _FIELDS and column != "key":
            raise _error(
                f"{where}",
                shown,
                "a header row of VideoRequest fields and key",
                reason=f"{column[:40]!r} is not a field{_suggest(column)}",
                hint=_CSV_HINT + " Is the header row missing?",
            )
    return header


# -- building requests --------------------------------------------------------------------


def _key(value: Any, where: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str):
        raise _error(
            f"{where}.key",
            value,
            "a string or a whole number",
            hint='Keys name the saved videos, e.g. "boat" for boat.mp4.',
        )
    try:
        return validation.batch_key(f"{where}.key", value)  # the rule generate_many applies
    except RequestValidationError as error:
        raise _error(
            error.field, error.value, error.allowed, reason=error.reason, hint=error.hint or ""
        ) from None


def _request(row: dict[str, Any], where: str, shown: str) -> VideoRequest:
    for field in row:
        if field not in _FIELDS:
            raise _error(
                f"{where}.{field[:40]}" if field.strip() else where,
                row[field],
                "the fields of VideoRequest, and key",
                reason=f"unknown field {field[:40]!r}{_suggest(field)}",
                hint="Check the spelling; help(veowrap.VideoRequest) lists every field.",
            )
    try:
        return VideoRequest(**row)
    except RequestValidationError as error:
        raise _error(
            f"{where}.{error.field}",
            error.value,
            error.allowed,
            reason=error.reason,
            hint=error.hint or _FIELD_HINT,
        ) from None
    except (RecursionError, TypeError, ValueError) as error:
        # VideoRequest reports its own problems as RequestValidationError (caught above);
        # this is a value no request can hold, such as one nested a thousand levels deep.
        raise _error(
            where,
            shown,
            "VideoRequest fields",
            reason=f"not a valid request ({type(error).__name__})",
            hint=_FIELD_HINT,
        ) from None


def _suggest(word: str) -> str:
    close = difflib.get_close_matches(word.strip().lower(), _COLUMNS, n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _error(
    field: str,
    value: Any,
    allowed: str,
    *,
    reason: str | None = None,
    hint: str,
) -> RequestValidationError:
    if isinstance(value, str) and len(value) > _SHOWN:
        value = value[: _SHOWN - 3] + "..."
    elif isinstance(value, bytes) and len(value) > _SHOWN:
        value = value[: _SHOWN - 3] + b"..."
    return RequestValidationError(field, value, allowed, reason=reason, hint=hint)
