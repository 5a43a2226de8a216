"""End to end: the emulator delivers signed webhooks → a loopback receiver → Inbox → wait.

The backstop poll is set far beyond the test's deadline wherever the webhook must do the
work, so a wait that did not wake on the delivery fails with OperationTimeoutError rather
than passing slowly; where the webhook must not count (never, late, forged), the backstop is
short and the wait still completes by polling.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from typing import Any

import pytest

import veowrap
from veowrap import webhooks
from veowrap.testing import VeoEmulator, WebhookReceiver, WebhookSigner

# Veo runs on Vertex AI, which has no webhooks; the emulator announces its operations anyway,
# so that operation names (with slashes) are matched as well as interaction ids.
VEO = "veo-3.1-generate-001"
OMNI = "gemini-omni-1.2-flash"
SLOW_POLLS = veowrap.PollSchedule.fixed(600)  # the normal schedule would never find it in time
FAR = 600.0  # a backstop that cannot complete a wait within the deadline
DEADLINE = 20.0


@pytest.fixture
def emu() -> Iterator[VeoEmulator]:
    with VeoEmulator(latency=0.15) as emulator:
        yield emulator


def eventually(predicate: Any, seconds: float = 5.0) -> bool:
    """Whether ``predicate()`` becomes true within ``seconds`` (checked every 10 ms)."""
    pause = threading.Event()
    for _ in range(int(seconds / 0.01)):
        if predicate():
            return True
        pause.wait(0.01)
    return bool(predicate())


def status_reads(emu: VeoEmulator) -> int:
    return sum(1 for r in emu.requests if r.endpoint in ("poll", "interaction_get"))


def listen(
    emu: VeoEmulator, *, backstop: float = FAR, scheme: Any = "v1", **inbox: Any
) -> tuple[webhooks.Inbox, WebhookReceiver]:
    if scheme == "v1":
        inbox.setdefault("secret", emu.webhooks.secret)
    else:
        inbox.setdefault("jwks", emu.webhooks.jwks_url)
    box = webhooks.Inbox(backstop=backstop, **inbox)
    receiver = WebhookReceiver(box)
    emu.webhooks.configure(receiver.url, scheme=scheme)
    return box, receiver


@pytest.mark.parametrize("model", [VEO, OMNI])
@pytest.mark.parametrize("scheme", ["v1", "v1a", "jwt"])
def test_wait_completes_on_the_delivery(emu: VeoEmulator, model: str, scheme: str) -> None:
    inbox, receiver = listen(emu, scheme=scheme)
    with receiver:
        gen = emu.generator(vertex=model == VEO, poll_schedule=SLOW_POLLS)
        handle = gen.submit("a paper boat", model=model)
        result = gen.wait(handle, webhooks=inbox, timeout=DEADLINE)
        assert result.videos
        # One read on resuming (it may be done already), one after the delivery at most.
        assert status_reads(emu) <= 2
        assert inbox.event_for(handle.name) is not None
        assert eventually(lambda: receiver.statuses) and set(receiver.statuses) == {204}


def test_generate_completes_on_the_delivery(emu: VeoEmulator) -> None:
    inbox, receiver = listen(emu)
    with receiver:
        gen = emu.generator(poll_schedule=SLOW_POLLS)
        events: list[Any] = []
        result = gen.generate(
            "a kite", model=OMNI, webhooks=inbox, timeout=DEADLINE, on_event=events.append
        )
        assert result.videos
        assert status_reads(emu) == 1
        assert [e.kind for e in events].count("polled") == 1


async def test_async_wait_and_generate_complete_on_the_delivery(emu: VeoEmulator) -> None:
    inbox, receiver = listen(emu, scheme="v1a")
    with receiver:
        agen = emu.async_generator(poll_schedule=SLOW_POLLS)
        handle = await agen.submit("a kite", model=OMNI)
        first, second = await asyncio.gather(
            agen.wait(handle, webhooks=inbox, timeout=DEADLINE),
            agen.generate("a boat", model=OMNI, webhooks=inbox, timeout=DEADLINE),
        )
        assert first.videos and second.videos
        assert status_reads(emu) <= 3


def test_a_webhook_that_never_arrives_costs_the_backstop_not_the_job(emu: VeoEmulator) -> None:
    inbox, receiver = listen(emu, backstop=0.2)
    emu.webhooks.script("never")
    with receiver:
        gen = emu.generator(poll_schedule=SLOW_POLLS)
        result = gen.generate("a kite", model=OMNI, webhooks=inbox, timeout=DEADLINE)
        assert result.videos
        assert emu.webhooks.sent == [] and inbox.events == []


def test_the_deadline_holds_while_listening(emu: VeoEmulator) -> None:
    emu.set_latency(60)
    inbox, receiver = listen(emu)
    with receiver:
        gen = emu.generator(poll_schedule=SLOW_POLLS)
        with pytest.raises(veowrap.OperationTimeoutError) as info:
            gen.generate("a kite", model=OMNI, webhooks=inbox, timeout=0.3)
        assert info.value.handle is not None


@pytest.mark.parametrize("fault", ["late", "bad_signature"])
def test_refused_deliveries_do_not_complete_a_wait_and_polling_still_does(
    emu: VeoEmulator, fault: Any
) -> None:
    inbox, receiver = listen(emu, backstop=0.3)
    emu.webhooks.max_attempts = 2
    emu.webhooks.script(fault, times=4)
    with receiver:
        gen = emu.generator(poll_schedule=SLOW_POLLS)
        result = gen.generate("a kite", model=OMNI, webhooks=inbox, timeout=DEADLINE)
        assert result.videos
        assert eventually(lambda: 400 in receiver.statuses)
        assert inbox.events == [] and 204 not in receiver.statuses


def test_duplicates_are_harmless_and_counted(emu: VeoEmulator) -> None:
    inbox, receiver = listen(emu)
    emu.webhooks.script("duplicate")
    with receiver:
        gen = emu.generator(poll_schedule=SLOW_POLLS)
        handle = gen.submit("a kite", model=OMNI)
        assert gen.wait(handle, webhooks=inbox, timeout=DEADLINE).videos
        # The second copy may still be on its way when the wait returns.
        assert eventually(lambda: len(receiver.statuses) >= 2)
        assert receiver.statuses == [204, 204]
        assert inbox.duplicates == 1 and len(inbox.events) == 1


def test_a_rotated_secret_signs_twice_and_still_verifies(emu: VeoEmulator) -> None:
    inbox, receiver = listen(emu)
    emu.webhooks.script("rotated")
    with receiver:
        gen = emu.generator(poll_schedule=SLOW_POLLS)
        assert gen.generate("a kite", model=OMNI, webhooks=inbox, timeout=DEADLINE).videos
        assert eventually(lambda: emu.webhooks.sent)
        (sent,) = emu.webhooks.sent
        assert sent.fault == "rotated" and sent.status == 204


def test_an_endpoint_that_is_down_gets_the_delivery_on_a_retry(emu: VeoEmulator) -> None:
    inbox, receiver = listen(emu)
    receiver.fail_next = 2
    with receiver:
        gen = emu.generator(poll_schedule=SLOW_POLLS)
        assert gen.generate("a kite", model=OMNI, webhooks=inbox, timeout=DEADLINE).videos
        assert eventually(lambda: len(emu.webhooks.sent) >= 3)
        attempts = emu.webhooks.sent
        assert [a.status for a in attempts] == [503, 503, 204]
        assert len({a.id for a in attempts}) == 1  # the same delivery, retried


def test_out_of_order_deliveries_complete_both_waits(emu: VeoEmulator) -> None:
    inbox, receiver = listen(emu)
    emu.webhooks.script("out_of_order")
    with receiver:
        gen = emu.generator(poll_schedule=SLOW_POLLS)
        first = gen.submit("one", model=OMNI)
        second = gen.submit("two", model=OMNI)
        assert gen.wait(second, webhooks=inbox, timeout=DEADLINE).videos
        assert gen.wait(first, webhooks=inbox, timeout=DEADLINE).videos
        assert eventually(lambda: len(emu.webhooks.sent) >= 2)
        subjects = [s.subject for s in emu.webhooks.sent]
        assert subjects == [second.name, first.name]


def test_a_delivery_that_beats_the_wait_is_kept_for_it(emu: VeoEmulator) -> None:
    inbox, receiver = listen(emu)
    with receiver:
        gen = emu.generator(poll_schedule=SLOW_POLLS)
        handle = gen.submit("a kite", model=OMNI)
        keys = frozenset({handle.name})
        assert inbox.wait(keys, DEADLINE) is not None  # delivered before anyone waits
        before = status_reads(emu)
        assert gen.wait(handle, webhooks=inbox, timeout=DEADLINE).videos
        assert status_reads(emu) - before == 1


def test_failed_interaction_is_reported_after_the_delivery(emu: VeoEmulator) -> None:
    from veowrap.testing import Outcome

    inbox, receiver = listen(emu)
    emu.script(Outcome.error(message="no"))
    with receiver:
        gen = emu.generator(poll_schedule=SLOW_POLLS)
        with pytest.raises(veowrap.OperationFailedError):
            gen.generate("a kite", model=OMNI, webhooks=inbox, timeout=DEADLINE)
        event = inbox.events[0]
        assert event.type == "interaction.failed" and event.failed


def test_webhooks_must_be_an_inbox(emu: VeoEmulator) -> None:
    gen = emu.generator()
    with pytest.raises(veowrap.RequestValidationError):
        gen.wait("models/veo-3.1-generate-preview/operations/x", webhooks="inbox")  # type: ignore[arg-type]


def test_generate_with_a_webhook_url_is_delivered_there_signed_v1a(emu: VeoEmulator) -> None:
    inbox = webhooks.Inbox(jwks=emu.webhooks.jwks_url, backstop=FAR)  # no secret: dynamic only
    with WebhookReceiver(inbox) as receiver:
        emu.webhooks.configure()  # no project-level webhook: only the request's own URI
        gen = emu.generator(poll_schedule=SLOW_POLLS)
        result = gen.generate(
            "a kite",
            model=OMNI,
            webhook={"uris": [receiver.url], "user_metadata": {"job": "j1"}},
            webhooks=inbox,
            timeout=DEADLINE,
        )
        assert result.videos
        event = inbox.event_for(result.handle.name)
        assert event is not None and event.scheme == "v1a"
        assert event.user_metadata == {"job": "j1"}
    create = next(r for r in emu.requests if r.endpoint == "interaction_create")
    assert create.body["background"] is True
    assert create.body["webhook_config"] == {
        "uris": [receiver.url],
        "user_metadata": {"job": "j1"},
    }


def test_a_webhook_url_string_is_sent_and_never_contacted_off_loopback(emu: VeoEmulator) -> None:
    inbox, receiver = listen(emu, backstop=0.2)
    with receiver:
        gen = emu.generator(poll_schedule=SLOW_POLLS)
        result = gen.generate(
            "a kite", model=OMNI, webhook="https://example.com/hook", webhooks=inbox
        )
        assert result.videos  # by the backstop: the dynamic URI replaced the static webhook
    create = next(r for r in emu.requests if r.endpoint == "interaction_create")
    assert create.body["webhook_config"]["uris"] == ["https://example.com/hook"]
    assert eventually(lambda: emu.webhooks.sent)
    assert [s.fault for s in emu.webhooks.sent] == ["not loopback"]
    assert receiver.statuses == []


@pytest.mark.parametrize("model", [VEO, OMNI])
def test_a_webhook_on_vertex_ai_is_refused_naming_the_way_out(emu: VeoEmulator, model: str) -> None:
    gen = emu.generator(vertex=True)
    with pytest.raises(veowrap.RequestValidationError) as info:
        gen.generate("a kite", model=model, webhook="https://example.com/hook")
    assert info.value.field == "webhook" and "only on the Gemini API" in str(info.value)
    hint = info.value.hint or ""
    assert "wait()" in hint and ("Pub/Sub" in hint or "Gemini API" in hint)
    assert emu.accepted_submissions == 0


def test_a_plain_http_webhook_url_is_refused_before_sending(emu: VeoEmulator) -> None:
    gen = emu.generator()
    with pytest.raises(veowrap.RequestValidationError) as info:
        gen.generate("a kite", model=OMNI, webhook="http://example.com/hook")
    assert info.value.field == "webhook.uris"
    assert emu.accepted_submissions == 0


def test_a_batch_completes_each_item_on_its_delivery(emu: VeoEmulator) -> None:
    inbox, receiver = listen(emu)
    emu.webhooks.script("duplicate")
    with receiver:
        gen = emu.generator(poll_schedule=SLOW_POLLS)
        items = gen.generate_all(
            ["one", "two", "three"], concurrency=3, timeout=DEADLINE, webhooks=inbox
        )
        assert all(item.result is not None and item.result.videos for item in items), items
        # Each item: one read when its wait begins (it resumes a handle), one after the push.
        assert status_reads(emu) <= 6
        assert len(inbox.events) == 3


async def test_an_async_batch_completes_on_deliveries(emu: VeoEmulator) -> None:
    inbox, receiver = listen(emu, scheme="v1a")
    with receiver:
        agen = emu.async_generator(poll_schedule=SLOW_POLLS)
        items = await agen.generate_all(["one", "two"], timeout=DEADLINE, webhooks=inbox)
        assert all(item.result is not None for item in items)


def test_webhooks_registered_through_the_api_receive_signed_deliveries(emu: VeoEmulator) -> None:
    client = emu.client(api_version="v1")  # google-genai's own webhooks resource
    box: dict[str, webhooks.Inbox] = {}
    with _SwappableReceiver(box) as receiver:
        hook = client.webhooks.create(
            uri=receiver.url, subscribed_events=["interaction.completed"], name="dev"
        )
        assert hook.new_signing_secret and hook.new_signing_secret.startswith("whsec_")
        listed = client.webhooks.list()
        assert [w.id for w in listed.webhooks] == [hook.id]
        assert listed.webhooks[0].new_signing_secret is None  # shown once
        box["inbox"] = webhooks.Inbox(secret=hook.new_signing_secret, backstop=FAR)
        gen = emu.generator(poll_schedule=SLOW_POLLS)
        assert gen.generate("one", model=OMNI, webhooks=box["inbox"], timeout=DEADLINE).videos

        # A rotation keeps the old secret valid for the grace: both verify the next delivery.
        new = client.webhooks.rotate_signing_secret(id=hook.id).secret
        assert len(client.webhooks.get(id=hook.id).signing_secrets) == 2
        box["inbox"] = webhooks.Inbox(secret=new, backstop=FAR)
        assert gen.generate("two", model=OMNI, webhooks=box["inbox"], timeout=DEADLINE).videos
        assert eventually(lambda: len(emu.webhooks.sent) >= 2)
        assert all(s.status == 204 for s in emu.webhooks.sent)

        # Disabled: nothing is sent; the backstop still completes the wait.
        client.webhooks.update(id=hook.id, update_mask="state", state="disabled")
        box["inbox"] = webhooks.Inbox(secret=new, backstop=0.2)
        assert gen.generate("three", model=OMNI, webhooks=box["inbox"], timeout=DEADLINE).videos
        client.webhooks.delete(id=hook.id)
        assert client.webhooks.list().webhooks in (None, [])
    assert len(emu.webhooks.sent) == 2


class _SwappableReceiver(WebhookReceiver):
    """A receiver whose inbox can be swapped while it runs (one per secret)."""

    def __init__(self, box: dict[str, webhooks.Inbox]) -> None:
        self.box = box
        super().__init__(webhooks.Inbox(secret=WebhookSigner().secret))

    def _deliver(self, body: bytes, headers: list[tuple[str, str]]) -> int:
        self.inbox = self.box["inbox"]
        return super()._deliver(body, headers)


def test_virtual_time_backends_look_at_the_inbox_between_virtual_sleeps() -> None:
    from veowrap.backends.fake import FakeBackend

    signer = WebhookSigner()
    inbox = webhooks.Inbox(secret=signer.secret, backstop=FAR)
    backend = FakeBackend(platform="vertex", latency=30.0)
    gen = veowrap.VideoGenerator(backend=backend, poll_schedule=SLOW_POLLS)
    handle = gen.submit("a kite", model=VEO)
    body = signer.body("video.generated", {"id": handle.name})
    inbox.deliver(body, signer.headers(body))  # early: the job is still running then
    polls: list[Any] = []
    result = gen.wait(handle, webhooks=inbox, timeout=DEADLINE * 100, on_event=polls.append)
    assert result.videos
    # Resume read (running), wake read at once (running: the push came early), the recheck
    # 2 s later (running: a 30 s job), then the backstop (~600 s) finds it done.
    assert [e.kind for e in polls].count("polled") == 4


def test_the_pytest_fixtures_wire_emulator_receiver_and_inbox(
    emulator: VeoEmulator, webhook_inbox: webhooks.Inbox, webhook_receiver: WebhookReceiver
) -> None:
    gen = emulator.generator(poll_schedule=SLOW_POLLS)
    result = gen.generate("a kite", model=OMNI, webhooks=webhook_inbox, timeout=DEADLINE)
    assert result.videos and webhook_inbox.event_for(result.handle.name) is not None
