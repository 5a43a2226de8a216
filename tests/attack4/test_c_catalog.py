"""Attacks on the model catalog: refusals of what Google allows, uncited refusals, reported
rules that do not send, did-you-mean hints and odd model ids.

Promise (docs/models.md): "A documented rule ... refuses: RequestValidationError names the
field, the value, what the model allows, the source and a live model that would take it ...
A reported rule ... never refuses: it warns, citing its source, and the request is sent."
"""

from __future__ import annotations

import contextlib
import logging
import warnings
from collections.abc import Iterator
from typing import Any

import pytest

import veowrap
from veowrap import VideoRequest, check_request
from veowrap.testing import VeoEmulator

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
OMNI = "gemini-omni-1.2-flash"
VEO = "veo-3.1-generate-001"


@pytest.fixture
def emu() -> Iterator[VeoEmulator]:
    with VeoEmulator(latency=0.05) as emulator:
        yield emulator


# -- reported rules warn and send -------------------------------------------------------------

REPORTED_BREACHES = [
    ("vertex 4k at 4 s", VEO, "vertex", {"resolution": "4k", "duration_seconds": 4}),
    (
        "vertex references at 9:16",
        VEO,
        "vertex",
        {"aspect_ratio": "9:16", "reference_images": [PNG]},
    ),
    (
        "vertex last frame at 6 s",
        VEO,
        "vertex",
        {"duration_seconds": 6, "image": PNG, "last_frame": PNG},
    ),
    (
        "vertex person allow_all + image",
        VEO,
        "vertex",
        {"person_generation": "allow_all", "image": PNG},
    ),
    ("vertex lite 4k", "veo-3.1-lite-generate-001", "vertex", {"resolution": "4k"}),
    ("vertex lite references", "veo-3.1-lite-generate-001", "vertex", {"reference_images": [PNG]}),
    ("vertex long prompt (1,024 tokens reported)", VEO, "vertex", {"prompt": "a kite " * 800}),
    ("omni 1.2 at 15 s", OMNI, "gemini", {"duration_seconds": 15}),
    ("omni 1.2 last frame", OMNI, "vertex", {"image": PNG, "last_frame": PNG}),
    ("gemini preview shut down (reported)", "veo-3.1-generate-preview", "gemini", {}),
    ("omni preview shut down (reported)", "gemini-omni-flash-preview", "gemini", {}),
    ("vertex 3.1 preview shut down (reported)", "veo-3.1-generate-preview", "vertex", {}),
]


@pytest.mark.parametrize(
    ("model", "platform", "fields"),
    [c[1:] for c in REPORTED_BREACHES],
    ids=[c[0] for c in REPORTED_BREACHES],
)
def test_c_reported_rules_warn_cite_and_send(model: str, platform: Any, fields: Any) -> None:
    fields = {"prompt": "a kite", **fields}
    notes = check_request(VideoRequest(**fields), model, platform)
    # Either nothing is breached, or every breach is a warning that cites its source.
    for note in notes:
        assert "Source:" in note, note


