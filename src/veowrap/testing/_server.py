"""The HTTP server: parses requests, logs them, applies faults and auth, writes responses."""

from __future__ import annotations

import contextlib
import http
import json
import socket
import struct
import sys
import threading
import time
import urllib.parse
from collections.abc import Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from . import _hostile
from ._errors import GoogleError
from ._faults import Fault
from ._http import Aborted, Context, Response, ServerConfig, error_response
from ._routes import Origin, Route, match
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


class TrackingServer(ThreadingHTTPServer):
    """A threading HTTP server that tracks open connections so it can stop promptly."""

    daemon_threads = True
    allow_reuse_address = True
    # socketserver's default backlog of 5 overflows (and resets connections) under the
    # concurrent load real clients put on Google's front ends; batches open dozens at once.
    request_queue_size = 1024

    def __init__(self, address: tuple[str, int], handler: Any) -> None:
        self.stopping = threading.Event()
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Condition()
        super().__init__(address, handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Reports a handler failure in one line.

        Clients hang up mid-answer all the time in fault tests (that is the point); the default
        prints a full traceback from the handler thread, and on Python 3.11 formatting one
        parses source with ``ast`` concurrently with the test runner, which can crash it.
        """
        error = sys.exc_info()[1]
        if isinstance(error, (ConnectionError, TimeoutError)):
            return
        sys.stderr.write(f"{type(self).__name__}: handler error from {client_address}: {error!r}\n")

    def track(self, connection: socket.socket, alive: bool) -> None:
        """Adds or removes a client connection from the set closed on shutdown."""
        with self._connections_lock:
            if alive:
                self._connections.add(connection)
            else:
                self._connections.discard(connection)
                self._connections_lock.notify_all()

    def close_connections(self) -> None:
        """Shuts down every open client connection so blocked handler threads return."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

    def halt(self, grace: float = 2.0) -> None:
        """Stops serving, wakes waiting and trickling handlers and waits (briefly) for them.

        Args:
            grace: Seconds to wait for handler threads to let go of their connections.
        """
        self.stopping.set()
        self.shutdown()
        self.close_connections()
        deadline = time.monotonic() + grace
        with self._connections_lock:
            while self._connections and time.monotonic() < deadline:
                self._connections_lock.wait(max(0.0, deadline - time.monotonic()))
        self.server_close()


class EmulatorServer(TrackingServer):
    """The emulator's listener: the API origin, or the separate media origin."""

    def __init__(
        self,
        port: int,
        state: EmulatorState,
        config: ServerConfig,
        origin: Origin = "api",
    ) -> None:
        self.state = state
        self.config = config
        self.origin: Origin = origin
        super().__init__(("127.0.0.1", port), _Handler)


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
        # Whole seconds are written out in full (1e9 as 1000000000, not 1e+09): that is the
        # delta-seconds form of RFC 9110 that a client must cope with.
        seconds = fault.retry_after
        value = str(int(seconds)) if float(seconds).is_integer() else f"{seconds:g}"
        headers["Retry-After"] = value
    return GoogleError(fault.status, message, headers=headers)


def _carries_credentials(
    config: ServerConfig, headers: dict[str, str], query: dict[str, str]
) -> bool:
    """Whether the API key or the token appears anywhere in a request's headers or query."""
    secrets = [s for s in (config.api_key, config.token) if s]
    values = [*headers.values(), *query.values()]
    return any(secret in value for secret in secrets for value in values)


def _is_media(route: Route | None, query: dict[str, str]) -> bool:
    """Whether a route answers with media bytes rather than JSON."""
    if route is None:
        return False
    if route.endpoint == "gcs_download":
        return query.get("alt") == "media"
    return route.endpoint in ("download", "media")


def _check_auth(route: Route, ctx: Context) -> None:
    """Raises the error Google returns for a missing or wrong credential."""
    if route.auth == "signed":
        return  # the handler checks the URL's signature
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


class TrackedHandler(BaseHTTPRequestHandler):
    """An HTTP/1.1 handler whose connection its :class:`TrackingServer` can close on stop.

    The default stderr access log is silenced: it would print what the tests' servers record,
    credentials in ``key=`` among them.
    """

    protocol_version = "HTTP/1.1"
    server: TrackingServer  # pyright: ignore[reportIncompatibleVariableOverride]

    def setup(self) -> None:
        super().setup()
        self.server.track(self.connection, True)

    def finish(self) -> None:
        self.server.track(self.connection, False)
        with contextlib.suppress(OSError):
            super().finish()

    def log_message(self, format: str, *args: Any) -> None:
        """Silences the default stderr access log."""


class _Handler(TrackedHandler):
    server: EmulatorServer  # pyright: ignore[reportIncompatibleVariableOverride]

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
        found = match(self.command, split.path, self.server.origin)
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
        if self.server.origin == "media" and _carries_credentials(
            self.server.config, headers, query
        ):
            self.server.state.note_media_credentials()
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
        if fault is not None:
            # Faults that answer instead of the route: nothing is handled or accepted.
            instead = self._instead(fault, route, headers, query)
            if instead is not None:
                return instead
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
        if fault and kind == "accept_then_http":
            return error_response(_fault_error(fault))
        return response

    @staticmethod
    def _instead(
        fault: Fault, route: Route, headers: dict[str, str], query: dict[str, str]
    ) -> Response | None:
        """The answer of a fault that replaces the route's; None for the other faults."""
        if fault.kind == "http":
            return error_response(_fault_error(fault))
        if fault.kind == "wrong_content":
            return _hostile.wrong_content(fault.content)
        if fault.kind == "echo_credentials":
            return error_response(_hostile.echo_credentials(fault.status, headers, query))
        if fault.kind == "compression_bomb":
            return _hostile.compression_bomb(fault.megabytes, not _is_media(route, query))
        if fault.kind == "redirect":
            return _hostile.redirect(fault.status, fault.location)
        return None

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
        kind = fault.kind if fault else None
        try:
            if fault is not None and kind == "trickle_headers":
                self._trickle_head(response, fault.interval)
                return
            framed = not (fault is not None and kind == "cut_short" and not fault.content_length)
            self.send_response(response.status)
            for name, value in response.headers.items():
                self.send_header(name, value)
            if framed:
                self.send_header("Content-Length", str(response.length))
            else:
                # No length: the body ends when the connection closes (a clean FIN).
                self.send_header("Connection", "close")
            self.end_headers()
            self._send_body(response.chunks, fault)
        except (Aborted, OSError):
            self._abort()

    def _send_body(self, chunks: Iterable[bytes], fault: Fault | None) -> None:
        kind = fault.kind if fault else None
        limit = fault.after_bytes if fault and kind == "cut_short" else None
        rate = fault.bytes_per_second if fault and kind == "slow" else None
        trickle = fault if fault and kind == "trickle_body" else None
        sent = 0
        for chunk in chunks:
            if limit is not None and sent + len(chunk) >= limit:
                self.wfile.write(chunk[: limit - sent])
                # Closing after a short body makes the client see a premature (or, without a
                # Content-Length, a clean) EOF.
                self.close_connection = True
                return
            if trickle is not None:
                self._trickle(chunk, max(0, trickle.after_bytes - sent), trickle.interval)
            else:
                self._write(chunk, rate)
            sent += len(chunk)

    def _trickle_head(self, response: Response, interval: float) -> None:
        """Writes the status line and headers one byte at a time, then an endless header."""
        self.close_connection = True
        phrase = http.HTTPStatus(response.status).phrase
        lines = [f"HTTP/1.1 {response.status} {phrase}"]
        lines += [f"{name}: {value}" for name, value in response.headers.items()]
        lines += [f"Content-Length: {response.length}", "X-Emulator-Trickle: "]
        head = "\r\n".join(lines).encode("latin-1")
        index = 0
        while True:
            self.wfile.write(head[index : index + 1] if index < len(head) else b"a")
            index += 1
            if self.server.stopping.wait(interval):
                raise Aborted

    def _trickle(self, chunk: bytes, at_once: int, interval: float) -> None:
        """Writes `at_once` bytes of a chunk, then the rest one byte every `interval`."""
        if at_once:
            self.wfile.write(chunk[:at_once])
        for index in range(at_once, len(chunk)):
            if self.server.stopping.wait(interval):
                raise Aborted
            self.wfile.write(chunk[index : index + 1])

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
