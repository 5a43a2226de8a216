"""Every catalog constraint, table-driven: a request that passes and one that fails.

Each failing case asserts the error's field, value, what the model allows and the suggested
model (or fix), so a message regression shows up here rather than in a user's terminal.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any

import pytest

from veowrap._catalog import capabilities, check_request, latency, load_catalog, models
from veowrap._errors import RequestValidationError, UnsupportedCapabilityError
from veowrap._handle import Platform
from veowrap._request import ReferenceImage, VideoMask, VideoRequest

TODAY = datetime.date(2026, 11, 25)
# Before any Gemini-API Veo shutdown, so Gemini-API rules can still be exercised strictly.
EARLY = datetime.date(2026, 1, 1)

IMG = "gs://bucket/first.png"
LAST = "gs://bucket/last.png"
CLIP = "gs://bucket/clip.mp4"
ASSET = ReferenceImage(image="gs://bucket/ref.png")
STYLE = ReferenceImage(image="gs://bucket/style.png", reference_type="style")
MASK = VideoMask(image="gs://bucket/mask.png", mode="insert")


@dataclass(frozen=True)
class Case:
    """One constraint: ``good`` passes, ``bad`` breaks it with the given error parts.

    A documented rule refuses ``bad``; a reported one warns with the same parts and sends it.
    """

    id: str
    model: str
    platform: Platform
    good: dict[str, Any]
    bad: dict[str, Any]
    field: str
    value: Any
    allowed: str
    hint: str | None
    reason: str = ""
    today: datetime.date = TODAY
    extra: dict[str, Any] = dataclass_field(default_factory=dict)
    # "reported" rules warn (citing their source) and the request is sent; only "documented"
    # rules refuse.
    grade: str = "documented"


V31 = "veo-3.1-generate-001"
V31G = "veo-3.1-generate-preview"
V2 = "veo-2.0-generate-001"
V3 = "veo-3.0-generate-001"
OMNI = "gemini-omni-1.2-flash"

CASES = [
    Case(
        "veo31-duration",
        V31,
        "vertex",
        {"duration_seconds": 4},
        {"duration_seconds": 5},
        "duration_seconds",
        5,
        "4, 6, 8",
        "gemini-omni-1.2-flash takes 5 s.",
        reason="veo-3.1-generate-001 does not take it",
    ),
    Case(
        "veo2-gemini-duration-7",
        V2,
        "gemini",
        {"duration_seconds": 6},
        {"duration_seconds": 7},
        "duration_seconds",
        7,
        "5, 6, 8",
        "gemini-omni-1.2-flash takes 7 s.",
        today=EARLY,
    ),
    Case(
        "veo2-resolution",
        V2,
        "vertex",
        {"resolution": "720p"},
        {"resolution": "1080p"},
        "resolution",
        "1080p",
        "720p",
        "veo-3.1-generate-001 takes 1080p.",
        today=EARLY,
    ),
    Case(
        "omni-no-360p-on-veo",
        V31,
        "vertex",
        {"resolution": "4k"},
        {"resolution": "360p"},
        "resolution",
        "360p",
        "720p, 1080p, 4k",
        "gemini-omni-1.2-flash takes 360p.",
    ),
    Case(
        "veo31-1080p-only-at-8s",
        V31G,
        "gemini",
        {"resolution": "1080p", "duration_seconds": 8},
        {"resolution": "1080p", "duration_seconds": 6},
        "resolution",
        "1080p",
        "720p when duration_seconds=6",
        "veo-3.0-generate-001 takes resolution='1080p' with duration_seconds=6.",
        reason="veo-3.1-generate-preview takes 1080p and 4k only at 8 s",
        today=EARLY,
    ),
    Case(
        "veo31-4k-only-at-8s",
        V31,
        "vertex",
        {"resolution": "4k"},
        {"resolution": "4k", "duration_seconds": 4},
        "resolution",
        "4k",
        "720p, 1080p when duration_seconds=4",
        "gemini-omni-1.2-flash takes resolution='4k' with duration_seconds=4.",
        grade="reported",
    ),
    Case(
        "veo3-1080p-only-16x9",
        V3,
        "gemini",
        {"resolution": "1080p", "aspect_ratio": "16:9"},
        {"resolution": "1080p", "aspect_ratio": "9:16"},
        "resolution",
        "1080p",
        "720p when aspect_ratio='9:16'",
        "veo-3.1-generate-preview takes resolution='1080p' with aspect_ratio='9:16'.",
        reason="veo-3.0-generate-001 takes 1080p only at 16:9",
        today=EARLY,
    ),
    Case(
        "veo31-last-frame-needs-8s",
        V31,
        "vertex",
        {"image": IMG, "last_frame": LAST, "duration_seconds": 8},
        {"image": IMG, "last_frame": LAST, "duration_seconds": 6},
        "duration_seconds",
        6,
        "8 when a last frame",
        "gemini-omni-1.2-flash takes duration_seconds=6 with a last frame.",
        reason="veo-3.1-generate-001 needs 8 s with a last frame",
        grade="reported",
    ),
    Case(
        "veo31-references-need-8s",
        V31,
        "vertex",
        {"reference_images": (ASSET,), "duration_seconds": 8},
        {"reference_images": (ASSET,), "duration_seconds": 4},
        "duration_seconds",
        4,
        "8 when reference images",
        "gemini-omni-1.2-flash takes duration_seconds=4 with reference images.",
    ),
    Case(
        "veo31-vertex-extension-needs-7s",
        V31,
        "vertex",
        {"video": CLIP, "duration_seconds": 7},
        {"video": CLIP, "duration_seconds": 6},
        "duration_seconds",
        6,
        "7 when extending a video",
        "gemini-omni-1.2-flash takes duration_seconds=6 with a video to extend.",
        grade="reported",
    ),
    Case(
        "veo31-references-16x9",
        V31,
        "vertex",
        {"reference_images": (ASSET,), "aspect_ratio": "16:9"},
        {"reference_images": (ASSET,), "aspect_ratio": "9:16"},
        "aspect_ratio",
        "9:16",
        "16:9 when reference images",
        "gemini-omni-1.2-flash takes aspect_ratio='9:16' with reference images.",
        grade="reported",
    ),
    Case(
        "veo31-extension-720p",
        V31,
        "vertex",
        {"video": CLIP, "resolution": "720p"},
        {"video": CLIP, "resolution": "1080p"},
        "resolution",
        "1080p",
        "720p when a video to extend",
        "gemini-omni-1.2-flash takes resolution='1080p' with a video to extend.",
    ),
    Case(
        "vertex-4-videos",
        V31,
        "vertex",
        {"number_of_videos": 4},
        {"number_of_videos": 4, "duration_seconds": 7},  # 4 is fine; see gemini cases
        "duration_seconds",
        7,
        "4, 6, 8",
        "gemini-omni-1.2-flash takes 7 s.",
    ),
    Case(
        "gemini-1-video",
        V31G,
        "gemini",
        {"number_of_videos": 1},
        {"number_of_videos": 2},
        "number_of_videos",
        2,
        "1 to 1 on the Gemini API",
        "veo-2.0-generate-001 takes 2 videos per request.",
        reason="veo-3.1-generate-preview makes at most 1 per request",
        today=EARLY,
    ),
    Case(
        "veo2-gemini-2-videos",
        V2,
        "gemini",
        {"number_of_videos": 2},
        {"number_of_videos": 3},
        "number_of_videos",
        3,
        "1 to 2 on the Gemini API",
        "veo-3.1-generate-001 on Vertex AI takes 3 videos per request.",
        today=EARLY,
    ),
    Case(
        "omni-1-video",
        OMNI,
        "vertex",
        {"number_of_videos": 1},
        {"number_of_videos": 2},
        "number_of_videos",
        2,
        "1 to 1 on Vertex AI",
        "veo-3.1-generate-001 takes 2 videos per request.",
    ),
    Case(
        "veo2-no-audio",
        V2,
        "vertex",
        {"generate_audio": False},
        {"generate_audio": True},
        "generate_audio",
        True,
        "False or unset",
        "veo-3.1-generate-001 takes generate_audio=True.",
        reason="veo-2.0-generate-001 makes silent videos",
        today=EARLY,
    ),
    Case(
        "veo3-audio-always",
        V3,
        "vertex",
        {"generate_audio": True},
        {"generate_audio": False},
        "generate_audio",
        False,
        "True or unset",
        "veo-3.1-generate-001 takes generate_audio=False.",
        today=EARLY,
    ),
    Case(
        "veo31-vertex-audio-optional",
        V31,
        "vertex",
        {"generate_audio": False},
        {"generate_audio": False, "duration_seconds": 5},
        "duration_seconds",
        5,
        "4, 6, 8",
        "gemini-omni-1.2-flash takes 5 s.",
    ),
    Case(
        "veo2-person-text",
        V2,
        "gemini",
        {"person_generation": "dont_allow"},
        {"person_generation": "allow_all", "image": IMG},
        "person_generation",
        "allow_all",
        "allow_adult, dont_allow",
        None,
        reason="veo-2.0-generate-001 does not take it for requests with a first-frame image",
        today=EARLY,
    ),
    Case(
        "veo31-person-image",
        V31,
        "vertex",
        {"person_generation": "allow_adult", "image": IMG},
        {"person_generation": "allow_all", "image": IMG},
        "person_generation",
        "allow_all",
        "allow_adult",
        None,
        grade="reported",
    ),
    Case(
        "veo31-person-text",
        V31,
        "vertex",
        {"person_generation": "allow_all"},
        {"person_generation": "dont_allow"},
        "person_generation",
        "dont_allow",
        "allow_all, allow_adult",
        None,  # veo-2.0-generate-001 took it, but it has shut down
        grade="reported",
    ),
    Case(
        "veo31-person-references",
        V31,
        "vertex",
        {"person_generation": "allow_adult", "reference_images": (ASSET,)},
        {"person_generation": "allow_all", "reference_images": (ASSET,)},
        "person_generation",
        "allow_all",
        "allow_adult",
        None,
        grade="reported",
    ),
    Case(
        "omni-no-mask",
        OMNI,
        "vertex",
        {"image": IMG},
        {"mask": MASK},
        "mask",
        None,
        "inputs: a text prompt, a first-frame image, a last frame, reference images, "
        "a video to extend",
        None,
    ),
    Case(
        "veo3-no-references",
        V3,
        "vertex",
        {"image": IMG},
        {"reference_images": (ASSET,)},
        "reference_images",
        "1 image(s)",
        "inputs: a text prompt, a first-frame image, a last frame",
        "veo-3.1-generate-001 takes reference images.",
        today=EARLY,
    ),
    Case(
        "veo3-no-extension",
        V3,
        "vertex",
        {"image": IMG},
        {"video": CLIP},
        "video",
        None,
        "inputs: a text prompt, a first-frame image, a last frame",
        "veo-3.1-generate-001 takes a video to extend.",
        today=EARLY,
    ),
    Case(
        "veo2-gemini-no-references",
        V2,
        "gemini",
        {"image": IMG},
        {"reference_images": (ASSET,)},
        "reference_images",
        "1 image(s)",
        "inputs: a text prompt, a first-frame image, a last frame",
        "veo-3.1-generate-preview takes reference images.",
        today=EARLY,
    ),
    Case(
        "style-only-veo2-vertex",
        V31,
        "vertex",
        {"reference_images": (ASSET, ASSET)},
        {"reference_images": (STYLE,)},
        "reference_images.0.reference_type",
        "style",
        "asset",
        "veo-2.0-generate-001 takes style reference images.",
        reason="veo-3.1-generate-001 does not take style references on Vertex AI",
        today=EARLY,
    ),
    Case(
        "veo2-one-style",
        V2,
        "vertex",
        {"reference_images": (STYLE,)},
        {"reference_images": (STYLE, STYLE)},
        "reference_images",
        "2 style image(s)",
        "at most 1 style image(s)",
        None,
        today=EARLY,
    ),
    Case(
        "veo2-no-mixed-references",
        V2,
        "vertex",
        {"reference_images": (ASSET, ASSET, ASSET)},
        {"reference_images": (ASSET, STYLE)},
        "reference_images",
        "asset and style images",
        "references of one type",
        None,
        today=EARLY,
    ),
    Case(
        "omni-no-negative-prompt",
        OMNI,
        "vertex",
        {"prompt": "a kite"},
        {"negative_prompt": "rain"},
        "negative_prompt",
        "rain",
        "unset",
        "veo-3.1-generate-001 takes negative_prompt.",
        reason="gemini-omni-1.2-flash does not take it",
    ),
    Case(
        "omni-no-person-generation",
        OMNI,
        "gemini",
        {"prompt": "a kite"},
        {"person_generation": "allow_all"},
        "person_generation",
        "allow_all",
        "unset",
        None,  # no live Veo on the Gemini API; Vertex Veo takes it
        extra={"hint_contains": "on Vertex AI takes person_generation"},
    ),
    Case(
        "prompt-1024-tokens",
        V31,
        "vertex",
        {"prompt": "a" * 4096},
        {"prompt": "a" * 4097},
        "prompt",
        "a" * 4097,
        "at most 1,024 tokens (about 4,096 characters; veowrap estimates tokens as characters / 4)",
        "gemini-omni-1.2-flash takes a prompt of about 1,025 tokens.",
        reason="it is about 1,025 tokens",
        grade="reported",
    ),
]


def _request(**fields: Any) -> VideoRequest:
    fields.setdefault("prompt", "a paper boat on a rainy street")
    return VideoRequest(**fields)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_constraint_passes(case: Case) -> None:
    warnings = check_request(_request(**case.good), case.model, case.platform, today=case.today)
    # Cases dated before a shutdown get the "will be shut down" notice and nothing else.
    assert [w for w in warnings if "will be shut down" not in w] == []


DOCUMENTED = [c for c in CASES if c.grade == "documented"]
REPORTED = [c for c in CASES if c.grade == "reported"]


def _violation(case: Case) -> RequestValidationError:
    """The error a case's ``bad`` request raises (documented) or warns with (reported)."""
    from veowrap._catalog._checking import suggest
    from veowrap._catalog._rules import violations

    request = _request(**case.bad)
    if case.grade == "documented":
        with pytest.raises(RequestValidationError) as caught:
            check_request(request, case.model, case.platform, today=case.today)
        return caught.value
    caps = capabilities(case.model, case.platform)
    assert caps is not None
    found = [v for v in violations(request, caps) if v.field == case.field]
    assert found and found[0].evidence.grade == "reported", found
    return found[0].error(suggest(load_catalog(), request, caps, found[0], case.today))


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_constraint_fails_with_named_field_allowed_and_suggestion(case: Case) -> None:
    error = _violation(case)
    assert error.source is not None and f"({case.grade}, read " in error.source
    assert f"Source: {error.source}." in str(error)
    assert error.field == case.field
    if case.value is not None:
        assert error.value == case.value
    assert error.allowed.startswith(case.allowed), error.allowed
    assert f"Allowed: {error.allowed}." in str(error)
    assert case.reason in str(error)
    if "hint_contains" in case.extra:
        assert error.hint is not None and case.extra["hint_contains"] in error.hint
    elif case.hint is None:
        assert error.hint is None or "takes" not in error.hint, error.hint
    else:
        assert error.hint == case.hint


