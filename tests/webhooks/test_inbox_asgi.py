"""Inbox (dedupe, bounds, threads and event loops) and asgi_app (called as ASGI and over HTTP)."""

from __future__ import annotations

import asyncio
import json
import threading
import urllib.error
import urllib.request
from typing import Any

import pytest

from veowrap import webhooks
from veowrap.testing import WebhookReceiver, WebhookSigner
from veowrap.webhooks import Inbox, WebhookVerificationError


@pytest.fixture(scope="module")
def signer() -> WebhookSigner:
    return WebhookSigner()


def delivery(
    signer: WebhookSigner, subject: str = "v1_job", **kwargs: Any
) -> tuple[bytes, dict[str, str]]:
    body = signer.body("interaction.completed", {"id": subject})
    return body, signer.headers(body, **kwargs)


# -- Inbox --------------------------------------------------------------------------------------


def test_replayed_id_is_accepted_once(signer: WebhookSigner) -> None:
    inbox = Inbox(secret=signer.secret)
    body, headers = delivery(signer)
    assert inbox.deliver(body, headers) is not None
    # The sender's retry: same id, fresh timestamp and signature.
    retry = signer.headers(body, msg_id=headers["webhook-id"])
    assert inbox.deliver(body, retry) is None
    assert inbox.deliver(body, headers) is None
    assert inbox.duplicates == 2 and len(inbox.events) == 1


def test_forged_delivery_never_reaches_the_inbox(signer: WebhookSigner) -> None:
    inbox = Inbox(secret=signer.secret)
    body, headers = delivery(signer)
    with pytest.raises(WebhookVerificationError):
        inbox.deliver(body.replace(b"v1_job", b"v1_other"), headers)
    assert inbox.events == [] and inbox.event_for("v1_other") is None
    # A refused delivery does not burn its id: the genuine one still gets in.
    assert inbox.deliver(body, headers) is not None


def test_memory_is_bounded(signer: WebhookSigner) -> None:
    inbox = Inbox(secret=signer.secret, max_ids=5, max_events=3)
    for n in range(20):
        body, headers = delivery(signer, subject=f"v1_job{n}")
        inbox.deliver(body, headers)
    assert len(inbox.events) == 3
    assert len(inbox._seen) == 5 and len(inbox._by_key) <= 6
    assert inbox.event_for("v1_job19") is not None and inbox.event_for("v1_job0") is None


def test_event_for_matches_full_names_and_ids(signer: WebhookSigner) -> None:
    inbox = Inbox(secret=signer.secret)
    body, headers = delivery(signer, subject="interactions/v1_abc")
    inbox.deliver(body, headers)
    assert inbox.event_for("v1_abc") is inbox.event_for("interactions/v1_abc") is not None


def test_threads_waiting_and_delivering_concurrently(signer: WebhookSigner) -> None:
    inbox = Inbox(secret=signer.secret)
    names = [f"v1_t{n}" for n in range(16)]
    results: dict[str, int | None] = {}

    def waiter(name: str) -> None:
        results[name] = inbox.wait(frozenset({name}), 10.0)

    threads = [threading.Thread(target=waiter, args=(n,)) for n in names]
    for t in threads:
        t.start()
    deliveries = [delivery(signer, subject=n) for n in names]
    senders = [threading.Thread(target=inbox.deliver, args=d) for d in deliveries * 2]
    for t in senders:
        t.start()
    for t in senders + threads:
        t.join(timeout=10)
    assert all(results[n] for n in names)
    assert len(inbox.events) == 16 and inbox.duplicates == 16


async def test_event_loop_waiters_are_woken_from_other_threads(signer: WebhookSigner) -> None:
    inbox = Inbox(secret=signer.secret)
    waits = [inbox.wait_async(frozenset({f"v1_a{n}"}), 10.0) for n in range(8)]
    gathered = asyncio.gather(*waits)
    await asyncio.sleep(0)
    for n in range(8):
        body, headers = delivery(signer, subject=f"v1_a{n}")
        await asyncio.to_thread(inbox.deliver, body, headers)
    assert all(await gathered)
    assert inbox._waiters == []
    assert await inbox.wait_async(frozenset({"v1_none"}), 0.01) is None
    assert inbox._waiters == []


