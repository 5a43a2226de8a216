"""Helpers for the round-4 attack suite: a hostile loopback JWKS host."""

from __future__ import annotations

import contextlib
import http.server
import threading
import time
from collections.abc import Callable
from typing import Any

from veowrap.testing import WebhookSigner


class KeyHost:
    """A loopback JWKS host whose behaviour a test chooses per path.

    ``behaviour(handler)`` answers one GET; ``hits`` counts the GETs per path.
    """

    def __init__(self, signer: WebhookSigner) -> None:
        self.signer = signer
        self.hits: dict[str, int] = {}
        self.routes: dict[str, Callable[[http.server.BaseHTTPRequestHandler], None]] = {}
        self.seen_headers: list[dict[str, str]] = []
        host = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def do_GET(self) -> None:
                host.hits[self.path] = host.hits.get(self.path, 0) + 1
                host.seen_headers.append(dict(self.headers.items()))
                route = host.routes.get(self.path, host.good)
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    route(self)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str = "/jwks") -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    def good(self, handler: http.server.BaseHTTPRequestHandler) -> None:
        body = self.signer.jwks_bytes()
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    def dribble(self, pause: float, count: int) -> Callable[[Any], None]:
        """Answers the real key set, its first ``count`` bytes one every ``pause`` s."""

        def route(handler: http.server.BaseHTTPRequestHandler) -> None:
            body = self.signer.jwks_bytes()
            handler.send_response(200)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            for i in range(count):
                handler.wfile.write(body[i : i + 1])
                handler.wfile.flush()
                time.sleep(pause)
            handler.wfile.write(body[count:])

        return route

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
