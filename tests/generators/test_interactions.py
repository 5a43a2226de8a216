"""The Interactions route (Gemini video models) behind the same generators, with cancel."""

from __future__ import annotations

from pathlib import Path

import pytest

import veowrap
from veowrap.testing import Fault, Outcome, VeoEmulator, inspect_mp4

from .conftest import API_KEY, Driver, resume_in_new_process
from .test_generate import png

OMNI = "gemini-omni-1.2-flash"


def interaction_creates(emu: VeoEmulator) -> int:
    return sum(1 for request in emu.requests if request.endpoint == "interaction_create")


def test_text_to_video_inline(gemini: Driver, emu: VeoEmulator, tmp_path: Path) -> None:
    result = gemini.generate("a marble rolling", model=OMNI, aspect_ratio="9:16")
    assert result.handle.route == "interactions" and result.handle.platform == "gemini"
    (path,) = gemini.save(result, tmp_path / "marble.mp4")
    info = inspect_mp4(path)
    assert info.codec == "avc1" and info.height > info.width
    body = next(r for r in emu.requests if r.endpoint == "interaction_create").body
    assert body["background"] is True
    assert body["generation_config"]["video_config"]["task"] == "text_to_video"


def test_default_model_on_the_gemini_api_is_omni(gemini: Driver, emu: VeoEmulator) -> None:
    result = gemini.generate("a marble rolling")
    assert result.model == OMNI


def test_image_to_video(gemini: Driver, emu: VeoEmulator) -> None:
    gemini.generate("animate this", model=OMNI, image=png())
    body = next(r for r in emu.requests if r.endpoint == "interaction_create").body
    assert body["generation_config"]["video_config"]["task"] == "image_to_video"
    content = body["input"][0]["content"]
    assert [block["type"] for block in content] == ["image", "text"]


def test_uri_delivery_for_large_outputs(gemini: Driver, emu: VeoEmulator, tmp_path: Path) -> None:
    emu.set_file_processing_delay(0.1)
    result = gemini.generate("a city at night", model=OMNI, resolution="1080p")
    body = next(r for r in emu.requests if r.endpoint == "interaction_create").body
    assert body["response_format"]["delivery"] == "uri"
    (path,) = gemini.save(result, tmp_path)
    assert inspect_mp4(path).codec == "avc1"
    endpoints = [r.endpoint for r in emu.requests]
    assert "file_get" in endpoints and "download" in endpoints


def test_failed_interaction(gemini: Driver, emu: VeoEmulator) -> None:
    emu.script(Outcome.error(code=3, message="cannot render that"))
    with pytest.raises(veowrap.OperationFailedError, match="cannot render that") as caught:
        gemini.generate("a marble", model=OMNI)
    assert caught.value.handle is not None and caught.value.handle.route == "interactions"


def test_cancel(gemini: Driver, emu: VeoEmulator) -> None:
    emu.set_latency(30)
    handle = gemini.submit("a long film", model=OMNI)
    gemini.cancel(handle)
    assert gemini.status(handle).state == "cancelled"
    with pytest.raises(veowrap.OperationCancelledError):
        gemini.wait(handle)


def test_timeout_with_cancel(gemini: Driver, emu: VeoEmulator) -> None:
    emu.set_latency(30)
    with pytest.raises(veowrap.OperationTimeoutError, match="cancelled") as caught:
        gemini.generate("a long film", model=OMNI, timeout=0.2, cancel_on_timeout=True)
    assert any(r.endpoint == "interaction_cancel" for r in emu.requests)
    assert gemini.status(caught.value.handle).state == "cancelled"


def test_veo_operations_cannot_be_cancelled(vertex: Driver) -> None:
    handle = vertex.submit("a fox", model="veo-3.1-generate-001")
    with pytest.raises(veowrap.UnsupportedCapabilityError, match="cannot be cancelled"):
        vertex.cancel(handle)


def test_429_on_create_is_retried_with_one_accepted_submission(
    gemini: Driver, emu: VeoEmulator
) -> None:
    emu.inject("interaction_create", Fault.http(429, retry_after=0.01))
    assert len(gemini.generate("a marble", model=OMNI).videos) == 1
    assert interaction_creates(emu) == 2  # veowrap's retry only: the SDK's own retries are off
    assert emu.accepted_submissions == 1


def test_503_on_create_is_not_retried_by_the_sdk_too(gemini: Driver, emu: VeoEmulator) -> None:
    emu.inject("interaction_create", Fault.http(503), times=10)
    with pytest.raises(veowrap.ServiceUnavailableError):
        gemini.generate("a marble", model=OMNI)
    assert interaction_creates(emu) == 4  # exactly the fast policy's attempts
    assert emu.accepted_submissions == 0


def test_reset_after_acceptance_is_uncertain(gemini: Driver, emu: VeoEmulator) -> None:
    emu.inject("interaction_create", Fault.reset_after_accept())
    with pytest.raises(veowrap.SubmissionUncertainError):
        gemini.generate("a marble", model=OMNI)
    assert interaction_creates(emu) == 1
    assert emu.accepted_submissions == 1


@pytest.mark.parametrize(
    ("field", "value", "alternative"),
    [
        ("last_frame", png(), "Vertex AI"),
        ("negative_prompt", "blur", "Vertex AI"),
        ("number_of_videos", 2, "Veo model on Vertex AI"),
    ],
)
def test_fields_the_route_cannot_express_are_refused_before_any_call(
    gemini: Driver, emu: VeoEmulator, field: str, value: object, alternative: str
) -> None:
    extra = {"image": png()} if field == "last_frame" else {}
    with pytest.raises(veowrap.RequestValidationError, match=alternative) as caught:
        gemini.generate("a marble", model=OMNI, **{field: value}, **extra)
    assert caught.value.field == field
    assert emu.requests == []


def test_resume_in_a_new_process(gemini: Driver, emu: VeoEmulator, tmp_path: Path) -> None:
    emu.set_latency(0.5)
    handle = gemini.submit("a marble", model=OMNI)
    client = f"""client = genai.Client(api_key={API_KEY!r},
    http_options=types.HttpOptions(base_url={emu.base_url!r}, api_version="v1beta"))"""
    out = resume_in_new_process(client, handle, tmp_path)
    assert inspect_mp4(out).codec == "avc1"
    assert emu.accepted_submissions == 1


def test_gemini_video_models_on_vertex(emu: VeoEmulator, flavour: str, tmp_path: Path) -> None:
    driver = Driver(flavour, client=emu.client(vertex=True, location="global"))
    result = driver.generate("a marble rolling", model=OMNI)
    assert result.handle.platform == "vertex" and result.handle.route == "interactions"
    (path,) = driver.save(result, tmp_path / "marble.mp4")
    assert inspect_mp4(path).codec == "avc1"
    create = next(r for r in emu.requests if r.endpoint == "interaction_create")
    assert create.path.endswith("/projects/test-project/locations/global/interactions")
    driver.loop.close()


def test_gemini_video_models_on_vertex_with_a_gcs_destination(
    emu: VeoEmulator, flavour: str, tmp_path: Path
) -> None:
    driver = Driver(flavour, client=emu.client(vertex=True, location="global"))
    result = driver.generate("a marble rolling", model=OMNI, output_gcs_uri="gs://b/omni/")
    assert result.videos[0].uri is not None and result.videos[0].uri.startswith("gs://b/omni/")
    (path,) = driver.save(result, tmp_path)
    assert inspect_mp4(path).codec == "avc1"
    driver.loop.close()
