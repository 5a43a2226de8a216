"""Cost estimates against hand-computed figures, and the budget guard."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

import veowrap
from veowrap._cost import CostEstimate, check_budget, estimate_cost
from veowrap._errors import BudgetExceededError, RequestValidationError
from veowrap._handle import Platform
from veowrap._request import VideoRequest


def _request(**fields: Any) -> VideoRequest:
    return VideoRequest(prompt="a lighthouse at dusk", **fields)


@pytest.mark.parametrize(
    ("fields", "model", "platform", "expected", "seconds", "videos", "per_second"),
    [
        # Defaults: 8 s, 1 video, 720p, audio per model: 8 * 0.40.
        ({}, "veo-3.1-generate-001", "vertex", 3.20, 8, 1, 0.40),
        # 6 s * 2 videos * $0.40.
        (
            {"duration_seconds": 6, "number_of_videos": 2},
            "veo-3.1-generate-001",
            "vertex",
            4.80,
            6,
            2,
            0.40,
        ),
        # 4k is $0.60/s: 8 * 4 * 0.60.
        (
            {"resolution": "4k", "number_of_videos": 4},
            "veo-3.1-generate-001",
            "vertex",
            19.20,
            8,
            4,
            0.60,
        ),
        # Fast: 8 * 0.15; the published price does not distinguish audio off.
        ({"generate_audio": False}, "veo-3.1-fast-generate-001", "vertex", 1.20, 8, 1, 0.15),
        # Lite upper figure: 4 * 3 * 0.08.
        (
            {"duration_seconds": 4, "number_of_videos": 3},
            "veo-3.1-lite-generate-001",
            "vertex",
            0.96,
            4,
            3,
            0.08,
        ),
        # Veo 2: 5 * 0.35 (Veo 2 defaults to 8 s when unset).
        ({"duration_seconds": 5}, "veo-2.0-generate-001", "vertex", 1.75, 5, 1, 0.35),
        ({}, "veo-2.0-generate-001", "vertex", 2.80, 8, 1, 0.35),
        # Lifecycle does not change the price: a shut-down model still has one.
        ({"duration_seconds": 4}, "veo-3.0-generate-001", "gemini", 1.60, 4, 1, 0.40),
    ],
)
def test_estimates_match_hand_computed_figures(
    fields: dict[str, Any],
    model: str,
    platform: Platform,
    expected: float,
    seconds: int,
    videos: int,
    per_second: float,
) -> None:
    estimate = estimate_cost(_request(**fields), model, platform)
    assert estimate.amount_usd == pytest.approx(expected)
    assert (estimate.seconds, estimate.videos) == (seconds, videos)
    assert estimate.price_per_second == pytest.approx(per_second)
    assert estimate.currency == "USD"
    assert estimate.confirmed is False
    assert estimate.as_of == datetime.date(2026, 11, 25)
    assert estimate.source and "third-party" in estimate.source
    assert "as of 2026-11-25" in estimate.caveat
    assert "filtered videos are not billed" in estimate.caveat


def test_defaults_are_reported() -> None:
    estimate = estimate_cost(_request(), "veo-3.1-generate-001", "vertex")
    assert (estimate.resolution, estimate.audio) == ("720p", True)
    silent = estimate_cost(_request(), "veo-2.0-generate-001", "vertex")
    assert silent.audio is False


@pytest.mark.parametrize(
    ("model", "fields"),
    [
        ("gemini-omni-1.2-flash", {}),
        ("veo-3.1-fast-generate-001", {"resolution": "4k"}),
        ("some-future-model", {}),
    ],
)
def test_unknown_price_has_no_amount(model: str, fields: dict[str, Any]) -> None:
    estimate = estimate_cost(_request(**fields), model, "vertex")
    assert estimate.amount_usd is None
    assert estimate.price_per_second is None
    assert estimate.caveat


def _estimate(amount: float | None, model: str = "veo-3.1-generate-001") -> CostEstimate:
    return CostEstimate(
        model=model,
        platform="vertex",
        amount_usd=amount,
        seconds=8,
        videos=1,
        resolution="720p",
        audio=True,
        price_per_second=None if amount is None else amount / 8,
        as_of=None,
        source=None,
        confirmed=False,
        caveat="",
    )


def test_budget_within_and_at_the_limit_passes() -> None:
    check_budget([_estimate(3.2), _estimate(1.8)], 5.0)
    check_budget([], 0.0)


def test_budget_exceeded_names_figures() -> None:
    with pytest.raises(BudgetExceededError) as caught:
        check_budget([_estimate(3.2), _estimate(3.2)], 5.0)
    error = caught.value
    assert (error.estimated_usd, error.budget_usd) == (6.4, 5.0)
    assert "Estimated cost $6.40 of 2 request(s) exceeds the budget of $5.00" in str(error)
    assert "nothing was submitted" in str(error)


def test_unknown_price_refuses_unless_allowed() -> None:
    batch = [_estimate(3.2), _estimate(None, "gemini-omni-1.2-flash")]
    with pytest.raises(BudgetExceededError) as caught:
        check_budget(batch, 100.0)
    assert "no published price for gemini-omni-1.2-flash" in str(caught.value)
    assert "allow_unknown=True" in str(caught.value)
    assert caught.value.estimated_usd == 3.2
    check_budget(batch, 100.0, allow_unknown=True)
    with pytest.raises(BudgetExceededError):
        check_budget(batch, 3.0, allow_unknown=True)


@pytest.mark.parametrize("budget", [-1.0, float("nan"), float("inf")])
def test_budget_must_be_a_finite_non_negative_number(budget: float) -> None:
    with pytest.raises(RequestValidationError):
        check_budget([_estimate(1.0)], budget)


def test_end_to_end_batch_guard() -> None:
    requests = [_request(duration_seconds=8, number_of_videos=4) for _ in range(3)]
    estimates = [estimate_cost(r, "veo-3.1-generate-001", "vertex") for r in requests]
    # 3 * 4 * 8 * 0.40 = 38.40
    check_budget(estimates, 38.40)
    with pytest.raises(BudgetExceededError):
        check_budget(estimates, 38.39)


# -- the model and platform, when not given --------------------------------------------------

VERTEX_ENV = {"GOOGLE_GENAI_USE_VERTEXAI": "true", "GOOGLE_CLOUD_PROJECT": "p"}
GEMINI_ENV = {"GEMINI_API_KEY": "k"}


@pytest.mark.parametrize(
    ("model", "environ", "platform"),
    [
        ("veo-3.1-generate-001", {}, "vertex"),  # offered on Vertex AI only
        ("veo-3.1-generate-preview", VERTEX_ENV, "vertex"),
        ("veo-3.1-generate-preview", GEMINI_ENV, "gemini"),
        ("not-in-the-catalog", GEMINI_ENV, "gemini"),
    ],
)
def test_estimate_cost_takes_the_model_from_the_request_and_guesses_the_platform(
    model: str, environ: dict[str, str], platform: str
) -> None:
    estimate = estimate_cost(VideoRequest(prompt="x", model=model), environ=environ)
    assert (estimate.model, estimate.platform) == (model, platform)


def test_estimate_cost_without_a_model_names_the_field() -> None:
    with pytest.raises(RequestValidationError) as caught:
        estimate_cost(VideoRequest(prompt="x"))
    assert caught.value.field == "model"


def test_estimate_cost_refuses_to_guess_an_ambiguous_platform() -> None:
    request = VideoRequest(prompt="x", model="veo-3.1-generate-preview")
    with pytest.raises(RequestValidationError) as caught:
        estimate_cost(request, environ={})
    assert caught.value.field == "platform"
    assert "platform='vertex'" in (caught.value.hint or "")


def test_a_generator_estimates_on_its_own_model_and_platform() -> None:
    from veowrap.backends.fake import FakeBackend

    gen = veowrap.VideoGenerator(
        backend=FakeBackend(platform="vertex"), model="veo-3.1-generate-001"
    )
    estimate = gen.estimate_cost("a kite", duration_seconds=6)
    assert (estimate.model, estimate.platform, estimate.seconds) == (
        "veo-3.1-generate-001",
        "vertex",
        6,
    )
    assert (
        estimate.amount_usd
        == estimate_cost(
            VideoRequest(prompt="a kite", duration_seconds=6), "veo-3.1-generate-001", "vertex"
        ).amount_usd
    )
