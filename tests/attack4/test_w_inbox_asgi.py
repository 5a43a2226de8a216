"""Attacks on ``Inbox`` and ``asgi_app``: races, floods, oversized and lying requests, leaks."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from typing import Any

import pytest

from veowrap import RequestValidationError, UsageError, VeowrapError, webhooks
from veowrap.testing import WebhookSigner

CREDENTIAL = "pw-s3cr3t-attack4"
CRED_URL = f"https://alice:{CREDENTIAL}@keys.example/jwks"


def delivery(signer: WebhookSigner, op: str = "models/veo/operations/op1", **kw: Any) -> Any:
    body = signer.body("video.generated", {"id": op})
    return body, signer.headers(body, **kw)


# -- Inbox ------------------------------------------------------------------------------------


def test_w_racing_threads_accept_one_delivery_once(signer: WebhookSigner) -> None:
    inbox = webhooks.Inbox(secret=signer.secret, jwks=None)
    body, headers = delivery(signer)
    results: list[Any] = []
    barrier = threading.Barrier(8)

    def deliver() -> None:
        barrier.wait()
        for _ in range(20):
            results.append(inbox.deliver(body, headers))

    threads = [threading.Thread(target=deliver) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(r is not None for r in results) == 1
    assert inbox.duplicates == 159 and len(inbox.events) == 1


def test_w_id_flood_keeps_memory_bounded(signer: WebhookSigner) -> None:
    inbox = webhooks.Inbox(secret=signer.secret, jwks=None, max_ids=50, max_events=20)
    for i in range(400):
        body, headers = delivery(signer, op=f"models/veo/operations/op{i}")
        assert inbox.deliver(body, headers) is not None
    assert len(inbox.events) == 20
    assert inbox.event_for("models/veo/operations/op0") is None
    assert inbox.event_for("models/veo/operations/op399") is not None
    # Internal books bounded as documented (ids and events).
    sizes = [len(v) for v in vars(inbox).values() if isinstance(v, dict | list)]
    assert max(sizes, default=0) <= 2 * 50


def test_w_someone_elses_event_does_not_wake_a_wait(signer: WebhookSigner) -> None:
    from veowrap._core.webhooks import match_keys

    inbox = webhooks.Inbox(secret=signer.secret, jwks=None)
    mine = match_keys("models/veo/operations/mine42")
    for other in ("models/veo/operations/mine4", "models/veo/operations/xmine42", "mine42x"):
        body, headers = delivery(signer, op=other)
        inbox.deliver(body, headers)
    assert inbox.wait(mine, timeout=0.05) is None
    body = signer.body("interaction.completed", {"id": "interactions/mine42"})
    inbox.deliver(body, signer.headers(body))  # same random id: may wake (then a status read)
    assert inbox.wait(mine, timeout=0.05) is not None


async def test_w_async_wait_keeps_its_timeout_under_a_flood(signer: WebhookSigner) -> None:
    """A flood of other operations' deliveries from a thread must not extend or end the wait."""
    from veowrap._core.webhooks import match_keys

    inbox = webhooks.Inbox(secret=signer.secret, jwks=None)
    prepared = [delivery(signer, op=f"models/veo/operations/other{i}") for i in range(200)]
    stop = threading.Event()

    def flood() -> None:
        for body, headers in prepared:
            if stop.is_set():
                return
            inbox.deliver(body, headers)

    thread = threading.Thread(target=flood)
    start = time.monotonic()
    thread.start()
    try:
        got = await inbox.wait_async(match_keys("models/veo/operations/mine"), timeout=0.3)
    finally:
        stop.set()
        thread.join()
    assert got is None
    assert 0.25 <= time.monotonic() - start < 1.5


@pytest.mark.parametrize("url", [CRED_URL, "http://keys.example/jwks"])
def test_w_inbox_refuses_a_bad_key_set_url_up_front(url: str) -> None:
    with pytest.raises(RequestValidationError):
        webhooks.Inbox(jwks=url)


