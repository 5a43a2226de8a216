"""veowrap's pytest plugin: the fixtures users get by installing veowrap."""

from __future__ import annotations

from pathlib import Path

import pytest

import veowrap
from veowrap.backends.fake import FakeBackend
from veowrap.testing import VeoEmulator, inspect_mp4


def test_plugin_is_registered(pytestconfig: pytest.Config) -> None:
    assert pytestconfig.pluginmanager.has_plugin("veowrap")


def test_emulator_fixture_serves_a_real_generation(emulator: VeoEmulator, tmp_path: Path) -> None:
    generator = veowrap.VideoGenerator(
        client=emulator.client(vertex=True), poll_schedule=veowrap.PollSchedule.fixed(0.02)
    )
    (path,) = generator.generate("a boat", model="veo-3.1-generate-001").save(tmp_path)
    assert inspect_mp4(path).codec == "avc1"
    assert emulator.accepted_submissions == 1


def test_fake_generator_fixture(
    fake_generator: veowrap.VideoGenerator, fake_backend: FakeBackend
) -> None:
    result = fake_generator.generate("a boat")
    assert len(result.videos) == 1
    assert [request.prompt for request in fake_backend.submitted] == ["a boat"]


async def test_fake_async_generator_fixture(
    fake_async_generator: veowrap.AsyncVideoGenerator, fake_backend: FakeBackend
) -> None:
    result = await fake_async_generator.generate("a kite")
    assert len(result.videos) == 1 and fake_backend.clock() >= 30.0
