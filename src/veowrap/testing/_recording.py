"""`RecordingServer`: a second loopback origin that records exactly what reaches it."""

from __future__ import annotations

import errno
import threading
import urllib.parse
from collections.abc import Iterable
from dataclasses import dataclass
from types import TracebackType

from ._server import TrackedHandler, TrackingServer

#: Header names and query parameters that carry a credential to Google APIs.
_CREDENTIAL_HEADERS = ("authorization", "x-goog-api-key", "proxy-authorization", "cookie")
_CREDENTIAL_QUERY = ("key", "access_token")


@dataclass(frozen=True)
class RecordedForeignRequest:
    """One request as a `RecordingServer` received it, secrets NOT masked.

    Attributes:
        method: HTTP method, e.g. `"GET"`.
        path: Path without the query string.
        query: Query parameters (last value wins), unmasked.
        headers: Request headers with lower-case names, unmasked.
    """

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]


class _Server(TrackingServer):
    def __init__(self, address: tuple[str, int], owner: RecordingServer) -> None:
        self.owner = owner
        super().__init__(address, _Handler)


class RecordingServer:
    """A loopback HTTP server on another origin that answers one fixed response to everything.

    Point a redirect (`Fault.redirect`) or a URL at it, then look at `requests` to see what a
    client sent there: the headers are recorded unmasked, so a test can assert that no
    credential left for a host it does not belong to. It starts serving when constructed;
    use it as a context manager or call `stop()`.

    Example:
        >>> with RecordingServer(body=b"not a video", content_type="text/plain") as foreign:
        ...     emu.inject("download", Fault.redirect(foreign.url("/video.mp4")))
        ...     ...
        ...     assert not foreign.saw_credentials([emu.api_key, emu.token])

    Args:
        body: The response body sent to every request (none for `HEAD`).
        status: The response status.
        content_type: The `Content-Type` header.
        headers: Extra response headers.
        host: The loopback address to bind. Another address such as `127.0.0.2` is a
            different host as well as a different origin; where it cannot be bound (some
            systems only route 127.0.0.1), the server falls back to `127.0.0.1` and
            `fell_back` is True. Any port differs from the emulator's, so the fallback is
            still a different origin.
        port: The port; 0 picks a free one.
    """

    def __init__(
        self,
        body: bytes = b"",
        status: int = 200,
        content_type: str = "application/octet-stream",
        headers: dict[str, str] | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.body = body
        self.status = status
        self.content_type = content_type
        self.headers = dict(headers or {})
        self.fell_back = False
        self._lock = threading.Lock()
        self._requests: list[RecordedForeignRequest] = []
        try:
            self._server = _Server((host, port), self)
        except OSError as error:
            if host == "127.0.0.1" or error.errno not in (errno.EADDRNOTAVAIL, errno.EINVAL):
                raise
            self._server = _Server(("127.0.0.1", port), self)
            self.fell_back = True
        self._thread: threading.Thread | None = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="veo-recording-server",
            daemon=True,
        )
        self._thread.start()

    @property
    def host(self) -> str:
        """The address actually bound."""
        return str(self._server.server_address[0])

    @property
    def port(self) -> int:
        """The port it listens on."""
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        """`http://HOST:PORT`."""
        return f"http://{self.host}:{self.port}"

    def url(self, path: str = "/") -> str:
        """An absolute URL on this server (`path` may carry a query string)."""
        return self.base_url + (path if path.startswith("/") else "/" + path)

    @property
    def requests(self) -> list[RecordedForeignRequest]:
        """A snapshot of every request received, oldest first (unmasked)."""
        with self._lock:
            return list(self._requests)

    def saw_credentials(self, secrets: Iterable[str] | None = None) -> bool:
        """Whether any request brought a credential here.

        Args:
            secrets: Values to look for anywhere in the path, query and header values (e.g.
                `[emu.api_key, emu.token]`). None looks for credential-bearing headers
                (`Authorization`, `x-goog-api-key`, `Cookie`, ...) and query parameters
                (`key`, `access_token`) whatever their values.
        """
        requests = self.requests
        if secrets is None:
            return any(
                any(name in r.headers for name in _CREDENTIAL_HEADERS)
                or any(name in r.query for name in _CREDENTIAL_QUERY)
                for r in requests
            )
        wanted = [s for s in secrets if s]
        for r in requests:
            texts = [r.path, *r.query.values(), *r.headers.values()]
            if any(secret in text for secret in wanted for text in texts):
                return True
        return False

    def record(self, request: RecordedForeignRequest) -> None:
        """Appends a request to the log (called by the handler threads)."""
        with self._lock:
            self._requests.append(request)

    def stop(self) -> None:
        """Stops serving and closes open connections; safe to call twice."""
        thread, self._thread = self._thread, None
        if thread is None:
            return
        self._server.halt()
        thread.join(timeout=5)

    def __enter__(self) -> RecordingServer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


class _Handler(TrackedHandler):
    server: _Server  # pyright: ignore[reportIncompatibleVariableOverride]

    def do_GET(self) -> None:
        self._handle()

    def do_HEAD(self) -> None:
        self._handle(body=False)

    def do_POST(self) -> None:
        self._handle()

    def do_PUT(self) -> None:
        self._handle()

    def do_DELETE(self) -> None:
        self._handle()

    def do_PATCH(self) -> None:
        self._handle()

    def _handle(self, body: bool = True) -> None:
        owner = self.server.owner
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        split = urllib.parse.urlsplit(self.path)
        owner.record(
            RecordedForeignRequest(
                method=self.command,
                path=split.path,
                query=dict(urllib.parse.parse_qsl(split.query, keep_blank_values=True)),
                headers={k.lower(): v for k, v in self.headers.items()},
            )
        )
        try:
            self.send_response(owner.status)
            self.send_header("Content-Type", owner.content_type)
            for name, value in owner.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(owner.body)))
            self.end_headers()
            if body and owner.body:
                self.wfile.write(owner.body)
        except OSError:
            self.close_connection = True
