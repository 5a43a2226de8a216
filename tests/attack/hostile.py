"""A raw-socket hostile HTTP server on 127.0.0.1 for attacking veowrap.

Each test gives a ``handler(server, request, sock)`` that writes whatever bytes it likes and
returns ``True`` to keep the connection open for another request (keep-alive) or ``False``
to close it. The server counts creates it *accepted* (the handler calls ``server.accept()``).
"""

from __future__ import annotations

import base64
import json
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from veowrap.testing._assets import asset_bytes

TOKEN = "ya29.SECRET-TOKEN-123456"
API_KEY = "AIzaSy-SECRET-KEY-abcdefghijklmnop"
MODEL = "veo-3.1-generate-001"
OMNI = "gemini-omni-1.2-flash"

# A tiny but real-looking MP4 header (the library only streams bytes).
# A real, whole MP4 (veowrap refuses anything that is not structurally complete).
MP4 = asset_bytes("16:9", 8)


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    raw_head: bytes = b""

    def json(self) -> Any:
        try:
            return json.loads(self.body or b"null")
        except ValueError:
            return None

    @property
    def is_create(self) -> bool:
        return (
            self.method == "POST" and self.path.split("?")[0].endswith(":predictLongRunning")
        ) or (
            self.method == "POST" and self.path.split("?")[0].rstrip("/").endswith("/interactions")
        )

    @property
    def is_poll(self) -> bool:
        return ":fetchPredictOperation" in self.path or (
            self.method == "GET" and "/interactions/" in self.path
        )


Handler = Callable[["Hostile", Request, socket.socket], bool]


@dataclass
class Hostile:
    handler: Handler
    accepted: int = 0
    creates_seen: int = 0
    requests: list[Request] = field(default_factory=list)
    operations: dict[str, dict[str, Any]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self._stop = threading.Event()
        self._conns: list[socket.socket] = []
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # -- bookkeeping ---------------------------------------------------------------------
    def accept(self, name: str | None = None) -> str:
        """Counts an accepted create and returns a new operation name."""
        with self.lock:
            self.accepted += 1
        op = name or (
            f"projects/p/locations/us-central1/publishers/google/models/{MODEL}/operations/"
            f"{uuid.uuid4().hex}"
        )
        self.operations[op] = {"polls": 0}
        return op

    # -- serving -------------------------------------------------------------------------
    def _serve(self) -> None:
        self.sock.settimeout(0.2)
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self._conns.append(conn)
            threading.Thread(target=self._connection, args=(conn,), daemon=True).start()

    def _connection(self, conn: socket.socket) -> None:
        conn.settimeout(30)
        buf = b""
        try:
            while not self._stop.is_set():
                while b"\r\n\r\n" not in buf:
                    data = conn.recv(65536)
                    if not data:
                        return
                    buf += data
                head, _, buf = buf.partition(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, path, _ = lines[0].split(" ", 2)
                headers = {}
                for line in lines[1:]:
                    k, _, v = line.partition(":")
                    headers[k.strip().lower()] = v.strip()
                length = int(headers.get("content-length", "0") or 0)
                while len(buf) < length:
                    data = conn.recv(65536)
                    if not data:
                        return
                    buf += data
                body, buf = buf[:length], buf[length:]
                request = Request(method, path, headers, body, head)
                with self.lock:
                    self.requests.append(request)
                    if request.is_create:
                        self.creates_seen += 1
                if not self.handler(self, request, conn):
                    return
        except OSError:
            return
        finally:
            try:
                conn.close()
            except OSError:
                pass

    def close(self) -> None:
        self._stop.set()
        self.sock.close()
        for conn in self._conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            try:
                conn.close()
            except OSError:
                pass


# -- response helpers ------------------------------------------------------------------------


def raw(sock: socket.socket, data: bytes) -> None:
    sock.sendall(data)


def response(
    status: int,
    body: bytes | str | Any = b"",
    *,
    reason: str = "X",
    headers: dict[str, str] | None = None,
    content_type: str = "application/json; charset=UTF-8",
    length: bool = True,
) -> bytes:
    if not isinstance(body, (bytes, str)):
        body = json.dumps(body)
    if isinstance(body, str):
        body = body.encode()
    head = [f"HTTP/1.1 {status} {reason}"]
    if content_type:
        head.append(f"Content-Type: {content_type}")
    if length:
        head.append(f"Content-Length: {len(body)}")
    for k, v in (headers or {}).items():
        head.append(f"{k}: {v}")
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


def send(sock: socket.socket, status: int, body: Any = b"", **kw: Any) -> None:
    sock.sendall(response(status, body, **kw))


def reset(sock: socket.socket) -> None:
    """Closes with RST."""
    import struct

    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def done_operation(name: str, *, videos: int = 1) -> dict[str, Any]:
    return {
        "name": name,
        "done": True,
        "response": {
            "@type": "type.googleapis.com/cloud.ai.large_models.vision.GenerateVideoResponse",
            "raiMediaFilteredCount": 0,
            "videos": [
                {"bytesBase64Encoded": base64.b64encode(MP4).decode(), "mimeType": "video/mp4"}
            ]
            * videos,
        },
    }


def google_error(status: int, message: str, reason: str = "INTERNAL", **extra: Any) -> dict:
    error = {"code": status, "message": message, "status": reason}
    error.update(extra)
    return {"error": error}


def normal(server: Hostile, request: Request, sock: socket.socket) -> bool:
    """A well-behaved Vertex server: accepts creates, answers polls done."""
    if request.is_create:
        name = server.accept()
        send(sock, 200, {"name": name})
        return True
    if request.is_poll:
        name = (request.json() or {}).get("operationName", "")
        send(sock, 200, done_operation(name))
        return True
    send(sock, 404, google_error(404, "not found", "NOT_FOUND"))
    return True


# -- client helpers --------------------------------------------------------------------------


def vertex_client(server: Hostile, token: str = TOKEN, timeout_ms: int | None = None):
    import google.oauth2.credentials
    from google import genai
    from google.genai import types

    return genai.Client(
        vertexai=True,
        project="p",
        location="us-central1",
        credentials=google.oauth2.credentials.Credentials(token=token),
        http_options=types.HttpOptions(base_url=server.base_url, timeout=timeout_ms),
    )


def gemini_client(server: Hostile, key: str = API_KEY):
    from google import genai
    from google.genai import types

    return genai.Client(
        api_key=key, http_options=types.HttpOptions(base_url=server.base_url, api_version="v1beta")
    )


def fast_policy(**kw: Any):
    import veowrap

    settings = dict(attempts=4, initial_delay=0.05, max_delay=0.2, jitter=0.0)
    settings.update(kw)
    return veowrap.RetryPolicy(**settings)


def generator(server: Hostile, *, asynchronous: bool = False, client=None, **kw: Any):
    import veowrap

    kw.setdefault("retry_policy", fast_policy())
    kw.setdefault("poll_schedule", veowrap.PollSchedule.fixed(0.05))
    cls = veowrap.AsyncVideoGenerator if asynchronous else veowrap.VideoGenerator
    return cls(client=client or vertex_client(server), **kw)


def stall_forever(stop_after: float = 20.0) -> None:
    time.sleep(stop_after)
