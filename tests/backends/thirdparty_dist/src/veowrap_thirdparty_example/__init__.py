"""A minimal third-party veowrap backend: every generation finishes at once, offline.

It shows the smallest complete ``veowrap.backends.Backend``: the five common members and the
three synchronous calls. Operations are answered as plain dicts in the service's JSON shape.
"""

from __future__ import annotations

import io
import struct
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import Any

from veowrap._core.status import VideoRef
from veowrap._errors import UnsupportedCapabilityError
from veowrap._handle import OperationHandle, Platform, Route
from veowrap._request import VideoRequest
from veowrap.backends._protocol import VideoStream

__all__ = ["EchoBackend"]


def _box(kind: bytes, *parts: bytes) -> bytes:
    payload = b"".join(parts)
    return struct.pack(">I4s", 8 + len(payload), kind) + payload


def _tiny_mp4() -> bytes:
    """A tiny whole MP4 for the demo: veowrap saves only structurally complete MP4 files
    (an ``ftyp``, a ``moov`` with a movie header and one track whose sample table places its
    one 4-byte sample inside the ``mdat``); it is not a playable picture."""
    ftyp = _box(b"ftyp", b"isom", struct.pack(">I", 0x200), b"isomiso2")

    def moov(offset: int) -> bytes:
        stbl = _box(
            b"stbl",
            _box(b"stsd", struct.pack(">II", 0, 0)),
            _box(b"stts", struct.pack(">IIII", 0, 1, 1, 1)),
            _box(b"stsc", struct.pack(">IIIII", 0, 1, 1, 1, 1)),
            _box(b"stsz", struct.pack(">IIII", 0, 0, 1, 4)),
            _box(b"stco", struct.pack(">III", 0, 1, offset)),
        )
        track = _box(b"trak", _box(b"mdia", _box(b"minf", stbl)))
        return _box(b"moov", _box(b"mvhd", bytes(100)), track)

    offset = len(ftyp) + len(moov(0)) + 8  # the sample follows the mdat header
    return ftyp + moov(offset) + _box(b"mdat", b"demo")


_VIDEO = _tiny_mp4()


@dataclass
class _Stream:
    data: bytes

    @property
    def length(self) -> int | None:
        return len(self.data)

    def chunks(self, size: int) -> Iterator[bytes]:
        buffer = io.BytesIO(self.data)
        while chunk := buffer.read(size):
            yield chunk


class EchoBackend:
    """Finishes every operation at once with a tiny inline "video".

    Args:
        greeting: Any setting the caller passes, kept to show how settings arrive.
    """

    name = "echo"

    def __init__(self, greeting: str = "hello", **settings: Any) -> None:
        self.greeting = greeting
        self.settings = settings
        self.operations: dict[str, dict[str, Any]] = {}

    @property
    def platform(self) -> Platform:
        return "vertex"

    def default_model(self) -> str:
        return "echo-1"

    def route_for(self, model: str) -> Route:
        return "operations"

    def prepare(self, request: VideoRequest, model: str) -> None:
        if request.prompt is None:
            raise UnsupportedCapabilityError("EchoBackend needs a prompt.")

    def submit(self, request: VideoRequest, model: str) -> Any:
        name = f"publishers/google/models/{model}/operations/echo{len(self.operations)}"
        operation = {
            "name": name,
            "done": True,
            "response": {"videos": [{"bytesBase64Encoded": _b64(_VIDEO), "mimeType": "video/mp4"}]},
        }
        self.operations[name] = operation
        return operation

    def poll(self, handle: OperationHandle) -> Any:
        return self.operations[handle.name]

    def cancel(self, handle: OperationHandle) -> None:
        raise UnsupportedCapabilityError("Echo operations finish at once; nothing to cancel.")

    def open_video(self, video: VideoRef) -> AbstractContextManager[VideoStream]:
        return self._open(video)

    @contextmanager
    def _open(self, video: VideoRef) -> Iterator[VideoStream]:
        yield _Stream(video.data or b"")


def _b64(data: bytes) -> str:
    import base64

    return base64.b64encode(data).decode("ascii")
