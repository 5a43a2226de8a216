"""Graded rules end to end: documented rules refuse before sending, reported rules warn and send.

Requests go through a real ``VideoGenerator`` and google-genai client to the emulator, so
"sent" means the emulator received the create. Also: the three false refusals of issue 15
(Google's own Vertex samples sent them), ``veowrap models --explain``, and that every rule in
the packaged catalog carries its evidence.
"""

from __future__ import annotations

import datetime
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from click.testing import CliRunner

import veowrap
from veowrap._catalog import RULE_KEYS, Catalog, capabilities, check_request, load_catalog
from veowrap._catalog._explain import explain
from veowrap._errors import RequestValidationError
from veowrap._request import ReferenceImage, VideoRequest
from veowrap.testing import VeoEmulator

pytest.importorskip("google.genai")

TODAY = datetime.date(2026, 12, 3)
V31 = "veo-3.1-generate-001"
CLIP = "gs://bucket/clip.mp4"
REF = ReferenceImage(image="gs://bucket/ref.png")


@pytest.fixture
def emu() -> Iterator[VeoEmulator]:
    with VeoEmulator(latency=0.02) as emulator:
        yield emulator


def _creates(emu: VeoEmulator) -> list[dict[str, Any]]:
    return [
        r.body
        for r in emu.requests
        if r.method == "POST" and r.path.endswith(":predictLongRunning")
    ]


# -- the three false refusals: Google's Vertex samples send these --------------------------

FALSE_REFUSALS = [
    pytest.param(
        {"duration_seconds": 6, "resolution": "1080p"},
        {"durationSeconds": 6, "resolution": "1080p"},
        id="1080p-at-6s (veo3_video_generation.ipynb)",
    ),
    pytest.param(
        {"duration_seconds": 7, "video": CLIP},
        {"durationSeconds": 7},
        id="extension-7s (veo3_advanced_controls.ipynb)",
    ),
    pytest.param(
        {"aspect_ratio": "9:16", "reference_images": (REF,)},
        {"aspectRatio": "9:16"},
        id="references-9x16 (veo3_reference_to_video.ipynb)",
    ),
]


@pytest.mark.parametrize(("fields", "sent"), FALSE_REFUSALS)
def test_google_sample_requests_are_accepted_end_to_end(
    emu: VeoEmulator, fields: dict[str, Any], sent: dict[str, Any], tmp_path: Any
) -> None:
    with emu.generator(vertex=True) as generator:
        result = generator.generate("a paper boat", model=V31, **fields)
        paths = result.save(tmp_path)
    assert paths and paths[0].stat().st_size > 0
    [body] = _creates(emu)
    assert sent.items() <= body["parameters"].items()


# -- documented refuses, reported warns and sends ---------------------------------------------

DOCUMENTED = [
    pytest.param({"duration_seconds": 5}, "duration_seconds", id="durations"),
    pytest.param({"resolution": "360p"}, "resolution", id="resolutions"),
    pytest.param(
        {"duration_seconds": 6, "reference_images": (REF,)},
        "duration_seconds",
        id="references-need-8s",
    ),
    pytest.param({"video": CLIP, "resolution": "1080p"}, "resolution", id="extension-720p"),
]

# (fields, field warned about, whether the emulator, playing Google, accepts the request)
REPORTED = [
    pytest.param(
        {"duration_seconds": 6, "image": "gs://b/f.png", "last_frame": "gs://b/l.png"},
        "duration_seconds",
        True,
        id="last-frame-8s (Gemini API rule; veo3_advanced_controls sends 6 s)",
    ),
    pytest.param(
        {"duration_seconds": 6, "resolution": "4k"},
        "resolution",
        False,
        id="4k-at-8s (Gemini API rule)",
    ),
    pytest.param({"person_generation": "dont_allow"}, "person_generation", True, id="person"),
    pytest.param(
        {"aspect_ratio": "9:16", "reference_images": (REF,)},
        "aspect_ratio",
        True,
        id="refs-16x9",
    ),
]