@pytest.mark.parametrize("case", REPORTED, ids=[c.id for c in REPORTED])
def test_reported_rule_warns_with_its_source_and_sends(case: Case) -> None:
    warnings = check_request(_request(**case.bad), case.model, case.platform, today=case.today)
    mine = [w for w in warnings if w.startswith(f"{case.field}=")]
    assert len(mine) == 1, warnings
    assert "Source: " in mine[0] and "(reported, read " in mine[0]
    assert "so the request is sent and the service decides" in mine[0]


@pytest.mark.parametrize("case", DOCUMENTED, ids=[c.id for c in DOCUMENTED])
def test_strict_false_turns_violation_into_warning(case: Case) -> None:
    warnings = check_request(
        _request(**case.bad), case.model, case.platform, strict=False, today=case.today
    )
    assert any(w.startswith(f"{case.field}=") and "strict=False" in w for w in warnings), warnings


def test_example_from_the_issue_reads_as_documented() -> None:
    with pytest.raises(RequestValidationError) as caught:
        check_request(_request(duration_seconds=5), V31, "vertex", today=TODAY)
    assert str(caught.value) == (
        "duration_seconds=5 is not valid: veo-3.1-generate-001 does not take it. "
        "Allowed: 4, 6, 8. Source: https://docs.cloud.google.com/vertex-ai/generative-ai/docs/"
        'models/veo/3-1-generate ("Video length: 4, 6, or 8 seconds"); 1080p at 6 s is sent by '
        "GoogleCloudPlatform/generative-ai vision/getting-started/veo3_video_generation.ipynb "
        "(since 871c4fcb8, 2025-09-08) (documented, read 2026-12-03). "
        "Hint: gemini-omni-1.2-flash takes 5 s."
    )


