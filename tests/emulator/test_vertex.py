"""Vertex AI (and express mode) Veo flows, storage output and server-side validation."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request

import pytest
from google.genai import errors, types

from veowrap.testing import Outcome, VeoEmulator, inspect_mp4

from ._support import wait_done

MODEL = "veo-3.1-generate-001"


def _source() -> types.GenerateVideosSource:
    return types.GenerateVideosSource(prompt="a cat surfing")


def test_inline_bytes(emu: VeoEmulator) -> None:
    client = emu.client(vertex=True)
    config = types.GenerateVideosConfig(duration_seconds=6, aspect_ratio="9:16", number_of_videos=2)
    op = client.models.generate_videos(model=MODEL, source=_source(), config=config)
    assert op.name.startswith(
        f"projects/test-project/locations/us-central1/publishers/google/models/{MODEL}/operations/"
    )
    op = wait_done(client, op)
    assert op.response.rai_media_filtered_count == 0
    assert len(op.response.generated_videos) == 2
    info = inspect_mp4(op.response.generated_videos[0].video.video_bytes)
    assert (info.width, info.height) == (180, 320)
    assert info.duration_s == pytest.approx(6)
    assert emu.requests[0].body["parameters"]["sampleCount"] == 2
    assert {r.endpoint for r in emu.requests} == {"create", "poll"}


def test_storage_uri_output_is_downloadable(emu: VeoEmulator) -> None:
    client = emu.client(vertex=True)
    config = types.GenerateVideosConfig(output_gcs_uri="gs://my-bucket/out/")
    op = wait_done(
        client, client.models.generate_videos(model=MODEL, source=_source(), config=config)
    )
    uri = op.response.generated_videos[0].video.uri
    op_id = op.name.rsplit("/", 1)[1]
    assert uri == f"gs://my-bucket/out/{op_id}/sample_0.mp4"
    assert emu.gcs_objects[uri] > 1000
    obj = urllib.parse.quote(uri.removeprefix("gs://my-bucket/"), safe="")
    url = f"{emu.base_url}/storage/v1/b/my-bucket/o/{obj}?alt=media"
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {emu.token}"})
    with urllib.request.urlopen(request) as response:
        assert response.headers["Content-Type"] == "video/mp4"
        assert inspect_mp4(response.read()).codec == "avc1"
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(urllib.request.Request(url))
    assert info.value.code == 401
    missing = urllib.request.Request(
        f"{emu.base_url}/storage/v1/b/my-bucket/o/nope.mp4?alt=media",
        headers={"Authorization": f"Bearer {emu.token}"},
    )
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(missing)
    assert info.value.code == 404


def test_express_mode(emu: VeoEmulator) -> None:
    client = emu.client(express=True)
    op = wait_done(client, client.models.generate_videos(model=MODEL, source=_source()))
    assert op.name.startswith(f"publishers/google/models/{MODEL}/operations/")
    assert inspect_mp4(op.response.generated_videos[0].video.video_bytes).codec == "avc1"
    assert emu.requests[0].path == f"/v1beta1/publishers/google/models/{MODEL}:predictLongRunning"
    assert emu.requests[0].headers["x-goog-api-key"] == "***"


def test_express_mode_from_env(emu: VeoEmulator, monkeypatch: pytest.MonkeyPatch) -> None:
    from google import genai

    monkeypatch.delenv("GOOGLE_CLOUD_PROJECT", raising=False)
    monkeypatch.delenv("GOOGLE_CLOUD_LOCATION", raising=False)
    for key, value in emu.env(vertex=True).items():
        monkeypatch.setenv(key, value)
    client = genai.Client()
    op = wait_done(client, client.models.generate_videos(model=MODEL, source=_source()))
    assert op.response.generated_videos[0].video.video_bytes


async def test_async_vertex(emu: VeoEmulator) -> None:
    import asyncio

    client = emu.client(vertex=True)
    op = await client.aio.models.generate_videos(model="veo-2.0-generate-001", source=_source())
    while not op.done:
        await asyncio.sleep(0.02)
        op = await client.aio.operations.get(op)
    assert inspect_mp4(op.response.generated_videos[0].video.video_bytes).codec == "avc1"


def test_partially_filtered(emu: VeoEmulator) -> None:
    client = emu.client(vertex=True)
    emu.script(Outcome.partially_filtered(reasons=["r"]))
    config = types.GenerateVideosConfig(number_of_videos=3)
    op = wait_done(
        client, client.models.generate_videos(model=MODEL, source=_source(), config=config)
    )
    assert len(op.response.generated_videos) == 2
    assert op.response.rai_media_filtered_count == 1
    assert op.response.rai_media_filtered_reasons == ["r"]


def test_scripts_are_per_model_and_counted(emu: VeoEmulator) -> None:
    client = emu.client(vertex=True)
    emu.script(Outcome.error(), model="veo-2.0-generate-001", times=2)
    ok = wait_done(client, client.models.generate_videos(model=MODEL, source=_source()))
    assert ok.error is None
    for _ in range(2):
        bad = wait_done(
            client, client.models.generate_videos(model="veo-2.0-generate-001", source=_source())
        )
        assert bad.error == {"code": 3, "message": "Video generation failed."}
    again = wait_done(
        client, client.models.generate_videos(model="veo-2.0-generate-001", source=_source())
    )
    assert again.error is None


def test_large_inline_is_streamed_base64(emu: VeoEmulator) -> None:
    client = emu.client(vertex=True)
    emu.script(Outcome.large(megabytes=2))
    op = wait_done(client, client.models.generate_videos(model=MODEL, source=_source()))
    data = op.response.generated_videos[0].video.video_bytes
    assert len(data) == 2 * 1024 * 1024
    assert inspect_mp4(data).codec == "avc1"


def test_per_model_latency(emu: VeoEmulator) -> None:
    client = emu.client(vertex=True)
    emu.set_latency(30, model="veo-2.0-generate-001")
    slow = client.models.generate_videos(model="veo-2.0-generate-001", source=_source())
    fast = wait_done(client, client.models.generate_videos(model=MODEL, source=_source()))
    assert fast.done
    assert not client.operations.get(slow).done


@pytest.mark.parametrize(
    ("model", "config", "field"),
    [
        (MODEL, {"duration_seconds": 5}, "durationSeconds"),
        (MODEL, {"aspect_ratio": "1:1"}, "aspectRatio"),
        (MODEL, {"resolution": "4k", "duration_seconds": 6}, "resolution"),
        (MODEL, {"number_of_videos": 5}, "sampleCount"),
        ("veo-2.0-generate-001", {"duration_seconds": 4}, "durationSeconds"),
        ("veo-2.0-generate-001", {"resolution": "1080p"}, "resolution"),
        (
            MODEL,
            {
                "duration_seconds": 6,
                "reference_images": [
                    {"image": {"image_bytes": b"\x89PNG", "mime_type": "image/png"}}
                ],
            },
            "durationSeconds",
        ),
    ],
)
def test_validation_names_the_field(
    emu: VeoEmulator, model: str, config: dict[str, object], field: str
) -> None:
    client = emu.client(vertex=True)
    with pytest.raises(errors.ClientError) as info:
        client.models.generate_videos(model=model, source=_source(), config=config)
    assert info.value.code == 400
    assert info.value.status == "INVALID_ARGUMENT"
    assert field in info.value.message
    assert emu.accepted_submissions == 0


def test_extension_video_needs_a_model_that_supports_it(emu: VeoEmulator) -> None:
    client = emu.client(vertex=True)
    source = types.GenerateVideosSource(
        prompt="more", video=types.Video(uri="gs://b/in.mp4", mime_type="video/mp4")
    )
    with pytest.raises(errors.ClientError) as info:
        client.models.generate_videos(model="veo-2.0-generate-001", source=source)
    assert "video" in info.value.message
    op = client.models.generate_videos(model=MODEL, source=source, config={"duration_seconds": 8})
    assert wait_done(client, op).response.generated_videos


@pytest.mark.parametrize(
    ("model", "text"),
    [("veo-9.9-imaginary", "not found"), ("veo-3.0-generate-001", "no longer available")],
)
def test_unknown_and_retired_models_are_404(emu: VeoEmulator, model: str, text: str) -> None:
    client = emu.client(vertex=True)
    with pytest.raises(errors.ClientError) as info:
        client.models.generate_videos(model=model, source=_source())
    assert info.value.code == 404
    assert info.value.status == "NOT_FOUND"
    assert text in info.value.message


def test_gemini_api_retired_and_unknown_models(emu: VeoEmulator) -> None:
    for model, text in [
        ("veo-3.1-fast-generate-preview", "no longer available"),
        ("veo-2.0-generate-001", "no longer available"),
        ("nope", "is not found for API version v1beta"),
    ]:
        request = urllib.request.Request(
            f"{emu.base_url}/v1beta/models/{model}:predictLongRunning",
            data=json.dumps({"instances": [{"prompt": "p"}]}).encode(),
            headers={"x-goog-api-key": emu.api_key},
        )
        with pytest.raises(urllib.error.HTTPError) as info:
            urllib.request.urlopen(request)
        assert info.value.code == 404
        assert text in json.load(info.value)["error"]["message"]
