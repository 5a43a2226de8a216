"""Request context and response values passed between the server and route handlers."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from ._assets import VideoSpec
from ._capabilities import Platform
from ._errors import GoogleError
from ._state import EmulatorState

_PLACEHOLDER = re.compile(r'"__veowrap_b64_(\d+)__"')


class Aborted(Exception):
    """The server is stopping: drop the connection without answering."""


@dataclass(frozen=True)
class ServerConfig:
    """Credentials the emulator accepts, and the key that signs its media redirects."""

    api_key: str
    token: str
    media_secret: str = ""


@dataclass
class Response:
    """An HTTP response whose body may be streamed.

    Attributes:
        status: HTTP status code.
        chunks: The body, chunk by chunk.
        length: Total body length in bytes (sent as Content-Length).
        headers: Extra headers.
    """

    status: int
    chunks: Iterable[bytes]
    length: int
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Context:
    """Everything a route handler may look at.

    Attributes:
        state: Shared emulator state.
        config: Accepted credentials.
        method: HTTP method.
        path: Request path without query.
        query: Query parameters.
        headers: Request headers, lower-case names, unmasked.
        body: Parsed JSON body (None if empty).
        params: Named groups captured by the route pattern.
        platform: Platform the route belongs to.
        stopping: Set when the server shuts down.
    """

    state: EmulatorState
    config: ServerConfig
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any
    params: dict[str, str]
    platform: Platform
    stopping: threading.Event

    def wait(self, seconds: float) -> None:
        """Sleeps, but gives up as soon as the server stops.

        Raises:
            Aborted: If the server stopped while waiting.
        """
        if seconds > 0 and self.stopping.wait(seconds):
            raise Aborted


Handler = Callable[[Context], Response]


def json_response(obj: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """Returns a JSON response."""
    data = json.dumps(obj).encode()
    all_headers = {"Content-Type": "application/json; charset=UTF-8", **(headers or {})}
    return Response(status, [data], len(data), all_headers)


def error_response(error: GoogleError) -> Response:
    """Returns the Google-style response for an error."""
    return json_response(error.body(), error.http_status, error.headers)


class InlineVideos:
    """Collects videos to inline as base64 strings in a JSON body that is then streamed."""

    def __init__(self) -> None:
        self._specs: list[VideoSpec] = []

    def placeholder(self, spec: VideoSpec) -> str:
        """Returns a string to put in the JSON object where the base64 data belongs."""
        self._specs.append(spec)
        return f"__veowrap_b64_{len(self._specs) - 1}__"

    def response(self, obj: Any) -> Response:
        """Serializes `obj` and splices the streamed base64 data into it."""
        parts = _PLACEHOLDER.split(json.dumps(obj))
        literals = [p.encode() for p in parts[0::2]]
        specs = [self._specs[int(i)] for i in parts[1::2]]
        length = sum(map(len, literals)) + sum(2 + s.base64_size() for s in specs)

        def body() -> Iterator[bytes]:
            for index, literal in enumerate(literals):
                yield literal
                if index < len(specs):
                    yield b'"'
                    yield from specs[index].base64_chunks()
                    yield b'"'

        headers = {"Content-Type": "application/json; charset=UTF-8"}
        return Response(200, body(), length, headers)