def test_unset_fields_are_not_checked() -> None:
    # Defaults (8 s, 720p, 16:9) satisfy every rule, even with a last frame or references.
    for fields in ({}, {"image": IMG, "last_frame": LAST}, {"reference_images": (ASSET,)}):
        assert check_request(_request(**fields), V31, "vertex", today=TODAY) == []


def test_unknown_model_warns_and_passes() -> None:
    warnings = check_request(_request(duration_seconds=59), "veo-9-generate-001", "vertex")
    assert warnings == [
        "model 'veo-9-generate-001' is not in veowrap's catalog (updated 2026-12-03); "
        "sent unchecked. Did you mean 'veo-3.1-generate-001' or 'veo-3.0-generate-001' or "
        "'veo-2.0-generate-001'?"
    ]


@pytest.mark.parametrize(
    ("typo", "meant"),
    [
        ("veo-3.1-generate-01", "veo-3.1-generate-001"),
        ("models/veo-3.1-fast-generate-01", "veo-3.1-fast-generate-001"),
        ("gemini-omni-1.2-flesh", "gemini-omni-1.2-flash"),
        ("veo-3.1-lite-generate", "veo-3.1-lite-generate-001"),
    ],
)
def test_unknown_model_names_the_closest_catalog_ids(typo: str, meant: str) -> None:
    [warning] = check_request(_request(), typo, "vertex", today=TODAY)
    assert f"Did you mean {meant!r}" in warning, warning
    assert load_catalog().closest_ids(typo)[0] == meant


