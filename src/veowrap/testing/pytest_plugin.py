"""pytest fixtures for testing code that uses veowrap (loaded automatically by pytest).

* ``emulator`` — a running :class:`~veowrap.testing.VeoEmulator` with a short latency; build
  clients with ``emulator.client(vertex=True)`` or point ``genai.Client()`` at it with
  ``monkeypatch`` and ``emulator.env()``.
* ``fake_backend`` — a Vertex AI :class:`~veowrap.backends.FakeBackend` whose jobs take 30
  virtual seconds (no network, no sleeping).
* ``fake_generator`` / ``fake_async_generator`` — generators driving ``fake_backend``.

Fixtures you define with the same names in your own ``conftest.py`` take precedence.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from veowrap import AsyncVideoGenerator, VideoGenerator
    from veowrap.backends.fake import FakeBackend
    from veowrap.testing import VeoEmulator


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
