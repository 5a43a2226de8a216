"""A minimal third-party veowrap backend: every generation finishes at once, offline.

It shows the smallest complete ``veowrap.backends.Backend``: the five common members and the
three synchronous calls. Operations are answered as plain dicts in the service's JSON shape.
"""

from __future__ import annotations

import io
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

# The smallest whole MP4 for the demo (an ftyp and an empty moov box): veowrap saves only
# structurally complete MP4 files.
_VIDEO = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2\x00\x00\x00\x08moov"


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