def test_nothing_close_means_no_guess() -> None:
    [warning] = check_request(_request(), "stable-diffusion-xl", "vertex", today=TODAY)
    assert "Did you mean" not in warning


@pytest.mark.parametrize(
    ("model", "platform", "date", "successor"),
    [
        ("veo-3.0-generate-001", "gemini", "2026-06-30", "gemini-omni-1.1-flash"),
        ("veo-2.0-generate-001", "gemini", "2026-06-30", "gemini-omni-1.1-flash"),
        ("veo-3.1-fast-generate-preview", "vertex", "2026-04-02", "veo-3.1-fast-generate-001"),
        ("veo-3.0-generate-001", "vertex", "2026-06-30", "veo-3.1-generate-001"),
        ("veo-3.0-fast-generate-001", "vertex", "2026-06-30", "veo-3.1-fast-generate-001"),
        ("veo-3.0-generate-preview", "vertex", "2026-04-02", "veo-3.1-generate-001"),
    ],
)
def test_shut_down_model_refuses_with_date_and_successor(
    model: str, platform: Platform, date: str, successor: str
) -> None:
    with pytest.raises(UnsupportedCapabilityError) as caught:
        check_request(_request(), model, platform, today=TODAY)
    assert f"{model} was shut down on" in str(caught.value)
    assert date in caught.value.message
    assert caught.value.hint is not None and successor in caught.value.hint


