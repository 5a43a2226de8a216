"""Fixtures: an emulator and generators in both flavours, driven through one adapter.

Every test here runs twice, once through ``VideoGenerator`` and once through
``AsyncVideoGenerator``, against the real google-genai client talking to the emulator.
"""

from __future__ import annotations

import asyncio
import inspect
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import veowrap
from veowrap.testing import VeoEmulator

FAST_POLLS = veowrap.PollSchedule.fixed(0.02)
FAST_RETRIES = veowrap.RetryPolicy(attempts=4, initial_delay=0.01, max_delay=0.05, jitter=0)
API_KEY = "AIzaSy-TEST-KEY-0123456789abcdef"
TOKEN = "ya29.TEST-TOKEN-fedcba9876543210"


@pytest.fixture
def emu() -> Iterator[VeoEmulator]:
    with VeoEmulator(latency=0.05, api_key=API_KEY, token=TOKEN) as emulator:
        yield emulator


class Driver:
    """Calls a sync or async generator the same way.

    Async calls run on one event loop per driver: google-genai 2.x binds its async HTTP client
    to the first loop that uses it, as a real application's single loop would.
    """

    def __init__(self, flavour: str, **settings: Any) -> None:
        self.flavour = flavour
        settings.setdefault("poll_schedule", FAST_POLLS)
        settings.setdefault("retry_policy", FAST_RETRIES)
        kind = veowrap.VideoGenerator if flavour == "sync" else veowrap.AsyncVideoGenerator
        self.generator: Any = kind(**settings)
        self.loop = asyncio.new_event_loop()

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self.generator, name)
        if inspect.iscoroutinefunction(attribute):
            return lambda *args, **kwargs: self.loop.run_until_complete(attribute(*args, **kwargs))
        return attribute

    def save(self, result: veowrap.GenerationResult, path: Any) -> list[Any]:
        """Saves with ``save`` or ``save_async`` to match the flavour."""
        if self.flavour == "sync":
            return result.save(path)
        return self.loop.run_until_complete(result.save_async(path))


@pytest.fixture(params=["sync", "async"])
def flavour(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def vertex(emu: VeoEmulator, flavour: str) -> Iterator[Driver]:
    driver = Driver(flavour, client=emu.client(vertex=True))
    yield driver
    driver.loop.close()


@pytest.fixture
def gemini(emu: VeoEmulator, flavour: str) -> Iterator[Driver]:
    # The emulator still serves Gemini-API Veo previews that the catalog knows are shut down.
    driver = Driver(flavour, client=emu.client(), strict=False)
    yield driver
    driver.loop.close()


def creates(emu: VeoEmulator) -> int:
    """How many create requests reached the emulator (accepted or not)."""
    return sum(1 for request in emu.requests if request.endpoint == "create")


_RESUME = """
import sys, veowrap
from google import genai
from google.genai import types
{client}
gen = veowrap.VideoGenerator(client=client, poll_schedule=veowrap.PollSchedule.fixed(0.05))
handle = veowrap.OperationHandle.from_json(open(sys.argv[1]).read())
print(gen.wait(handle, timeout=30).save(sys.argv[2])[0])
"""


def resume_in_new_process(client_code: str, handle: veowrap.OperationHandle, where: Path) -> Path:
    """Saves ``handle`` as JSON, waits for it in a fresh interpreter, returns the saved video.

    ``client_code`` is Python that binds ``client`` (a ``genai.Client`` for the emulator).
    """
    saved = where / "handle.json"
    saved.write_text(handle.to_json())
    out = where / "resumed.mp4"
    done = subprocess.run(
        [sys.executable, "-c", _RESUME.format(client=client_code), str(saved), str(out)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ},
    )
    assert done.returncode == 0, done.stderr
    return out
