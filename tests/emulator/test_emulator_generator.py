"""`VeoEmulator.generator()`: a ready generator that polls at the emulator's pace."""

from __future__ import annotations

import asyncio

from veowrap.testing import VeoEmulator


def test_generator_finishes_at_the_emulator_pace_not_veos() -> None:
    with VeoEmulator(latency=0.05) as emu:
        gen = emu.generator(model="veo-3.1-generate-001", vertex=True)
        assert gen.poll_schedule.first_delay < 1
        result = gen.generate("a kite", timeout=20)
        assert len(result.videos) == 1
        polls = [r for r in emu.requests if r.method == "POST" and "fetchPredict" in r.path]
        assert 1 <= len(polls) <= 10


def test_async_generator_keeps_a_schedule_given_by_the_caller() -> None:
    from veowrap import PollSchedule

    schedule = PollSchedule(first_delay=0.01, interval=0.01, max_interval=0.01)
    with VeoEmulator(latency=0.02) as emu:

        async def main() -> int:
            async with emu.async_generator(poll_schedule=schedule) as agen:
                assert agen.poll_schedule is schedule
                result = await agen.generate("a kite", model="gemini-omni-1.2-flash")
                return len(result.videos)

        assert asyncio.run(main()) == 1


def test_env_sets_one_api_key_variable() -> None:
    with VeoEmulator() as emu:
        gemini, vertex = emu.env(), emu.env(vertex=True)
    assert "GEMINI_API_KEY" in gemini and "GOOGLE_API_KEY" not in gemini
    assert "GOOGLE_API_KEY" in vertex and "GEMINI_API_KEY" not in vertex