def test_shut_down_on_gemini_points_to_vertex_when_live_there() -> None:
    with pytest.raises(UnsupportedCapabilityError) as caught:
        check_request(_request(), V2, "gemini", today=TODAY)
    # Veo 2 has shut down on Vertex AI too (2026-06-30), so the way out is its successor there.
    assert caught.value.hint == (
        "Use gemini-omni-1.1-flash, or veo-3.1-generate-001 on Vertex AI instead."
    )


def test_shut_down_everywhere_points_to_the_live_vertex_successor() -> None:
    with pytest.raises(UnsupportedCapabilityError) as caught:
        check_request(_request(), "veo-3.0-fast-generate-001", "gemini", today=TODAY)
    assert str(caught.value) == (
        "veo-3.0-fast-generate-001 was shut down on the Gemini API on 2026-06-30. "
        "Source: Google Gemini API changelog (2026-06-15): shutdown 2026-06-30 (documented, "
        "read 2026-11-25). Hint: Use gemini-omni-1.1-flash, or veo-3.1-fast-generate-001 on "
        "Vertex AI instead."
    )


def test_reported_shutdown_warns_and_sends() -> None:
    # Only third-party notices give the Gemini API shutdown of the Veo 3.1 previews.
    warnings = check_request(_request(), V31G, "gemini", today=TODAY)
    assert len(warnings) == 1, warnings
    assert warnings[0].startswith("veo-3.1-generate-preview was shut down on the Gemini API")
    assert "(reported, read " in warnings[0] and "the service decides" in warnings[0]


