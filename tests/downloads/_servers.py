"""Small loopback HTTP servers that misbehave on purpose, and clients that point at them.

Each :class:`Loopback` binds 127.0.0.1 on its own port (so two of them are two origins), answers
every request with ``handler(request) -> Reply`` and records what reached it, headers
unmasked, so tests can assert that no credential arrived.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import veowrap.testing
from veowrap._core.retrying import RetryPolicy
from veowrap._download import Downloader
from veowrap.backends.genai import GenAIBackend

MP4 = (Path(veowrap.testing.__file__).parent / "assets" / "veo_16x9_4s.mp4").read_bytes()
API_KEY = "AIzaSy-DOWNLOAD-SECRET-0123456789abcdef"
TOKEN = "ya29.DOWNLOAD-SECRET-fedcba9876543210"
SECRETS = (API_KEY, TOKEN)
FAST = RetryPolicy(attempts=3, initial_delay=0.01, max_delay=0.05, jitter=0)


@dataclass(frozen=True)
class Seen:
    """A request that reached a server."""

    method: str
    path: str
    headers: dict[str, str]


@dataclass
class Reply:
    """How to answer.

    Attributes:
        status: The HTTP status.
        headers: Extra headers.
        body: The body.
        length: Send ``Content-Length`` (else the body ends when the connection closes).
        declared: A ``Content-Length`` to announce instead of the true one.
        after: Body bytes sent at once before trickling starts.
        trickle: Seconds between single body bytes after ``after`` (None: send at once).
        trickle_headers: Seconds between single bytes of the status line and headers, for ever.
        stall: Seconds to wait before answering.
    """

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    length: bool = True
    declared: int | None = None
    after: int = 0
    trickle: float | None = None
    trickle_headers: float | None = None
    stall: float = 0.0


def video(body: bytes = MP4, **options: Any) -> Reply:
    return Reply(headers={"Content-Type": "video/mp4"}, body=body, **options)


def redirect(location: str, status: int = 302) -> Reply:
    return Reply(status=status, headers={"Location": location})


class Loopback:
    """A threaded HTTP/1.1 server on 127.0.0.1 answering with ``handler``."""

    def __init__(self, handler: Callable[[Seen], Reply] | Reply) -> None:
        self.handler = handler if callable(handler) else (lambda seen: handler)
        self.requests: list[Seen] = []
        self.stopping = threading.Event()
        self.connections_open = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                seen = Seen("GET", self.path, {k.lower(): v for k, v in self.headers.items()})
                outer.requests.append(seen)
                outer._answer(self, outer.handler(seen))

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = int(self._server.server_address[1])
        self.base_url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.02,), daemon=True
        )
        self._thread.start()

    def url(self, path: str) -> str:
        return self.base_url + path

    def saw_credentials(self) -> bool:
        return any(
            secret in value
            for seen in self.requests
            for value in [*seen.headers.values(), seen.path]
            for secret in SECRETS
        )

    def _sleep(self, seconds: float) -> None:
        if self.stopping.wait(seconds):
            raise ConnectionAbortedError("server stopping")

    def _answer(self, handler: BaseHTTPRequestHandler, reply: Reply) -> None:
        out = handler.wfile
        self.connections_open += 1
        try:
            if reply.stall:
                self._sleep(reply.stall)
            if reply.trickle_headers is not None:
                head = f"HTTP/1.1 {reply.status} OK\r\nX-Padding: " + "a" * 10_000_000
                for byte in head.encode():
                    out.write(bytes([byte]))
                    out.flush()
                    self._sleep(reply.trickle_headers)
                return
            lines = [f"HTTP/1.1 {reply.status} X"]
            headers = dict(reply.headers)
            if reply.length:
                size = len(reply.body) if reply.declared is None else reply.declared
                headers["Content-Length"] = str(size)
            else:
                headers["Connection"] = "close"
                handler.close_connection = True
            lines += [f"{k}: {v}" for k, v in headers.items()]
            out.write(("\r\n".join(lines) + "\r\n\r\n").encode())
            if reply.trickle is None:
                out.write(reply.body)
                out.flush()
            else:
                out.write(reply.body[: reply.after])
                out.flush()
                for byte in reply.body[reply.after :]:
                    self._sleep(reply.trickle)
                    out.write(bytes([byte]))
                    out.flush()
            if not reply.length:
                handler.close_connection = True
        except (OSError, ConnectionError):
            handler.close_connection = True
        finally:
            self.connections_open -= 1

    def stop(self) -> None:
        self.stopping.set()
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> Loopback:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def gemini_backend(base_url: str, download_timeout: float = 5.0) -> GenAIBackend:
    """A real GenAIBackend on the Gemini API whose base URL is ``base_url``."""
    from google import genai
    from google.genai import types

    client = genai.Client(
        api_key=API_KEY, http_options=types.HttpOptions(base_url=base_url, api_version="v1beta")
    )
    return GenAIBackend(client, download_timeout=download_timeout)


def vertex_backend(storage_base_url: str, download_timeout: float = 5.0) -> GenAIBackend:
    """A real Vertex AI GenAIBackend (static token) fetching gs:// from ``storage_base_url``."""
    import google.oauth2.credentials
    from google import genai

    credentials = google.oauth2.credentials.Credentials(token=TOKEN)  # type: ignore[no-untyped-call]
    client = genai.Client(
        vertexai=True, project="p", location="us-central1", credentials=credentials
    )
    return GenAIBackend(
        client, storage_base_url=storage_base_url, download_timeout=download_timeout
    )


def downloader(backend: GenAIBackend, policy: RetryPolicy = FAST, **options: Any) -> Downloader:
    return Downloader(backend.open_video, policy=policy, **options)


def download_threads() -> int:
    """Worker threads of veowrap downloads still alive."""
    return sum(1 for t in threading.enumerate() if t.name == "veowrap-download" and t.is_alive())


def wait_for(predicate: Callable[[], bool], seconds: float = 2.0) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.01)
    return predicate()


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
