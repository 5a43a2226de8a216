"""Round-3 attack helpers: a programmable hostile HTTP server on 127.0.0.1 and fast clients.

``Hostile(route)`` serves every request with ``route(server, request, raw)``. The route returns
a ``Reply`` (status, body, headers), or ``None`` after writing whatever bytes it liked to
``raw`` (the socket file), or raising ``Close`` to drop the connection. ``server.accept()``
counts a paid create and names its operation.

Nothing here reads veowrap's internals: the wire format is Google's (as the emulator speaks it).
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import veowrap
from veowrap.testing._assets import asset_bytes

TOKEN = "ya29.A3-SECRET-TOKEN-7f3k2q9z"
API_KEY = "AIzaSyA3SECRETKEY0123456789abcdefghij"
MODEL = "veo-3.1-generate-001"
OMNI = "gemini-omni-1.2-flash"
MP4 = asset_bytes("16:9", 8)
SRC = str(Path(__file__).resolve().parents[2] / "src")

FAST_POLL = veowrap.PollSchedule.fixed(0.02)
FAST_RETRY = veowrap.RetryPolicy(attempts=3, initial_delay=0.01, max_delay=0.2, jitter=0)


class Close(Exception):
    """Raised by a route to drop the connection without an answer."""


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        try:
            return json.loads(self.body or b"null")
        except ValueError:
            return None

    @property
    def is_create(self) -> bool:
        return self.method == "POST" and (
            self.path.endswith(":predictLongRunning")
            or self.path.rstrip("/").endswith("/interactions")
        )

    @property
    def is_poll(self) -> bool:
        return self.path.endswith(":fetchPredictOperation") or (
            self.method == "GET" and "/interactions/" in self.path
        )

    @property
    def is_download(self) -> bool:
        return self.method == "GET" and ("alt" in self.query or "/storage/" in self.path)


@dataclass
class Reply:
    status: int = 200
    body: bytes | str | dict[str, Any] | list[Any] = b""
    headers: dict[str, str] = field(default_factory=dict)


Route = Callable[["Hostile", Request, Any], "Reply | None"]


class Hostile:
    """A loopback server answering every request through ``route``."""

    def __init__(self, route: Route) -> None:
        self.route = route
        self.accepted = 0
        self.requests: list[Request] = []
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.state: dict[str, Any] = {}
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _serve(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                split = urlsplit(self.path)
                request = Request(
                    self.command,
                    split.path,
                    parse_qs(split.query),
                    {k.lower(): v for k, v in self.headers.items()},
                    body,
                )
                with outer.lock:
                    outer.requests.append(request)
                try:
                    reply = outer.route(outer, request, self.wfile)
                except Close:
                    self.close_connection = True
                    return
                if reply is None:
                    self.close_connection = True
                    return
                data = reply.body
                if isinstance(data, (dict, list)):
                    data = json.dumps(data).encode()
                elif isinstance(data, str):
                    data = data.encode()
                self.send_response(reply.status)
                headers = {"content-type": "application/json", **reply.headers}
                for key, value in headers.items():
                    self.send_header(key, value)
                if "content-length" not in {k.lower() for k in headers}:
                    self.send_header("content-length", str(len(data)))
                self.end_headers()
                try:
                    self.wfile.write(data)
                except OSError:
                    self.close_connection = True

            do_GET = do_POST = do_DELETE = do_PUT = _serve

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            allow_reuse_address = True

        self.httpd = Server(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def accept(self, name: str | None = None) -> str:
        with self.lock:
            self.accepted += 1
        return name or (
            f"projects/p/locations/us-central1/publishers/google/models/{MODEL}/operations/"
            f"{uuid.uuid4().hex}"
        )

    def creates(self) -> int:
        return sum(1 for r in self.requests if r.is_create)

    def close(self) -> None:
        self.stopping.set()
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self) -> Hostile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def done_inline(name: str, videos: list[bytes] | None = None) -> dict[str, Any]:
    vids = [MP4] if videos is None else videos
    return {
        "name": name,
        "done": True,
        "response": {
            "raiMediaFilteredCount": 0,
            "videos": [
                {"bytesBase64Encoded": base64.b64encode(v).decode(), "mimeType": "video/mp4"}
                for v in vids
            ],
        },
    }


def done_gcs(name: str, uris: list[str]) -> dict[str, Any]:
    return {
        "name": name,
        "done": True,
        "response": {
            "raiMediaFilteredCount": 0,
            "videos": [{"gcsUri": u, "mimeType": "video/mp4"} for u in uris],
        },
    }


def vertex_route(
    *,
    name: Callable[[Hostile, Request], str] | None = None,
    poll: Callable[[Hostile, Request], Reply | None] | None = None,
    create: Callable[[Hostile, Request], Reply | None] | None = None,
    download: Callable[[Hostile, Request, Any], Reply | None] | None = None,
) -> Route:
    """A well-behaved Vertex route with any part replaced."""

    def route(server: Hostile, req: Request, raw: Any) -> Reply | None:
        if req.is_create:
            if create is not None:
                return create(server, req)
            op = server.accept(name(server, req) if name else None)
            return Reply(200, {"name": op})
        if req.is_poll:
            if poll is not None:
                return poll(server, req)
            body = req.json() or {}
            return Reply(200, done_inline(body.get("operationName", "")))
        if req.is_download:
            if download is not None:
                return download(server, req, raw)
            return Reply(200, MP4, {"content-type": "video/mp4"})
        return Reply(404, {"error": {"code": 404, "message": "no", "status": "NOT_FOUND"}})

    return route


def vertex_client(url: str, timeout_ms: int | None = None) -> Any:
    import google.oauth2.credentials
    from google import genai
    from google.genai import types

    options: dict[str, Any] = {"base_url": url}
    if timeout_ms is not None:
        options["timeout"] = timeout_ms
    return genai.Client(
        vertexai=True,
        project="p",
        location="us-central1",
        credentials=google.oauth2.credentials.Credentials(token=TOKEN),
        http_options=types.HttpOptions(**options),
    )


def gemini_client(url: str, api_key: str = API_KEY) -> Any:
    from google import genai
    from google.genai import types

    return genai.Client(
        api_key=api_key, http_options=types.HttpOptions(base_url=url, api_version="v1beta")
    )


def vgen(server: Hostile, **kw: Any) -> veowrap.VideoGenerator:
    kw.setdefault("poll_schedule", FAST_POLL)
    kw.setdefault("retry_policy", FAST_RETRY)
    kw.setdefault("model", MODEL)
    return veowrap.VideoGenerator(vertex_client(server.url), **kw)


def agen(server: Hostile, **kw: Any) -> veowrap.AsyncVideoGenerator:
    kw.setdefault("poll_schedule", FAST_POLL)
    kw.setdefault("retry_policy", FAST_RETRY)
    kw.setdefault("model", MODEL)
    return veowrap.AsyncVideoGenerator(vertex_client(server.url), **kw)


def timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    start = time.monotonic()
    try:
        out: Any = fn()
    except BaseException as exc:  # the outcome is what the test inspects
        out = exc
    return out, time.monotonic() - start


def text_of(exc: BaseException) -> str:
    """Everything an exception shows: message, repr, notes, chain, hint, handle."""
    parts: list[str] = []
    seen: set[int] = set()
    cur: BaseException | None = exc
    while cur is not None and id(cur) not in seen:
        seen.add(id(cur))
        parts += [str(cur), repr(cur), *getattr(cur, "__notes__", [])]
        parts.append(str(getattr(cur, "hint", "")))
        handle = getattr(cur, "handle", None)
        if handle is not None:
            parts.append(handle.to_json())
        cur = cur.__cause__ or cur.__context__
    return "\n".join(parts)


def cli(
    *args: str, env: dict[str, str] | None = None, timeout: float = 20, cwd: str | None = None
) -> subprocess.CompletedProcess[str]:
    full = {
        k: v for k, v in os.environ.items() if not k.startswith(("GOOGLE_", "GEMINI_", "VEOWRAP_"))
    }
    full["PYTHONPATH"] = SRC
    full.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "veowrap.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=full,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
    )
