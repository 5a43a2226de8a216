"""Reading batch requests from JSONL and CSV files."""

from __future__ import annotations

import csv
import json
from os import PathLike
from pathlib import Path
from typing import Any

from veowrap._errors import RequestValidationError
from veowrap._request import VideoRequest

__all__ = ["load_requests"]


def load_requests(
    path: str | PathLike[str],
) -> tuple[list[VideoRequest], list[str | None]]:
    """Reads requests from a JSONL or CSV file; returns the requests and their keys.

    Each JSONL line (or CSV row, with a header) holds :class:`VideoRequest` fields and an
    optional ``key``. Empty CSV cells are left unset.

    Raises:
        RequestValidationError: A line is not valid; the error names the line.
    """
    path = Path(path)
    rows: list[dict[str, Any]] = []
    if path.suffix.lower() == ".csv":
        with path.open(newline="", encoding="utf-8") as file:
            rows = [
                {k: v for k, v in row.items() if v not in ("", None)}
                for row in csv.DictReader(file)
            ]
    else:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as error:
                raise RequestValidationError(
                    f"{path.name}:{number}",
                    line[:60],
                    "one JSON object per line",
                    reason=str(error),
                ) from None
    requests, keys = [], []
    for number, row in enumerate(rows, 1):
        key = row.pop("key", None)
        try:
            requests.append(VideoRequest(**row))
        except RequestValidationError as error:
            raise RequestValidationError(
                f"{path.name}:{number}.{error.field}",
                error.value,
                error.allowed,
                reason=error.reason,
                hint=error.hint,
            ) from None
        keys.append(None if key is None else str(key))
    return requests, keys
