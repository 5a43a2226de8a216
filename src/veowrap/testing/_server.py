"""The HTTP server: parses requests, logs them, applies faults and auth, writes responses."""

from __future__ import annotations

import contextlib
import json
import socket
import struct
import sys
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from ._errors import GoogleError
from ._faults import Fault
from ._http import Aborted, Context, Response, ServerConfig, error_response
from ._routes import Route, match
from ._state import EmulatorState, RecordedRequest

_SECRET_HEADERS = {"x-goog-api-key", "authorization", "proxy-authorization", "cookie"}
_SECRET_QUERY = {"key", "access_token"}
_WRITE_CHUNK = 64 * 1024

_DEFAULT_MESSAGES = {
    400: "Request contains an invalid argument.",
    403: "The caller does not have permission.",
    404: "Requested entity was not found.",
    429: "Resource has been exhausted (e.g. check quota).",
    500: "Internal error encountered.",
    502: "Bad Gateway.",
    503: "The service is currently unavailable.",
    504: "Deadline exceeded.",
}

_NO_KEY = (
    "Method doesn't allow unregistered callers (callers without established identity). "
    "Please use API key or other form of API consumer identity to call this API."
)
_BAD_KEY = "API key not valid. Please pass a valid API key."
_NO_TOKEN = (
    "Request is missing required authentication credential. Expected OAuth 2 access token, "
    "login cookie or other valid authentication credential. See "
    "https://developers.google.com/identity/sign-in/web/devconsole-project."
)
_BAD_TOKEN = (
    "Request had invalid authentication credentials. Expected OAuth 2 access token, login "
    "cookie or other valid authentication credential. See "
    "https://developers.google.com/identity/sign-in/web/devconsole-project."
)


