"""pytest fixtures for testing code that uses veowrap (loaded automatically by pytest).

* ``emulator`` — a running :class:`~veowrap.testing.VeoEmulator` with a short latency; build
  clients with ``emulator.client(vertex=True)`` or point ``genai.Client()`` at it with
  ``monkeypatch`` and ``emulator.env()``.
* ``fake_backend`` — a Vertex AI :class:`~veowrap.backends.FakeBackend` whose jobs take 30
  virtual seconds (no network, no sleeping).
* ``fake_generator`` / ``fake_async_generator`` — generators driving ``fake_backend``.
* ``webhook_inbox`` / ``webhook_receiver`` — an :class:`~veowrap.webhooks.Inbox` holding the
  ``emulator``'s signing secret and keys, and a :class:`~veowrap.testing.WebhookReceiver` the
  emulator delivers to (static ``v1``; ``emulator.webhooks.configure(url, scheme=...)`` to
  change): ``emulator.generator().generate(..., webhooks=webhook_inbox)`` completes on push.
  Needs ``veowrap[webhooks]``.

Fixtures you define with the same names in your own ``conftest.py`` take precedence.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from veowrap import AsyncVideoGenerator, VideoGenerator
    from veowrap.backends.fake import FakeBackend
    from veowrap.testing import VeoEmulator, WebhookReceiver
    from veowrap.webhooks import Inbox


@pytest.fixture
def emulator() -> Iterator[VeoEmulator]:
    """A local emulator of Google's video endpoints, stopped after the test."""
    from veowrap.testing import VeoEmulator

    with VeoEmulator(latency=0.05) as running:
        yield running


@pytest.fixture
def fake_backend() -> FakeBackend:
    """A Vertex AI FakeBackend whose jobs take 30 virtual seconds."""
    from veowrap.backends.fake import FakeBackend

    return FakeBackend(platform="vertex", latency=30.0)


@pytest.fixture
def fake_generator(fake_backend: FakeBackend) -> Iterator[VideoGenerator]:
    """A VideoGenerator driving ``fake_backend`` in virtual time."""
    from veowrap import VideoGenerator

    generator = VideoGenerator(backend=fake_backend)
    yield generator
    generator.close()


@pytest.fixture
def fake_async_generator(fake_backend: FakeBackend) -> AsyncVideoGenerator:
    """An AsyncVideoGenerator driving ``fake_backend`` in virtual time."""
    from veowrap import AsyncVideoGenerator

    return AsyncVideoGenerator(backend=fake_backend)


@pytest.fixture
def webhook_inbox(emulator: VeoEmulator) -> Inbox:
    """An Inbox that verifies the ``emulator``'s deliveries (its secret and its JWKS)."""
    from veowrap.webhooks import Inbox

    return Inbox(secret=emulator.webhooks.secret, jwks=emulator.webhooks.jwks_url)


@pytest.fixture
def webhook_receiver(emulator: VeoEmulator, webhook_inbox: Inbox) -> Iterator[WebhookReceiver]:
    """A loopback receiver feeding ``webhook_inbox``, registered as the emulator's webhook."""
    from veowrap.testing import WebhookReceiver

    with WebhookReceiver(webhook_inbox) as receiver:
        emulator.webhooks.configure(receiver.url)
        yield receiver
