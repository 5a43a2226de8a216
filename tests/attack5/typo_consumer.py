"""Typo'd keywords and wrong Literal values on the public API: every line ending in
``# must-reject`` should be an error under mypy --strict and pyright.

Not a test module (pytest does not collect it): ``test_typing_attacks.py`` type-checks it.
"""

from __future__ import annotations

from pathlib import Path

import veowrap


def sync_api(gen: veowrap.VideoGenerator, handle: veowrap.OperationHandle) -> None:
    veowrap.VideoGenerator(modle="veo-3.1-generate-001")  # must-reject
    veowrap.VideoGenerator(time_out=5.0)  # must-reject
    veowrap.VideoGenerator(max_cost=1.0)  # must-reject
    veowrap.VideoGenerator(backend=veowrap.RetryPolicy())  # must-reject
    gen.generate("x", aspect_ratio="4:3")  # must-reject
    gen.generate("x", resolutoin="720p")  # must-reject
    gen.generate("x", timeout="5")  # must-reject
    gen.generate("x", output="a.mp4")  # must-reject
    gen.submit("x", negative_promt="rain")  # must-reject
    gen.submit("x", person_generation="everyone")  # must-reject
    gen.wait(handle, time_out=3.0)  # must-reject
    gen.status(handle, timeout="3")  # must-reject
    gen.cancel(handle, timout=1.0)  # must-reject
    gen.generate_many(["x"], journel="j.sqlite")  # must-reject
    gen.generate_many(["x"], batch_name="spring")  # must-reject
    gen.generate_many(["x"], requests_per_min=10)  # must-reject
    gen.generate_many(["x"], concurrency="4")  # must-reject
    gen.generate_many(["x"], resend_uncertain="yes")  # must-reject
    gen.generate_all(["x"], over_write=True)  # must-reject
    gen.with_options(time_out=3)  # must-reject
    gen.estimate_cost("x", resolution="8k")  # must-reject
    gen.validate("x", durationseconds=8)  # must-reject


def request_models() -> None:
    veowrap.VideoRequest(prompt="x", aspect_ratio="1:1")  # must-reject
    veowrap.VideoRequest(prompt="x", duraton_seconds=8)  # must-reject
    veowrap.ReferenceImage(imgae=Path("a.png"))  # must-reject
    veowrap.ReferenceImage(image=Path("a.png"), reference_type="styel")  # must-reject
    veowrap.VideoMask(imgae=Path("m.png"), mask_mode="insert")  # must-reject
    veowrap.VideoMask(image=Path("m.png"), mask_mode="erase")  # must-reject
    veowrap.Webhook(ulr="https://example.com/hook")  # must-reject
    veowrap.PostgresJournal("postgresql://u@h/db", batchname="x")  # must-reject
    veowrap.PostgresJournal("postgresql://u@h/db", lock_timout=2)  # must-reject
    veowrap.open_journal("j.sqlite", bach="x")  # must-reject
    veowrap.Journal("j.sqlite", locktimeout=3)  # must-reject
    veowrap.PollSchedule.fixed(seconds_="1")  # must-reject
    veowrap.RetryPolicy(attemps=3)  # must-reject


async def async_api(handle: veowrap.OperationHandle) -> None:
    agen = veowrap.AsyncVideoGenerator(modle="veo-3.1-generate-001")  # must-reject
    veowrap.AsyncVideoGenerator(pol_schedule=None)  # must-reject
    await agen.generate("x", aspect_ratio="4:3")  # must-reject
    await agen.submit("x", seed="7")  # must-reject
    await agen.wait(handle, time_out=3.0)  # must-reject
    agen.generate_many(["x"], journel="j.sqlite")  # must-reject
    agen.generate_many(["x"], batch=7)  # must-reject
    await agen.generate_all(["x"], requests_per_min=10)  # must-reject