class EmulatorServer(ThreadingHTTPServer):
    """A threading HTTP server that owns the emulator state and tracks open connections."""

    daemon_threads = True
    allow_reuse_address = True
    # socketserver's default backlog of 5 overflows (and resets connections) under the
    # concurrent load real clients put on Google's front ends; batches open dozens at once.
    request_queue_size = 1024

    def __init__(self, port: int, state: EmulatorState, config: ServerConfig) -> None:
        self.state = state
        self.config = config
        self.stopping = threading.Event()
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(("127.0.0.1", port), _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Reports a handler failure in one line.

        Clients hang up mid-answer all the time in fault tests (that is the point); the default
        prints a full traceback from the handler thread, and on Python 3.11 formatting one
        parses source with ``ast`` concurrently with the test runner, which can crash it.
        """
        error = sys.exc_info()[1]
        if isinstance(error, (ConnectionError, TimeoutError)):
            return
        sys.stderr.write(f"VeoEmulator: handler error from {client_address}: {error!r}\n")

    def track(self, connection: socket.socket, alive: bool) -> None:
        """Adds or removes a client connection from the set closed on shutdown."""
        with self._connections_lock:
            if alive:
                self._connections.add(connection)
            else:
                self._connections.discard(connection)

    def close_connections(self) -> None:
        """Shuts down every open client connection so blocked handler threads return."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


def _mask_headers(headers: dict[str, str]) -> dict[str, str]:
    return {k: "***" if k in _SECRET_HEADERS else v for k, v in headers.items()}


def _parse_body(raw: bytes) -> Any:
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode("utf-8", "replace")


def _fault_error(fault: Fault) -> GoogleError:
    message = fault.message or _DEFAULT_MESSAGES.get(fault.status, f"HTTP {fault.status}.")
    headers = {}
    if fault.retry_after is not None:
        headers["Retry-After"] = f"{fault.retry_after:g}"
    return GoogleError(fault.status, message, headers=headers)


def _check_auth(route: Route, ctx: Context) -> None:
    """Raises the error Google returns for a missing or wrong credential."""
    if route.auth == "bearer":
        header = ctx.headers.get("authorization", "")
        if not header.lower().startswith("bearer "):
            raise GoogleError(401, _NO_TOKEN)
        if header[7:].strip() != ctx.config.token:
            raise GoogleError(401, _BAD_TOKEN)
        return
    key = ctx.headers.get("x-goog-api-key") or ctx.query.get("key")
    if not key:
        raise GoogleError(403, _NO_KEY)
    if key != ctx.config.api_key:
        details = [
            {
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": "API_KEY_INVALID",
                "domain": "googleapis.com",
            }
        ]
        raise GoogleError(400, _BAD_KEY, details=details)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: EmulatorServer

    def setup(self) -> None:
        super().setup()
        self.server.track(self.connection, True)

    def finish(self) -> None:
        self.server.track(self.connection, False)
        with contextlib.suppress(OSError):
            super().finish()

    def log_message(self, format: str, *args: Any) -> None:
        """Silences the default stderr access log (it would print secrets in `key=`)."""

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def do_DELETE(self) -> None:
        self._handle()

    def do_PUT(self) -> None:
        self._handle()

    def do_PATCH(self) -> None:
        self._handle()

    def _handle(self) -> None:
        split = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(split.query, keep_blank_values=True))
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        body = _parse_body(raw)
        found = match(self.command, split.path)
        route, params = found if found else (None, {})
        masked_query = {k: "***" if k in _SECRET_QUERY else v for k, v in query.items()}
        record = RecordedRequest(
            method=self.command,
            path=split.path,
            query=masked_query,
            headers=_mask_headers(headers),
            body=body,
            endpoint=route.endpoint if route else "unknown",
        )
        fault = self.server.state.record(record)
        try:
            response = self._respond(route, params, query, headers, body, fault)
        except Aborted:
            self._abort()
            return
        if response is None:
            return
        self._send(response, fault)

    def _respond(
        self,
        route: Route | None,
        params: dict[str, str],
        query: dict[str, str],
        headers: dict[str, str],
        body: Any,
        fault: Fault | None,
    ) -> Response | None:
        """Runs faults, auth and the route handler; None means the connection was reset."""
        if route is None:
            path = urllib.parse.urlsplit(self.path).path
            return error_response(GoogleError(404, f"Method not found: {self.command} {path}"))
        ctx = Context(
            state=self.server.state,
            config=self.server.config,
            method=self.command,
            path=urllib.parse.urlsplit(self.path).path,
            query=query,
            headers=headers,
            body=body,
            params=params,
            platform=route.platform,
            stopping=self.server.stopping,
        )
        kind = fault.kind if fault else None
        if fault and kind == "http":
            return error_response(_fault_error(fault))
        if kind == "reset_before_accept":
            self._abort()
            return None
        if kind == "malformed_json":
            data = b'{"name": "operations/trunc'
            return Response(200, [data], len(data), {"Content-Type": "application/json"})
        if fault and kind == "stall":
            ctx.wait(fault.seconds)
        try:
            _check_auth(route, ctx)
            response = route.handler(ctx)
        except GoogleError as error:
            response = error_response(error)
        if kind == "reset_after_accept":
            self._abort()
            return None
        return response

    def _abort(self) -> None:
        """Resets the TCP connection (RST, thanks to SO_LINGER 0) without answering."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        # The rfile holds a reference to the socket; both must close for the fd to close.
        with contextlib.suppress(OSError):
            self.rfile.close()
        with contextlib.suppress(OSError):
            self.connection.close()

    def _send(self, response: Response, fault: Fault | None) -> None:
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(response.length))
        self.end_headers()
        limit = fault.after_bytes if fault and fault.kind == "cut_short" else None
        rate = fault.bytes_per_second if fault and fault.kind == "slow" else None
        sent = 0
        try:
            for chunk in response.chunks:
                if limit is not None and sent + len(chunk) >= limit:
                    self.wfile.write(chunk[: limit - sent])
                    # Closing after a short body makes the client see a premature EOF.
                    self.close_connection = True
                    return
                self._write(chunk, rate)
                sent += len(chunk)
        except (Aborted, OSError):
            self._abort()

    def _write(self, chunk: bytes, rate: int | None) -> None:
        if rate is None:
            for start in range(0, len(chunk), _WRITE_CHUNK):
                self.wfile.write(chunk[start : start + _WRITE_CHUNK])
            return
        # Small slices keep the throttled stream smooth and shutdown prompt.
        step = max(1, rate // 20)
        for start in range(0, len(chunk), step):
            piece = chunk[start : start + step]
            self.wfile.write(piece)
            if self.server.stopping.wait(len(piece) / rate):
                raise Aborted
