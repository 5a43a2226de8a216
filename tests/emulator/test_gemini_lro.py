"""Gemini API long-running operations (Veo) through the real SDK."""

from __future__ import annotations

import json
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from google import genai
from google.genai import errors, types

from veowrap.testing import Outcome, VeoEmulator, inspect_mp4

from ._support import sdk_major, wait_done

MODEL = "veo-3.0-generate-preview"


def _raw_create(emu: VeoEmulator, body: dict[str, Any], model: str = MODEL) -> str:
    """Creates an operation over plain HTTP (google-genai 3.x refuses to)."""
    request = urllib.request.Request(
        f"{emu.base_url}/v1beta/models/{model}:predictLongRunning",
        data=json.dumps(body).encode(),
        headers={"x-goog-api-key": emu.api_key, "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request) as response:
        name: str = json.load(response)["name"]
    return name


@pytest.mark.filterwarnings("ignore:The generate_videos method:DeprecationWarning")
def test_seed_program_with_env_only(
    emu: VeoEmulator, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for key, value in emu.env().items():
        monkeypatch.setenv(key, value)
    client = genai.Client()
    if sdk_major() >= 3:
        with pytest.raises(ValueError):
            client.models.generate_videos(model=MODEL, prompt="a cat surfing")
        assert emu.requests == []
        return
    operation = client.models.generate_videos(model=MODEL, prompt="a cat surfing")
    while not operation.done:
        time.sleep(0.05)
        operation = client.operations.get(operation)
    client.files.download(file=operation.response.generated_videos[0].video)
    operation.response.generated_videos[0].video.save(str(tmp_path / "out.mp4"))
    info = inspect_mp4(tmp_path / "out.mp4")
    assert (info.width, info.height, info.codec) == (320, 180, "avc1")
    assert emu.requests[0].endpoint == "create"
    assert emu.requests[0].body == {"instances": [{"prompt": "a cat surfing"}]}
    assert emu.requests[-1].endpoint == "download"
    assert emu.accepted_submissions == 1


@pytest.mark.parametrize("api_version", ["v1beta", "v1"])
def test_poll_and_download_on_any_sdk(emu: VeoEmulator, api_version: str) -> None:
    name = _raw_create(emu, {"instances": [{"prompt": "p"}], "parameters": {"aspectRatio": "9:16"}})
    assert name.startswith(f"models/{MODEL}/operations/")
    client = emu.client(api_version=api_version)
    op = wait_done(client, types.GenerateVideosOperation(name=name))
    video = op.response.generated_videos[0].video
    assert video.uri.startswith("https://generativelanguage.googleapis.com/v1beta/files/")
    data = client.files.download(file=video)
    assert inspect_mp4(data).height == 320
    file_id = video.uri.split("/files/")[1].split(":")[0]
    assert emu.requests[-1].path == f"/{api_version}/files/{file_id}:download"


def test_pending_operation_has_no_done(emu: VeoEmulator) -> None:
    emu.set_latency(5)
    name = _raw_create(emu, {"instances": [{"prompt": "p"}]})
    client = emu.client()  # keep a reference: the SDK closes a collected client's pool
    op = client.operations.get(types.GenerateVideosOperation(name=name))
    assert not op.done
    assert emu.operations == [name]


def test_operation_error_and_filtered(emu: VeoEmulator) -> None:
    client = emu.client()
    emu.script(Outcome.error(code=13, message="boom"))
    failed = wait_done(
        client,
        types.GenerateVideosOperation(name=_raw_create(emu, {"instances": [{"prompt": "p"}]})),
    )
    assert failed.error == {"code": 13, "message": "boom"}
    assert failed.response is None
    emu.script(Outcome.filtered(reasons=["nope"]))
    op = wait_done(
        client,
        types.GenerateVideosOperation(name=_raw_create(emu, {"instances": [{"prompt": "p"}]})),
    )
    assert op.response.generated_videos is None
    assert op.response.rai_media_filtered_count == 1
    assert op.response.rai_media_filtered_reasons == ["nope"]


def test_expired_operation_is_404(emu: VeoEmulator) -> None:
    client = emu.client()
    name = _raw_create(emu, {"instances": [{"prompt": "p"}]})
    emu.expire(name)
    with pytest.raises(errors.ClientError) as info:
        client.operations.get(types.GenerateVideosOperation(name=name))
    assert info.value.code == 404
    assert info.value.status == "NOT_FOUND"


def test_expire_after_done(emu: VeoEmulator) -> None:
    client = emu.client()
    emu.script(Outcome.expire_after_done())
    op = wait_done(
        client,
        types.GenerateVideosOperation(name=_raw_create(emu, {"instances": [{"prompt": "p"}]})),
    )
    assert op.response.generated_videos
    with pytest.raises(errors.ClientError) as info:
        client.operations.get(op)
    assert info.value.code == 404


def test_large_outcome_downloads_a_valid_file(emu: VeoEmulator, tmp_path: Path) -> None:
    client = emu.client()
    emu.script(Outcome.large(megabytes=2))
    op = wait_done(
        client,
        types.GenerateVideosOperation(name=_raw_create(emu, {"instances": [{"prompt": "p"}]})),
    )
    data = client.files.download(file=op.response.generated_videos[0].video)
    assert len(data) == 2 * 1024 * 1024
    assert inspect_mp4(data).codec == "avc1"


def test_file_metadata(emu: VeoEmulator) -> None:
    client = emu.client()
    op = wait_done(
        client,
        types.GenerateVideosOperation(name=_raw_create(emu, {"instances": [{"prompt": "p"}]})),
    )
    file_id = op.response.generated_videos[0].video.uri.split("/files/")[1].split(":")[0]
    meta = client.files.get(name=f"files/{file_id}")
    assert meta.state == types.FileState.ACTIVE
    assert meta.mime_type == "video/mp4"
    assert meta.size_bytes and meta.size_bytes > 1000


@pytest.mark.skipif(sdk_major() >= 3, reason="google-genai 3.x cannot create on the Gemini API")
def test_sdk2_full_config_is_validated(emu: VeoEmulator) -> None:
    client = emu.client()
    with pytest.raises(errors.ClientError) as info:
        client.models.generate_videos(
            model=MODEL,
            source=types.GenerateVideosSource(prompt="p"),
            config=types.GenerateVideosConfig(duration_seconds=5),
        )
    assert info.value.code == 400
    assert "durationSeconds" in info.value.message
    assert emu.accepted_submissions == 0


@pytest.mark.skipif(sdk_major() >= 3, reason="google-genai 3.x cannot create on the Gemini API")
async def test_sdk2_async_seed(emu: VeoEmulator) -> None:
    import asyncio

    client = emu.client()
    op = await client.aio.models.generate_videos(
        model="veo-3.1-generate-preview", source={"prompt": "p"}
    )
    while not op.done:
        await asyncio.sleep(0.02)
        op = await client.aio.operations.get(op)
    data = await client.aio.files.download(file=op.response.generated_videos[0].video)
    assert inspect_mp4(data).codec == "avc1"