def test_w_key_set_url_credentials_never_reach_the_error() -> None:
    with pytest.raises(RequestValidationError) as info:
        webhooks.JwksKeys(CRED_URL)
    assert CREDENTIAL not in str(info.value) + repr(info.value)


# -- asgi_app ---------------------------------------------------------------------------------


async def call(
    app: Any, body_chunks: list[bytes], headers: list[tuple[bytes, bytes]], **scope: Any
):
    """Runs one request through the ASGI app; returns (status, body, receive calls)."""
    queue = [
        {"type": "http.request", "body": c, "more_body": i < len(body_chunks) - 1}
        for i, c in enumerate(body_chunks)
    ]
    reads = [0]
    sent: list[Any] = []

    async def receive() -> Any:
        reads[0] += 1
        if queue:
            return queue.pop(0)
        await asyncio.sleep(3600)  # a client that never finishes

    async def send(message: Any) -> None:
        sent.append(message)

    full = {"type": "http", "method": "POST", "path": "/", "headers": headers, **scope}
    await asyncio.wait_for(app(full, receive, send), 5)
    status = next((m["status"] for m in sent if m["type"] == "http.response.start"), None)
    payload = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return status, payload, reads[0]


def pairs(headers: dict[str, str]) -> list[tuple[bytes, bytes]]:
    return [(k.encode(), v.encode()) for k, v in headers.items()]


async def test_w_asgi_lying_and_oversized_requests(signer: WebhookSigner) -> None:
    inbox = webhooks.Inbox(secret=signer.secret, jwks=None)
    app = webhooks.asgi_app(inbox)
    body, headers = delivery(signer)
    # Declares a small length, streams more than the limit: 413, stops reading.
    chunks = [b"x" * (64 << 10)] * 100
    status, _, reads = await call(app, chunks, [*pairs(headers), (b"content-length", b"10")])
    assert status == 413 and reads <= 6
    # No length, endless chunks: 413 without reading all of them.
    status, _, reads = await call(app, chunks, pairs(headers))
    assert status == 413 and reads <= 6
    for bad in (b"-1", b"1e3", b"0x10", b"\xd9\xa1", b"99999999999999999999"):
        status, _, reads = await call(app, [body], [*pairs(headers), (b"content-length", bad)])
        assert status == 413 and reads == 0, bad
    status, _, _ = await call(app, [body], pairs(headers), method="GET")
    assert status == 405
    status, _, _ = await call(app, [body], pairs(headers))
    assert status == 204 and inbox.events


async def test_w_asgi_refusals_name_the_check_only_and_log_no_secret(
    signer: WebhookSigner, caplog: pytest.LogCaptureFixture
) -> None:
    inbox = webhooks.Inbox(secret=signer.secret, jwks=None)
    app = webhooks.asgi_app(inbox)
    body, headers = delivery(signer)
    signature = headers["webhook-signature"]
    caplog.set_level(logging.DEBUG)
    answers = []
    for tampered in (
        body + b" ",
        body.replace(b"op1", b"op2"),
    ):
        answers.append(await call(app, [tampered], pairs(headers)))
    stale = {**headers, "webhook-timestamp": str(int(time.time()) - 10_000)}
    answers.append(await call(app, [body], pairs(stale)))
    for status, payload, _ in answers:
        assert status == 400
        assert set(json.loads(payload)) == {"error"}
    logged = caplog.text + " ".join(repr(r.args) for r in caplog.records)
    assert signer.secret[6:] not in logged and signature.split(",", 1)[1] not in logged


