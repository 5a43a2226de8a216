"""Streamed HTTP GETs for finished videos (standard library only).

google-genai's ``files.download`` holds the whole video in memory on older versions and has no
Cloud Storage download at all, so finished videos are fetched here, in chunks, with the same
credentials the client uses, sent in headers (never in the URL).
"""

from __future__ import annotations

import io
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO

__all__ = ["BytesStream", "HttpStream", "open_url"]


@dataclass
class HttpStream:
    """An open HTTP response read in chunks."""

    response: IO[bytes]
    length: int | None

    def chunks(self, size: int) -> Iterator[bytes]:
        """Yields the body in chunks of at most ``size`` bytes."""
        # read1 returns what has arrived (at most `size`) instead of blocking for all of it.
        read = getattr(self.response, "read1", self.response.read)
        while chunk := read(size):
            yield chunk


@dataclass
class BytesStream:
    """Bytes already in memory (inline results), read like a download."""

    data: bytes

    @property
    def length(self) -> int | None:
        """The number of bytes."""
        return len(self.data)

    def chunks(self, size: int) -> Iterator[bytes]:
        """Yields the bytes in chunks of at most ``size`` bytes."""
        buffer = io.BytesIO(self.data)
        while chunk := buffer.read(size):
            yield chunk


@contextmanager
def open_url(url: str, headers: Mapping[str, str], timeout: float) -> Iterator[HttpStream]:
    """Opens ``url`` for a streamed GET; raises urllib's errors, which the core classifies."""
    request = urllib.request.Request(url, headers=dict(headers), method="GET")
    with urllib.request.urlopen(request, timeout=timeout) as response:
        length = response.headers.get("Content-Length")
        yield HttpStream(response=response, length=int(length) if length else None)
