"""The generators' settings as ``TypedDict``s, for code that passes them along.

``VideoGenerator``/``AsyncVideoGenerator`` spell every setting out as a parameter (that is
where each is documented); these describe the same keywords for wrappers such as
``VeoEmulator.generator(**settings)``. ``tests/core/test_request_fields.py`` keeps them in step.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypedDict

if TYPE_CHECKING:
    from google.auth.credentials import Credentials

    from veowrap._core.retrying import RetryPolicy
    from veowrap._core.schedule import PollSchedule

__all__ = ["GeneratorOptions", "GeneratorSettings"]


class GeneratorOptions(TypedDict, total=False):
    """How a generator behaves, whatever it connects to."""

    model: str | None
    poll_schedule: PollSchedule | None
    retry_policy: RetryPolicy | None
    timeout: float | None
    strict: bool
    max_cost_usd: float | None
    allow_unknown_cost: bool
    history: bool


class GeneratorSettings(GeneratorOptions, total=False):
    """Every keyword setting of a generator: how it connects, and how it behaves."""

    api_key: str | None
    vertexai: bool | None
    project: str | None
    location: str | None
    credentials: Credentials | None