def test_c_a_reported_breach_reaches_the_service(
    emu: VeoEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    gen = emu.generator(vertex=True)
    caplog.set_level(logging.WARNING, logger="veowrap")
    # The emulator may refuse: the point is that it was asked.
    with contextlib.suppress(veowrap.ServiceRejectedError):
        gen.submit("a kite", model=VEO, resolution="4k", duration_seconds=4)
    assert len(emu.requests) >= 1
    assert any("Source:" in r.getMessage() and "reported" in r.getMessage() for r in caplog.records)


# -- documented rules refuse, citing a source, with a way out ---------------------------------

DOCUMENTED_BREACHES = [
    (
        "gemini 1080p at 4 s",
        "veo-3.1-generate-preview",
        "gemini",
        {"resolution": "1080p", "duration_seconds": 4},
    ),
    (
        "gemini references at 9:16",
        "veo-3.1-generate-preview",
        "gemini",
        {"aspect_ratio": "9:16", "reference_images": [PNG]},
    ),
    ("omni 1.1 at 15 s", "gemini-omni-1.1-flash", "gemini", {"duration_seconds": 15}),
    ("omni negative prompt", OMNI, "vertex", {"negative_prompt": "blur"}),
    (
        "veo 3 1080p at 9:16",
        "veo-3.0-generate-001",
        "vertex",
        {"resolution": "1080p", "aspect_ratio": "9:16"},
    ),
]


@pytest.mark.parametrize(
    ("model", "platform", "fields"),
    [c[1:] for c in DOCUMENTED_BREACHES],
    ids=[c[0] for c in DOCUMENTED_BREACHES],
)
def test_c_documented_refusals_cite_source_and_way_out(
    model: str, platform: Any, fields: Any
) -> None:
    request = VideoRequest(prompt="a kite", **fields)
    with pytest.raises(
        (veowrap.RequestValidationError, veowrap.UnsupportedCapabilityError)
    ) as info:
        check_request(request, model, platform)
    text = str(info.value)
    assert "Source:" in text and "documented" in text, text
    assert "Hint:" in text, text
    # strict=False turns it into a warning that still cites the source.
    notes = check_request(request, model, platform, strict=False)
    assert notes and all("Source:" in n for n in notes)


def test_c_shut_down_models_name_a_successor() -> None:
    with pytest.raises(veowrap.UnsupportedCapabilityError) as info:
        check_request(VideoRequest(prompt="a kite"), "veo-3.0-generate-001", "gemini")
    assert "Source:" in str(info.value) and "Use " in str(info.value)


# -- hard caps outside the catalog ------------------------------------------------------------


@pytest.mark.parametrize("count", [4, 5])
@pytest.mark.parametrize("platform", ["gemini", "vertex"])
def test_c_omni_takes_up_to_five_reference_images(count: int, platform: Any) -> None:
    request = VideoRequest(prompt="a kite", reference_images=[PNG] * count)
    check_request(request, OMNI, platform)


def test_c_reported_reference_limit_warns_and_sends() -> None:
    request = VideoRequest(prompt="a kite", reference_images=[PNG] * 6)
    notes = check_request(request, OMNI, "gemini")
    assert any("Source:" in n for n in notes)


def test_c_omni_long_prompt_is_not_refused_without_a_rule() -> None:
    prompt = "A slow pan across a harbour at dawn, gulls circling above. " * 160  # ~9,400 chars
    request = VideoRequest(prompt=prompt)
    check_request(request, OMNI, "gemini")


# -- odd model ids ----------------------------------------------------------------------------


@pytest.mark.parametrize("model", ["models/" + VEO, VEO])
def test_c_models_prefix_is_checked_like_the_bare_id(emu: VeoEmulator, model: str) -> None:
    request = VideoRequest(prompt="a kite", duration_seconds=5)
    with pytest.raises(veowrap.RequestValidationError) as info:
        check_request(request, model, "vertex")
    assert "Source:" in str(info.value)
    gen = emu.generator(vertex=True)
    with pytest.raises(veowrap.RequestValidationError):
        gen.submit("a kite", model=model, duration_seconds=5)
    assert emu.requests == []


@pytest.mark.parametrize(
    "model",
    [
        "publishers/google/models/" + VEO,
        "projects/test-project/locations/us-central1/publishers/google/models/" + VEO,
    ],
)
def test_c_vertex_publisher_model_names_are_accepted(emu: VeoEmulator, model: str) -> None:
    gen = emu.generator(vertex=True)
    handle = gen.submit("a kite", model=model)
    assert handle.name


@pytest.mark.parametrize("model", [VEO + "?alt=media", VEO + "&x=1", "veo-3.1..generate-001"])
def test_c_model_ids_google_genai_rejects_get_a_validation_error(
    emu: VeoEmulator, model: str
) -> None:
    gen = emu.generator(vertex=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(veowrap.RequestValidationError):
            gen.submit("a kite", model=model)


@pytest.mark.parametrize(
    ("typo", "meant"),
    [
        ("veo-3.1-generate-01", VEO),
        ("veo3.1-generate-001", VEO),
        ("gemini-omni-1.2", OMNI),
        ("Gemini-Omni-1.2-Flash", OMNI),
    ],
)
def test_c_did_you_mean_names_the_intended_model(typo: str, meant: str) -> None:
    (note,) = check_request(VideoRequest(prompt="a kite"), typo, "vertex")
    assert "not in veowrap's catalog" in note and repr(meant) in note


def test_c_did_you_mean_survives_letter_case() -> None:
    (note,) = check_request(VideoRequest(prompt="a kite"), "VEO-3.1-GENERATE-001", "vertex")
    assert repr(VEO) in note


@pytest.mark.parametrize("model", ["", " ", "models/", "a b", "../x", "veo\n"])
def test_c_nonsense_model_ids_are_refused_before_any_request(emu: VeoEmulator, model: str) -> None:
    gen = emu.generator(vertex=True)
    with pytest.raises(veowrap.RequestValidationError):
        gen.submit("a kite", model=model)
    assert emu.requests == []


def test_c_label_keys_starting_with_international_characters_are_accepted() -> None:
    VideoRequest(prompt="a kite", labels={"日本_team": "v", "équipe": "v"})
