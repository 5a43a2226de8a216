"""Attacks on ``wait``/``generate`` with ``webhooks=inbox`` and ``webhook=URL``, end to end.

The emulator is a real loopback server; deliveries are signed with a test signer's keys.
Promises: an event only wakes a wait ("the status read decides"), a webhook that never
arrives costs the backstop, the deadline holds, bad input is refused before any network call
and secrets never appear in an exception.
"""

from __future__ import annotations

import asyncio
import http.server
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

import veowrap
from veowrap import webhooks
from veowrap.testing import VeoEmulator, WebhookSigner

OMNI = "gemini-omni-1.2-flash"
SLOW_POLLS = veowrap.PollSchedule.fixed(600)
CREDENTIAL = "pw-s3cr3t-attack4"


@pytest.fixture
def emu() -> Iterator[VeoEmulator]:
    with VeoEmulator(latency=0.6) as emulator:
        yield emulator


class EvilMedia:
    """A loopback host an event's output_uri points at: counts every request."""

    def __init__(self) -> None:
        self.hits = 0
        host = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                host.hits += 1
                self.send_response(200)
                self.send_header("Content-Length", "4")
                self.end_headers()
                self.wfile.write(b"evil")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/evil.mp4"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_w_misleading_events_only_wake_the_wait(emu: VeoEmulator, tmp_path: Any) -> None:
    """A signed 'failed' event and a 'generated' one pointing elsewhere, both while the job
    still runs: the wait must neither fail nor take the pointed-at file."""
    signer = WebhookSigner()
    inbox = webhooks.Inbox(secret=signer.secret, jwks=None, backstop=0.2)
    evil = EvilMedia()
    try:
        gen = emu.generator(poll_schedule=SLOW_POLLS)
        handle = gen.submit("a kite", model=OMNI)
        failed = signer.body(
            "interaction.failed", {"id": handle.name, "error_code": 13, "error_message": "boom"}
        )
        inbox.deliver(failed, signer.headers(failed))
        pointer = signer.body(
            "video.generated",
            {"id": handle.name, "output_file_uri": evil.url, "video_uri": evil.url},
        )
        inbox.deliver(pointer, signer.headers(pointer))
        result = gen.wait(handle, webhooks=inbox, timeout=15)
        assert result.videos
        result.save(tmp_path)
        assert evil.hits == 0
        saved = [p for p in tmp_path.iterdir() if p.suffix == ".mp4"]
        assert saved and all(p.read_bytes()[4:8] == b"ftyp" for p in saved)
    finally:
        evil.close()


def test_w_a_wake_storm_for_a_running_job_still_finishes(emu: VeoEmulator) -> None:
    signer = WebhookSigner()
    inbox = webhooks.Inbox(secret=signer.secret, jwks=None, backstop=600)
    gen = emu.generator(poll_schedule=SLOW_POLLS)
    handle = gen.submit("a kite", model=OMNI)
    stop = threading.Event()

    def storm() -> None:
        while not stop.is_set():
            body = signer.body("interaction.completed", {"id": handle.name})
            inbox.deliver(body, signer.headers(body))
            stop.wait(0.05)

    thread = threading.Thread(target=storm)
    thread.start()
    try:
        start = time.monotonic()
        assert gen.wait(handle, webhooks=inbox, timeout=15).videos
        assert time.monotonic() - start < 5
    finally:
        stop.set()
        thread.join()


async def test_w_async_deadline_holds_when_no_webhook_ever_comes(emu: VeoEmulator) -> None:
    emu.set_latency(60)
    inbox = webhooks.Inbox(secret=WebhookSigner().secret, jwks=None, backstop=600)
    agen = emu.async_generator(poll_schedule=SLOW_POLLS)
    start = time.monotonic()
    with pytest.raises(veowrap.OperationTimeoutError) as info:
        await agen.generate("a kite", model=OMNI, webhooks=inbox, timeout=0.4)
    assert time.monotonic() - start < 2.0
    assert info.value.handle is not None
    assert emu.accepted_submissions == 1


def test_w_sync_wait_on_a_resumed_handle_keeps_its_deadline(emu: VeoEmulator) -> None:
    emu.set_latency(60)
    inbox = webhooks.Inbox(secret=WebhookSigner().secret, jwks=None, backstop=600)
    gen = emu.generator(poll_schedule=SLOW_POLLS)
    handle = gen.submit("a kite", model=OMNI)
    start = time.monotonic()
    with pytest.raises(veowrap.OperationTimeoutError):
        gen.wait(handle.to_json(), webhooks=inbox, timeout=0.4)
    assert time.monotonic() - start < 2.0


@pytest.mark.parametrize(
    "url",
    [
        "http://hooks.example/h",
        "http://127.0.0.1.hooks.example/h",
        "ftp://hooks.example/h",
        "javascript:alert(1)",
        "https://",
    ],
)
def test_w_bad_webhook_urls_are_refused_before_sending(emu: VeoEmulator, url: str) -> None:
    gen = emu.generator(poll_schedule=SLOW_POLLS)
    with pytest.raises(veowrap.RequestValidationError):
        gen.generate("a kite", model=OMNI, webhook=url, timeout=5)
    assert emu.requests == []


def test_w_webhook_url_credentials_never_reach_the_error(emu: VeoEmulator) -> None:
    gen = emu.generator(poll_schedule=SLOW_POLLS)
    with pytest.raises(veowrap.RequestValidationError) as info:
        gen.generate(
            "a kite", model=OMNI, webhook=f"https://alice:{CREDENTIAL}@hooks.example/h", timeout=5
        )
    assert emu.requests == []
    assert CREDENTIAL not in str(info.value) + repr(info.value)


@pytest.mark.parametrize("flavour", ["sync", "async"])
async def test_w_wake_storm_with_stalling_status_reads_keeps_the_deadline(
    emu: VeoEmulator, flavour: str
) -> None:
    """Each delivery wakes the wait into a status read that stalls: the deadline still holds."""
    from veowrap.testing import Fault

    emu.set_latency(60)
    signer = WebhookSigner()
    inbox = webhooks.Inbox(secret=signer.secret, jwks=None, backstop=600)
    gen = emu.generator(poll_schedule=SLOW_POLLS)
    handle = gen.submit("a kite", model=OMNI)
    emu.inject("interaction_get", Fault.stall(0.4), times=50)
    stop = threading.Event()

    def storm() -> None:
        while not stop.is_set():
            body = signer.body("interaction.completed", {"id": handle.name})
            inbox.deliver(body, signer.headers(body))
            stop.wait(0.02)

    thread = threading.Thread(target=storm)
    thread.start()
    start = time.monotonic()
    try:
        with pytest.raises(veowrap.OperationTimeoutError):
            if flavour == "sync":
                await asyncio.to_thread(gen.wait, handle, webhooks=inbox, timeout=1.0)
            else:
                agen = emu.async_generator(poll_schedule=SLOW_POLLS)
                await agen.wait(handle, webhooks=inbox, timeout=1.0)
    finally:
        stop.set()
        thread.join()
    assert time.monotonic() - start < 1.8
