"""`WebhookReceiver`: a loopback HTTP endpoint for webhook deliveries, into an `Inbox` or an
ASGI app (served over real HTTP without an ASGI server)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING, Any

from ._server import TrackedHandler, TrackingServer

if TYPE_CHECKING:
    from veowrap.webhooks import Inbox

__all__ = ["WebhookReceiver"]


class _ReceiverServer(TrackingServer):
    def __init__(self, owner: WebhookReceiver) -> None:
        self.owner = owner
        super().__init__(("127.0.0.1", 0), _ReceiverHandler)


class WebhookReceiver:
    """A loopback HTTP endpoint for webhook deliveries: into an ``Inbox``, or an ASGI app.

    With ``inbox``, answers 204 for a new or repeated delivery and 400 for one that fails
    verification, as a production endpoint should. With ``app`` (e.g. ``webhooks.asgi_app``
    or a FastAPI app), each request is served by that ASGI app, so the app is exercised over
    real HTTP without an ASGI server. Either way, while `fail_next` counts down it answers
    503 (an endpoint that is down, so the sender retries).

    Args:
        inbox: Where deliveries go.
        app: An ASGI application to serve instead.
        on_error: Called with each verification error (``inbox`` mode).
    """

    def __init__(
        self,
        inbox: Inbox | None = None,
        *,
        app: Any = None,
        on_error: Callable[[Exception], None] | None = None,
    ) -> None:
        if (inbox is None) == (app is None):
            raise ValueError("give exactly one of inbox and app")
        self.inbox = inbox
        self.app = app
        self.on_error = on_error
        self.fail_next = 0
        self.statuses: list[int] = []
        self._lock = threading.Lock()
        self._server = _ReceiverServer(self)
        self._thread: threading.Thread | None = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="veo-webhook-receiver",
            daemon=True,
        )
        self._thread.start()

    @property
    def url(self) -> str:
        """The URL to deliver to."""
        return f"http://127.0.0.1:{self._server.server_address[1]}/webhooks/gemini"

    def handle(self, path: str, body: bytes, headers: list[tuple[str, str]]) -> int:
        """Answers one delivery (called by the server threads)."""
        with self._lock:
            down = self.fail_next > 0
            self.fail_next -= 1 if down else 0
        status = 503
        if not down:
            status = self._asgi(path, body, headers) if self.app else self._deliver(body, headers)
        with self._lock:
            self.statuses.append(status)
        return status

    def _deliver(self, body: bytes, headers: list[tuple[str, str]]) -> int:
        from veowrap.webhooks import WebhookVerificationError

        assert self.inbox is not None
        try:
            self.inbox.deliver(body, headers)
        except WebhookVerificationError as error:
            if self.on_error is not None:
                self.on_error(error)
            return 400
        return 204

    def _asgi(self, path: str, body: bytes, headers: list[tuple[str, str]]) -> int:
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "POST",
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "root_path": "",
            "headers": [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers],
            "client": ("127.0.0.1", 0),
            "server": ("127.0.0.1", self._server.server_address[1]),
        }
        messages = [{"type": "http.request", "body": body, "more_body": False}]
        answered: list[int] = []

        async def receive() -> dict[str, Any]:
            return messages.pop(0) if messages else {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                answered.append(int(message["status"]))

        asyncio.run(self.app(scope, receive, send))
        return answered[0] if answered else 500

    def stop(self) -> None:
        """Stops serving; safe to call twice."""
        thread, self._thread = self._thread, None
        if thread is not None:
            self._server.halt()
            thread.join(timeout=5)

    def __enter__(self) -> WebhookReceiver:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


class _ReceiverHandler(TrackedHandler):
    server: _ReceiverServer  # pyright: ignore[reportIncompatibleVariableOverride]

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(min(length, 1 << 20))
        status = self.server.owner.handle(self.path, body, list(self.headers.items()))
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()