def test_deprecation_warns_with_successor_and_source() -> None:
    [warning] = check_request(_request(), "gemini-omni-flash-preview", "vertex", today=TODAY)
    assert warning.startswith(
        "gemini-omni-flash-preview is deprecated on Vertex AI since 2026-11-06; "
        "successor: gemini-omni-1.2-flash. Source: https://docs.cloud.google.com/"
    ), warning


def test_shutdown_is_by_date() -> None:
    day_before = datetime.date(2026, 6, 29)
    warnings = check_request(_request(), V31, "vertex", today=day_before)
    assert warnings == []
    warnings = check_request(_request(), V3, "gemini", today=day_before)
    assert warnings == [
        "veo-3.0-generate-001 will be shut down on the Gemini API on 2026-06-30; "
        "successor: gemini-omni-1.1-flash. Source: Google Gemini API changelog (2026-06-15): "
        "shutdown 2026-06-30 (documented, read 2026-11-25)."
    ]
    with pytest.raises(UnsupportedCapabilityError):
        check_request(_request(), V3, "gemini", today=datetime.date(2026, 6, 30))


def test_strict_false_lets_the_emulator_preview_models_through() -> None:
    # The emulator still serves these on the Gemini API for the old-SDK code path.
    for model in ("veo-3.0-generate-preview", "veo-3.1-generate-preview"):
        warnings = check_request(_request(), model, "gemini", strict=False, today=TODAY)
        assert len(warnings) == 1 and "was shut down" in warnings[0], warnings
        # Documented shutdowns pass only with strict=False; reported ones always pass.
        assert "Sent anyway (strict=False)." in warnings[0] or "(reported, " in warnings[0]


def test_model_not_offered_on_platform() -> None:
    with pytest.raises(UnsupportedCapabilityError) as caught:
        check_request(_request(), V31, "gemini", today=TODAY)
    assert str(caught.value) == (
        "veo-3.1-generate-001 is not offered on the Gemini API. "
        "Hint: Use it on Vertex AI (vertexai=True)."
    )
    assert check_request(_request(), V31, "gemini", strict=False, today=TODAY)


def test_reported_fact_warns_even_when_strict() -> None:
    # Omni 1.2's 3-15 s comes from third parties only: the service, not the catalog, decides.
    warnings = check_request(_request(duration_seconds=16), OMNI, "gemini", today=TODAY)
    assert len(warnings) == 1
    assert warnings[0].startswith("duration_seconds=16 is not valid")
    assert "(reported, read " in warnings[0] and "vercel.com" in warnings[0]
    # Masks on Vertex Veo: which ids take them is not published.
    warnings = check_request(_request(mask=MASK), V31, "vertex", today=TODAY)
    assert len(warnings) == 1 and warnings[0].startswith("mask=")


def test_veo2_vertex_image_size_limit() -> None:
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
    small = _request(image=png)
    assert all("will be shut down" in w for w in check_request(small, V2, "vertex", today=EARLY))
    big = _request(image=png + b"\0" * 20_000_000)
    with pytest.raises(RequestValidationError) as caught:
        check_request(big, V2, "vertex", today=EARLY)
    assert caught.value.field == "image"
    assert caught.value.allowed == "at most 20,000,000 bytes"


