"""`asgi_app`: a plain ASGI endpoint that verifies deliveries into an :class:`Inbox`.

No web framework is needed: any ASGI server (uvicorn, hypercorn, daphne) serves it, and
Starlette/FastAPI can mount it.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from typing import Any

from veowrap._core.webhooks import MAX_BODY_BYTES, WebhookVerificationError, check_secrets
from veowrap.webhooks._inbox import Inbox
from veowrap.webhooks._jwks import JwksKeys, checked_jwks
from veowrap.webhooks._verify import Secret, verify

__all__ = ["ASGIApp", "asgi_app"]

logger = logging.getLogger("veowrap")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def asgi_app(
    inbox: Inbox,
    *,
    secret: Secret | Sequence[Secret] | None = None,
    jwks: str | JwksKeys | None = None,
    audience: str | None = None,
    max_body_bytes: int = MAX_BODY_BYTES,
) -> ASGIApp:
    """An ASGI app that answers webhook deliveries (any path, ``POST`` only).

    Verified deliveries go into ``inbox`` and get ``204``; repeats of a known
    ``webhook-id`` get ``204`` too (the sender must stop retrying); failed checks get ``400``
    with ``{"error": "<check>"}``, which names the check and nothing else; bodies over
    ``max_body_bytes`` get ``413`` without being read further.

    Args:
        inbox: Where verified events go.
        secret: Verify with this ``whsec_`` secret instead of the inbox's.
        jwks: Verify with this key set instead of the inbox's.
        audience: The JWT ``aud`` to require, with ``jwks``.
        max_body_bytes: Larger bodies are refused (the inbox verifies with this limit too).

    Raises:
        RequestValidationError: ``jwks`` is refused (checked when the app is built).
        WebhookVerificationError: ``secret`` is malformed (``check="configuration"``).

    Example:
        >>> app = asgi_app(Inbox(secret="whsec_..."))  # uvicorn module:app   # doctest: +SKIP
    """
    jwks = checked_jwks(jwks)
    own = secret is not None or jwks is not None
    if secret is not None:
        secret = check_secrets(secret)  # a malformed secret is a start-up error

    def check(body: bytes, headers: list[tuple[bytes, bytes]]) -> None:
        if own:
            event = verify(
                body,
                headers,
                secret=secret,
                jwks=jwks,
                audience=audience,
                max_body_bytes=max_body_bytes,
            )
            inbox.accept(event)
        else:
            # The app's own limit, already enforced while reading: the inbox must not
            # refuse with its default what this app accepted.
            inbox.deliver(body, headers, max_body_bytes=max_body_bytes)

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        if scope.get("method") != "POST":
            await _answer(send, 405, {"error": "method"}, [(b"allow", b"POST")])
            return
        headers = [(bytes(k), bytes(v)) for k, v in scope.get("headers", [])]
        declared = next((v for k, v in headers if k.lower() == b"content-length"), None)
        if declared is not None and (not declared.isdigit() or int(declared) > max_body_bytes):
            await _answer(send, 413, {"error": "body"})
            return
        body = await _read(receive, max_body_bytes)
        if body is None:
            await _answer(send, 413, {"error": "body"})
            return
        try:
            # Verification may fetch a key set: keep the event loop free meanwhile.
            await asyncio.to_thread(check, body, headers)
        except WebhookVerificationError as error:
            logger.warning("webhook delivery refused: %s", error)
            await _answer(send, 400, {"error": error.check})
            return
        except Exception:
            logger.exception("webhook delivery could not be handled")
            await _answer(send, 500, {"error": "internal"})
            return
        await _answer(send, 204, None)

    return app


async def _read(receive: Receive, limit: int) -> bytes | None:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


async def _answer(
    send: Send,
    status: int,
    payload: dict[str, str] | None,
    extra: list[tuple[bytes, bytes]] | None = None,
) -> None:
    body = b"" if payload is None else json.dumps(payload).encode()
    headers = [(b"content-length", str(len(body)).encode()), *(extra or [])]
    if payload is not None:
        headers.append((b"content-type", b"application/json"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