async def test_a_cancelled_async_wait_leaves_no_waiter(signer: WebhookSigner) -> None:
    inbox = Inbox(secret=signer.secret)
    task = asyncio.create_task(inbox.wait_async(frozenset({"v1_x"}), 10.0))
    await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert inbox._waiters == []


def test_inbox_settings_are_checked() -> None:
    from veowrap import RequestValidationError

    for bad in ({"backstop": 0}, {"tolerance": 0}, {"max_ids": 0}, {"backstop": float("inf")}):
        with pytest.raises(RequestValidationError):
            Inbox(**bad)  # type: ignore[arg-type]


# -- asgi_app -----------------------------------------------------------------------------------


async def call(
    app: Any,
    body: bytes,
    headers: dict[str, str],
    *,
    method: str = "POST",
    chunks: int = 1,
    declared: str | None = None,
) -> tuple[int, bytes]:
    raw = [(k.encode(), v.encode()) for k, v in headers.items()]
    if declared is not None:
        raw.append((b"content-length", declared.encode()))
    size = max(1, len(body) // chunks + 1)
    parts = [body[i : i + size] for i in range(0, len(body), size)] or [b""]
    messages = [
        {"type": "http.request", "body": part, "more_body": i < len(parts) - 1}
        for i, part in enumerate(parts)
    ]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": method, "path": "/hook", "headers": raw}
    await app(scope, receive, send)
    return sent[0]["status"], b"".join(m.get("body", b"") for m in sent[1:])


async def test_asgi_app_accepts_refuses_and_dedupes(signer: WebhookSigner) -> None:
    inbox = Inbox()
    app = webhooks.asgi_app(inbox, secret=signer.secret)
    body, headers = delivery(signer)
    assert await call(app, body, headers, chunks=3) == (204, b"")
    assert await call(app, body, headers) == (204, b"")  # a retry: 2xx so it stops
    assert inbox.duplicates == 1
    status, answer = await call(app, body + b" ", headers)
    assert status == 400 and json.loads(answer) == {"error": "signature"}
    assert signer.secret not in answer.decode()
    stale = signer.headers(body, timestamp=1_000_000_000)
    assert (await call(app, body, stale))[0] == 400
    assert (await call(app, b"", {}, method="GET"))[0] == 405


async def test_asgi_app_refuses_huge_bodies_without_reading_them(signer: WebhookSigner) -> None:
    app = webhooks.asgi_app(Inbox(), secret=signer.secret, max_body_bytes=1024)
    big = b"{" + b" " * 4096 + b"}"
    assert (await call(app, big, signer.headers(big), chunks=8))[0] == 413
    assert (await call(app, b"{}", signer.headers(b"{}"), declared="99999999"))[0] == 413
    assert (await call(app, b"{}", signer.headers(b"{}"), declared="-1"))[0] == 413


async def test_asgi_lifespan_is_answered() -> None:
    app = webhooks.asgi_app(Inbox())
    queue = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return queue.pop(0)

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app({"type": "lifespan"}, receive, send)
    assert [m["type"] for m in sent] == ["lifespan.startup.complete", "lifespan.shutdown.complete"]


def test_asgi_app_over_real_http(signer: WebhookSigner) -> None:
    inbox = Inbox(secret=signer.secret)
    with WebhookReceiver(app=webhooks.asgi_app(inbox)) as receiver:
        body, headers = delivery(signer)
        request = urllib.request.Request(receiver.url, data=body, headers=headers, method="POST")
        with urllib.request.urlopen(request, timeout=5) as response:
            assert response.status == 204
        forged = urllib.request.Request(
            receiver.url, data=body, headers={**headers, "webhook-id": "msg_x"}, method="POST"
        )
        with pytest.raises(urllib.error.HTTPError) as info:
            urllib.request.urlopen(forged, timeout=5)
        assert info.value.code == 400
        info.value.close()
    assert inbox.event_for("v1_job") is not None


def test_static_only_inbox_refuses_dynamic_signatures(signer: WebhookSigner) -> None:
    inbox = Inbox(secret=signer.secret, jwks=None)
    body, headers = delivery(signer, schemes=["v1a"])
    with pytest.raises(WebhookVerificationError) as info:
        inbox.deliver(body, headers)
    assert info.value.check == "configuration" and "jwks=" in str(info.value)
