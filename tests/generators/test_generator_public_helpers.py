"""`validate`, `check_budget`, `options` and `with_options`: the checks and settings a caller
(and the batch engine) can use without reaching into private methods."""

from __future__ import annotations

import pytest

import veowrap
from veowrap.backends.fake import FakeBackend

MODEL = "veo-3.1-generate-001"


def _gen(**settings: object) -> veowrap.VideoGenerator:
    return veowrap.VideoGenerator(backend=FakeBackend(platform="vertex"), **settings)  # type: ignore[arg-type]


def test_validate_returns_the_model_and_sends_nothing() -> None:
    gen = _gen(model=MODEL)
    assert gen.validate("a kite", duration_seconds=8) == MODEL
    assert gen.backend.submitted == []  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"duration_seconds": 5}, "duration_seconds"),
        ({"webhook": {"uris": ["https://example.com/h"]}}, "webhook"),  # not on Vertex AI
        ({"model": "gemini-omni-1.2-flash", "number_of_videos": 2}, "number_of_videos"),
    ],
)
def test_validate_refuses_what_submit_would(fields: dict[str, object], field: str) -> None:
    with pytest.raises(veowrap.RequestValidationError) as caught:
        _gen(model=MODEL).validate("a kite", **fields)  # type: ignore[arg-type]
    assert caught.value.field == field


@pytest.mark.parametrize("model", [MODEL + "?alt=media", "veo-3.1..generate-001", "a b"])
def test_a_generators_model_is_checked_like_a_requests(model: str) -> None:
    # google-genai would refuse these mid-submit with a ValueError (read as a network failure).
    with pytest.raises(veowrap.RequestValidationError) as caught:
        _gen(model=model)
    assert caught.value.field == "model"


def test_a_generators_publisher_model_name_is_normalised() -> None:
    assert _gen(model="publishers/google/models/" + MODEL).model == MODEL


def test_check_budget_uses_the_generator_limit_by_default() -> None:
    gen = _gen(model=MODEL, max_cost_usd=1.0)
    request = veowrap.VideoRequest(prompt="x", duration_seconds=8)
    with pytest.raises(veowrap.BudgetExceededError):
        gen.check_budget([request])
    gen.check_budget([request], budget=100.0)


def test_with_options_shares_the_backend_and_changes_only_what_is_named() -> None:
    gen = _gen(model=MODEL, timeout=60.0, strict=False)
    patient = gen.with_options(timeout=3600.0)
    assert type(patient) is veowrap.VideoGenerator
    assert patient.backend is gen.backend
    assert (patient.timeout, patient.model, patient.strict) == (3600.0, MODEL, False)
    assert gen.timeout == 60.0
    assert patient.options() == {**gen.options(), "timeout": 3600.0}


def test_async_with_options_keeps_its_flavour() -> None:
    agen = veowrap.AsyncVideoGenerator(backend=FakeBackend(), model=MODEL)
    assert type(agen.with_options(strict=False)) is veowrap.AsyncVideoGenerator
