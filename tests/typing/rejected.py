"""Calls a type checker must refuse: each line marked ``# rejected`` is an error, no other line is.

Checked by test_typing.py under mypy --strict and pyright. Never imported or run.
"""

from __future__ import annotations

import veowrap


async def typos(gen: veowrap.VideoGenerator, agen: veowrap.AsyncVideoGenerator) -> None:
    veowrap.VideoGenerator(poll_shedule=None)  # rejected
    veowrap.AsyncVideoGenerator(max_cost=1.0)  # rejected
    gen.generate("x", duration=8)  # rejected
    gen.generate("x", aspect="16:9")  # rejected
    gen.submit("x", modle="veo-3.1-generate-001")  # rejected
    veowrap.VideoRequest(prompt="x", duraton_seconds=8)  # rejected
    gen.generate_all(["x"], concurency=2)  # rejected
    gen.generate_many(["x"], rpm=10)  # rejected
    await agen.generate_all(["x"], journal_path="j.sqlite")  # rejected


def wrong_literals(gen: veowrap.VideoGenerator) -> None:
    gen.generate("x", aspect_ratio="4:3")  # rejected
    gen.generate("x", resolution="480p")  # rejected
    veowrap.VideoRequest(prompt="x", person_generation="everyone")  # rejected


def wrong_types(gen: veowrap.VideoGenerator) -> None:
    gen.generate("x", duration_seconds="8")  # rejected
    gen.generate("x", generate_audio="yes")  # rejected
    veowrap.VideoGenerator(timeout="60")  # rejected
    veowrap.VideoGenerator(strict="no")  # rejected
    gen.generate_many(["x"], concurrency=2.5)  # rejected


def accepted(gen: veowrap.VideoGenerator) -> None:
    # The same calls spelled right pass, including paths and bytes for images.
    veowrap.VideoGenerator(poll_schedule=None, timeout=60, strict=False, max_cost_usd=1.0)
    gen.generate("x", duration_seconds=8, aspect_ratio="16:9", resolution="1080p")
    gen.submit("x", model="veo-3.1-generate-001", image="cat.png", last_frame=b"\x89PNG")
    veowrap.VideoRequest(prompt="x", reference_images=["a.png", b"\x89PNG"], seed=3)
    gen.generate_all(["x"], concurrency=2, journal="j.sqlite", requests_per_minute=10)
