"""Interactions API (Gemini Omni video) through the real SDK, sync and async."""

from __future__ import annotations

import asyncio
import base64
import time
from typing import Any

import pytest
from google.genai import types

from veowrap.testing import Outcome, VeoEmulator, inspect_mp4

MODEL = "gemini-omni-1.2-flash"
NO_RETRY = types.HttpRetryOptions(attempts=1)


def _status_code(error: BaseException) -> int | None:
    """HTTP status of an interactions error (its class differs between SDK majors)."""
    for attribute in ("status_code", "code"):
        value = getattr(error, attribute, None)
        if isinstance(value, int):
            return value
    return None


def _file_id(uri: str) -> str:
    return uri.split("/files/")[1].split(":")[0]


def test_blocking_inline(emu: VeoEmulator) -> None:
    client = emu.client()
    it = client.interactions.create(
        model=MODEL,
        input="a marble rolling",
        response_format={"type": "video", "aspect_ratio": "9:16", "duration": "6s"},
    )
    assert it.status == "completed"
    assert it.output_video is not None
    assert it.output_video.mime_type == "video/mp4"
    info = inspect_mp4(base64.b64decode(it.output_video.data))
    assert (info.width, info.height) == (180, 320)
    assert info.duration_s == pytest.approx(6)
    assert emu.accepted_submissions == 1
    assert emu.operations == [it.id]


def test_background_then_poll(emu: VeoEmulator) -> None:
    client = emu.client()
    it = client.interactions.create(model=MODEL, input="p", background=True)
    assert it.status == "in_progress"
    assert it.output_video is None
    while it.status == "in_progress":
        time.sleep(0.02)
        it = client.interactions.get(it.id)
    assert it.status == "completed"
    assert inspect_mp4(base64.b64decode(it.output_video.data)).codec == "avc1"
    assert {r.endpoint for r in emu.requests} == {"interaction_create", "interaction_get"}


def test_uri_delivery_and_file_download(emu: VeoEmulator, tmp_path: Any) -> None:
    client = emu.client()
    emu.set_file_processing_delay(0.2)
    it = client.interactions.create(
        model=MODEL, input="p", response_format={"type": "video", "delivery": "uri"}
    )
    uri = it.output_video.uri
    assert uri.startswith("https://generativelanguage.googleapis.com/v1beta/files/")
    name = f"files/{_file_id(uri)}"
    assert client.files.get(name=name).state == types.FileState.PROCESSING
    deadline = time.monotonic() + 5
    while client.files.get(name=name).state != types.FileState.ACTIVE:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    data = client.files.download(file=uri)
    assert inspect_mp4(data).codec == "avc1"


def test_cancel_and_delete(emu: VeoEmulator) -> None:
    client = emu.client()
    emu.set_latency(30)
    it = client.interactions.create(model=MODEL, input="p", background=True)
    cancelled = client.interactions.cancel(it.id)
    assert cancelled.status == "cancelled"
    assert client.interactions.get(it.id).status == "cancelled"
    client.interactions.delete(it.id)
    with pytest.raises(Exception) as info:
        client.interactions.get(it.id)
    assert _status_code(info.value) == 404


def test_failed_interaction(emu: VeoEmulator) -> None:
    client = emu.client()
    emu.script(Outcome.error(code=8, message="quota"))
    it = client.interactions.create(model=MODEL, input="p")
    assert it.status == "failed"
    assert it.errors[0].code == "RESOURCE_EXHAUSTED"
    assert it.errors[0].message == "quota"
    assert it.output_video is None


def test_unknown_model_is_404(emu: VeoEmulator) -> None:
    client = emu.client(retry_options=NO_RETRY)
    with pytest.raises(Exception) as info:
        client.interactions.create(model="gemini-omni-0-flash", input="p")
    assert _status_code(info.value) == 404
    assert emu.accepted_submissions == 0


def test_default_api_version_path(emu: VeoEmulator) -> None:
    """google-genai 3.x sends /v1/interactions by default, 2.x /v1beta/."""
    from google import genai

    client = genai.Client(api_key=emu.api_key, http_options={"base_url": emu.base_url})
    it = client.interactions.create(model=MODEL, input="p")
    assert it.status == "completed"
    assert emu.requests[0].path in ("/v1/interactions", "/v1beta/interactions")


def test_vertex_interactions(emu: VeoEmulator) -> None:
    client = emu.client(vertex=True, location="global")
    it = client.interactions.create(
        model=MODEL,
        input="p",
        response_format={"type": "video", "delivery": "uri", "gcs_uri": "gs://b/omni"},
    )
    assert it.output_video.uri == f"gs://b/omni/{it.id}/sample_0.mp4"
    assert it.output_video.uri in emu.gcs_objects
    assert emu.requests[0].path.endswith("/projects/test-project/locations/global/interactions")
    assert emu.requests[0].headers["authorization"] == "***"


async def test_async_background_and_cancel(emu: VeoEmulator) -> None:
    client = emu.client()
    it = await client.aio.interactions.create(model=MODEL, input="p", background=True)
    while it.status == "in_progress":
        await asyncio.sleep(0.02)
        it = await client.aio.interactions.get(it.id)
    assert it.status == "completed"
    assert inspect_mp4(base64.b64decode(it.output_video.data)).codec == "avc1"
    emu.set_latency(30)
    other = await client.aio.interactions.create(model=MODEL, input="p", background=True)
    assert (await client.aio.interactions.cancel(other.id)).status == "cancelled"