@pytest.mark.parametrize(("fields", "field"), DOCUMENTED)
def test_documented_rule_refuses_before_anything_is_sent(
    emu: VeoEmulator, fields: dict[str, Any], field: str
) -> None:
    with emu.generator(vertex=True) as generator, pytest.raises(RequestValidationError) as caught:
        generator.submit("a paper boat", model=V31, **fields)
    assert caught.value.field == field
    assert caught.value.source is not None and "(documented, read " in caught.value.source
    assert "Source: https://" in str(caught.value)
    assert emu.requests == []  # nothing reached the network


@pytest.mark.parametrize(("fields", "field", "accepted"), REPORTED)
def test_reported_rule_warns_with_source_and_sends(
    emu: VeoEmulator,
    fields: dict[str, Any],
    field: str,
    accepted: bool,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with (
        caplog.at_level(logging.WARNING, logger="veowrap"),
        emu.generator(vertex=True) as generator,
    ):
        if accepted:
            assert generator.submit("a paper boat", model=V31, **fields).name
        else:
            # The service decides: here it refuses, and the error names the field it named.
            with pytest.raises(veowrap.ServiceRejectedError) as caught:
                generator.submit("a paper boat", model=V31, **fields)
            assert caught.value.field == field
    warnings = [r.getMessage() for r in caplog.records if r.getMessage().startswith(f"{field}=")]
    assert len(warnings) == 1, [r.getMessage() for r in caplog.records]
    assert "(reported, read " in warnings[0] and "Source: " in warnings[0]
    assert len(_creates(emu)) == 1  # sent: the service decides


def test_the_same_rule_refuses_once_documented() -> None:
    # The grade alone decides: flip a reported rule to documented and it refuses.
    data = _catalog_json()
    vertex = data["families"]["veo-3.1"]["platforms"]["vertex"]
    [rule] = [r for r in vertex["rules"] if r["field"] == "aspect_ratio"]
    request = VideoRequest(prompt="a kite", aspect_ratio="9:16", reference_images=(REF,))
    assert Catalog.from_dict(data).check_request(request, V31, "vertex", today=TODAY)
    rule["evidence"]["grade"] = "documented"
    with pytest.raises(RequestValidationError, match="Source: "):
        Catalog.from_dict(data).check_request(request, V31, "vertex", today=TODAY)


def test_a_rule_without_evidence_does_not_load() -> None:
    data = _catalog_json()
    del data["families"]["veo-3.1"]["evidence"]["durations"]
    with pytest.raises(ValueError, match="evidence missing for \\['durations'\\]"):
        Catalog.from_dict(data)


def test_every_rule_of_every_model_has_a_source_date_and_grade() -> None:
    catalog = load_catalog()
    for info in catalog.models:
        for platform, caps in info.platforms.items():
            assert set(caps.evidence) == set(RULE_KEYS), (info.id, platform)
            for row in explain(caps):
                assert row.evidence.source.strip(), (info.id, platform, row.rule)
                assert row.evidence.grade in ("documented", "reported")
                assert row.evidence.date <= TODAY
    for name, combination in catalog.access.combinations.items():
        assert combination.source and combination.grade == "documented", name


def test_lifecycle_facts_of_issue_15() -> None:
    veo2 = capabilities("veo-2.0-generate-001", "vertex")
    assert veo2 is not None and not veo2.is_live(TODAY)
    assert veo2.lifecycle.successor == V31 and veo2.lifecycle.grade == "documented"
    lite = capabilities("veo-3.1-lite-generate-001", "vertex")
    assert lite is not None and lite.lifecycle.stage == "preview"
    assert lite.inputs.reference_images is None
    assert lite.evidence["inputs.reference_images"].grade == "reported"
    omni = capabilities("gemini-omni-1.1-flash-preview", "vertex")
    assert omni is not None and omni.lifecycle.stage == "preview"
    assert (min(omni.durations), max(omni.durations)) == (3, 10)
    omni12 = capabilities("gemini-omni-1.2-flash", "vertex")
    assert omni12 is not None and max(omni12.durations) == 15 and omni12.inputs.last_frame
    preview = capabilities("gemini-omni-flash-preview", "vertex")
    assert preview is not None and preview.lifecycle.deprecated == datetime.date(2026, 11, 6)
    assert preview.lifecycle.successor == "gemini-omni-1.2-flash"
    vertex = capabilities(V31, "vertex")
    gemini = capabilities("veo-3.1-generate-preview", "gemini")
    assert vertex is not None and gemini is not None
    assert vertex.inputs.video is not None and gemini.inputs.video is not None
    assert (vertex.inputs.video.durations, vertex.inputs.video.max_output_seconds) == ((7,), 37)
    assert (gemini.inputs.video.durations, gemini.inputs.video.max_output_seconds) == ((8,), 148)


def test_reported_extension_duration_warns_on_vertex() -> None:
    request = VideoRequest(prompt="a kite", video=CLIP, duration_seconds=8)
    [warning] = check_request(request, V31, "vertex", today=TODAY)
    assert warning.startswith("duration_seconds=8 is not valid")
    assert "extend-a-veo-video" in warning and "the service decides" in warning


# -- veowrap models --explain -----------------------------------------------------------------


def _cli(*args: str) -> Any:
    from veowrap.cli._app import cli

    return CliRunner().invoke(cli, ["models", *args])


def test_explain_shows_each_rule_with_grade_and_source() -> None:
    result = _cli("--explain", V31)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == f"{V31} on vertex (route: operations)"
    assert "  durations: 4 s, 6 s, 8 s" in lines
    index = lines.index("  durations: 4 s, 6 s, 8 s")
    assert lines[index + 1].startswith("    [documented, read 2026-12-03] https://docs.cloud")
    rule = next(i for i, line in enumerate(lines) if "aspect_ratio must be 16:9" in line)
    assert lines[rule + 1].startswith("    [reported, read ")
    assert lines[rule + 2].startswith("    sources conflict: ")
    assert any(
        line.startswith("  price: 720p/1080p: $0.40/s (not on a Google page)") for line in lines
    )


def test_explain_json_and_platform_filter() -> None:
    result = _cli("--explain", "models/veo-3.1-generate-preview", "--platform", "gemini", "--json")
    assert result.exit_code == 0, result.output
    [entry] = json.loads(result.output)
    assert entry["platform"] == "gemini"
    rules = {row["rule"]: row for row in entry["rules"]}
    assert rules["durations"]["grade"] == "documented"
    assert {"rule", "says", "source", "date", "grade"} <= set(rules["lifecycle"])


def test_explain_unknown_model_suggests_the_closest() -> None:
    result = _cli("--explain", "veo-3.1-generate-01")
    assert result.exit_code == 2
    assert "Did you mean 'veo-3.1-generate-001'" in result.output


def test_generator_warns_did_you_mean_for_an_unknown_model(
    emu: VeoEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    with (
        caplog.at_level(logging.WARNING, logger="veowrap"),
        emu.generator(vertex=True) as generator,
        pytest.raises(veowrap.VeowrapError) as e,
    ):
        generator.submit("a paper boat", model="veo-3.1-generate-01")
    assert any("Did you mean 'veo-3.1-generate-001'" in r.getMessage() for r in caplog.records)
    # The emulator (like Vertex AI) answers 404; the hint names the closest ids too.
    assert e.value.hint is not None and "Did you mean 'veo-3.1-generate-001'" in e.value.hint


def _catalog_json() -> dict[str, Any]:
    from importlib import resources

    text = resources.files("veowrap").joinpath("catalog.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data