async def test_w_asgi_never_logs_key_set_credentials(
    signer: WebhookSigner, caplog: pytest.LogCaptureFixture
) -> None:
    """A key-set URL with credentials never reaches a log, an error or an answer.

    Once a break (a 500 whose logged traceback held the password); the URL is now refused
    when the Inbox is built, so no endpoint ever serves with it.
    """
    caplog.set_level(logging.DEBUG)
    with pytest.raises(VeowrapError) as refused:
        webhooks.asgi_app(webhooks.Inbox(secret=signer.secret, jwks=CRED_URL))
    assert CREDENTIAL not in str(refused.value) and CREDENTIAL not in repr(refused.value)
    assert CREDENTIAL not in caplog.text


async def test_w_asgi_honours_its_own_body_limit(signer: WebhookSigner) -> None:
    inbox = webhooks.Inbox(secret=signer.secret, jwks=None)
    app = webhooks.asgi_app(inbox, max_body_bytes=1 << 20)
    body = signer.body(
        "video.generated", {"id": "models/v/operations/big", "pad": "x" * (300 << 10)}
    )
    headers = signer.headers(body)
    status, payload, _ = await call(app, [body], pairs(headers))
    assert status == 204, payload


async def test_w_asgi_ignores_non_http_scopes(signer: WebhookSigner) -> None:
    app = webhooks.asgi_app(webhooks.Inbox(secret=signer.secret, jwks=None))
    sent: list[Any] = []

    async def receive() -> Any:
        return {"type": "websocket.connect"}

    async def send(message: Any) -> None:
        sent.append(message)

    await asyncio.wait_for(app({"type": "websocket", "path": "/"}, receive, send), 1)
    assert sent == []


def test_w_inbox_settings_refuse_nonsense() -> None:
    for kwargs in (
        {"backstop": 0},
        {"backstop": -1},
        {"backstop": float("nan")},
        {"tolerance": float("inf")},
        {"tolerance": True},
        {"max_ids": 0},
        {"max_events": -5},
    ):
        with pytest.raises(UsageError):
            webhooks.Inbox(secret="whsec_" + "A" * 44, **kwargs)


def test_w_reprs_carry_no_secret(signer: WebhookSigner) -> None:
    inbox = webhooks.Inbox(secret=[signer.secret, WebhookSigner().secret], jwks=None)
    body, headers = delivery(signer)
    event = inbox.deliver(body, headers)
    app = webhooks.asgi_app(inbox, secret=signer.secret)
    texts = [
        repr(inbox),
        str(inbox),
        repr(event),
        repr(app),
        repr(webhooks.JwksKeys("https://k.example/j")),
    ]
    joined = " ".join(texts)
    assert signer.secret[6:] not in joined
    assert headers["webhook-signature"].split(",", 1)[1] not in joined


def test_w_many_event_loops_each_woken_by_their_own_delivery(signer: WebhookSigner) -> None:
    from veowrap._core.webhooks import match_keys

    inbox = webhooks.Inbox(secret=signer.secret, jwks=None)
    results: dict[int, Any] = {}
    ready = threading.Barrier(5)

    def loop_thread(i: int) -> None:
        async def main() -> Any:
            task = asyncio.ensure_future(
                inbox.wait_async(match_keys(f"models/veo/operations/loop{i}"), timeout=5)
            )
            await asyncio.sleep(0.05)
            await asyncio.to_thread(ready.wait)
            return await task

        results[i] = asyncio.run(main())

    threads = [threading.Thread(target=loop_thread, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    ready.wait()
    start = time.monotonic()
    for i in (2, 0):
        body, headers = delivery(signer, op=f"models/veo/operations/loop{i}")
        inbox.deliver(body, headers)
    threads[0].join(3)
    threads[2].join(3)
    assert time.monotonic() - start < 1.0
    assert results.get(0) is not None and results.get(2) is not None
    assert 1 not in results and 3 not in results  # not woken by the others' deliveries
    for i in (1, 3):
        body, headers = delivery(signer, op=f"models/veo/operations/loop{i}")
        inbox.deliver(body, headers)
    for t in threads:
        t.join(5)
    assert all(results.get(i) is not None for i in range(4))
