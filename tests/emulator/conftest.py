"""Fixtures for the emulator tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from veowrap.testing import VeoEmulator


@pytest.fixture
def emu() -> Iterator[VeoEmulator]:
    """A running emulator with a short latency."""
    with VeoEmulator(latency=0.05) as emulator:
        yield emulator