def test_first_violation_wins_in_strict_mode_all_reported_otherwise() -> None:
    request = _request(duration_seconds=5, number_of_videos=4, generate_audio=True)
    warnings = check_request(request, "veo-3.1-generate-preview", "gemini", strict=False)
    fields = [w.split("=")[0] for w in warnings if "is not valid" in w]
    assert fields == ["duration_seconds", "number_of_videos"]


def test_lookup_strips_prefixes_and_resolves_aliases() -> None:
    assert capabilities("models/veo-3.1-generate-001", "vertex") is not None
    resource = "projects/p/locations/us-central1/publishers/google/models/veo-3.1-generate-001"
    caps = capabilities(resource, "vertex")
    assert caps is not None and caps.model == "veo-3.1-generate-001"
    assert capabilities("veo-3.1-generate-001", "gemini") is None
    assert capabilities("nope", "vertex") is None


def test_aliases_resolve_in_a_catalog_that_has_them() -> None:
    from veowrap._catalog import Catalog

    data = _catalog_json()
    data["models"][0]["aliases"] = ["veo-latest"]
    catalog = Catalog.from_dict(data)
    caps = catalog.capabilities("models/veo-latest", "vertex")
    assert caps is not None and caps.model == data["models"][0]["id"]
    with pytest.raises(RequestValidationError):
        catalog.check_request(_request(duration_seconds=5), "veo-latest", "vertex", today=TODAY)


def test_schema_version_is_checked() -> None:
    from veowrap._catalog import Catalog

    data = _catalog_json()
    data["schema"] = 2
    with pytest.raises(ValueError, match="schema 2 is not supported"):
        Catalog.from_dict(data)


def test_latency_feeds_poll_schedule() -> None:
    low, median, high = latency("veo-3.1-generate-001", "vertex") or (0, 0, 0)
    assert (low, high) == (11, 360) and low <= median <= high
    assert latency("unknown-model", "vertex") is None


def test_models_lists_every_requested_id() -> None:
    ids = {m.id for m in models()}
    assert ids >= {
        "veo-2.0-generate-001",
        "veo-3.0-generate-001",
        "veo-3.0-fast-generate-001",
        "veo-3.0-generate-preview",
        "veo-3.1-generate-preview",
        "veo-3.1-fast-generate-preview",
        "veo-3.1-lite-generate-preview",
        "veo-3.1-generate-001",
        "veo-3.1-fast-generate-001",
        "veo-3.1-lite-generate-001",
        "gemini-omni-1.2-flash",
        "gemini-omni-1.1-flash",
        "gemini-omni-flash-preview",
    }


def test_catalog_facts_are_consistent() -> None:
    catalog = load_catalog()
    ids = {m.id for m in catalog.models}
    for info in catalog.models:
        for platform, caps in info.platforms.items():
            where = f"{info.id} on {platform}"
            assert caps.default_duration in caps.durations, where
            assert caps.default_resolution in caps.resolutions, where
            assert caps.default_aspect_ratio in caps.aspect_ratios, where
            assert caps.latency.min_s <= caps.latency.median_s <= caps.latency.max_s, where
            life = caps.lifecycle
            assert (life.shutdown or life.deprecated) is None or life.successor, where
            if life.successor:
                assert life.shutdown or life.deprecated, where
            if life.successor:
                successor = catalog.capabilities(life.successor, platform)
                assert life.successor in ids, where
                assert successor is not None and successor.is_live(TODAY), where
            assert caps.route == ("interactions" if info.family == "gemini-omni" else "operations")
            for price in caps.prices:
                assert price.source and price.as_of, where
                # No Google pricing page was read: every price is third-party.
                assert price.confirmed is False, where
                assert "third-party" in price.source, where
            for kind in caps.person_generation:
                # A person rule for an input the model is only *reported* not to take stays:
                # if the service does take it, the rule applies.
                reported = kind != "text" and caps.evidence[f"inputs.{kind}"].grade == "reported"
                assert kind in caps.input_kinds or reported, where
            if platform == "gemini" or info.family != "veo-2":
                refs = caps.inputs.reference_images
                assert refs is None or "style" not in refs.types, where


def _catalog_json() -> dict[str, Any]:
    import json
    from importlib import resources

    text = resources.files("veowrap").joinpath("catalog.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data
