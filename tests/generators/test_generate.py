"""End-to-end generation through both generators, the real SDK and the emulator."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import google.genai
import pytest

import veowrap
from veowrap.testing import VeoEmulator, inspect_mp4

from .conftest import Driver

SDK_MAJOR = int(google.genai.__version__.split(".")[0])


def png(width: int = 4, height: int = 4) -> bytes:
    """A real PNG, encoded with zlib (a solid grey square)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + b"\x80\x80\x80" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def test_text_to_video_on_vertex_inline(vertex: Driver, emu: VeoEmulator, tmp_path: Path) -> None:
    events: list[str] = []
    result = vertex.generate(
        "a paper boat on a rainy street",
        model="veo-3.1-generate-001",
        duration_seconds=8,
        aspect_ratio="16:9",
        on_event=lambda event: events.append(event.kind),
    )
    assert len(result.videos) == 1
    assert result.videos[0].uri is None  # inline bytes
    (path,) = vertex.save(result, tmp_path / "boat.mp4")
    info = inspect_mp4(path)
    assert info.codec == "avc1"
    assert info.width > info.height
    assert events[0] == "submitted" and events[-1] == "completed" and "polled" in events
    assert emu.accepted_submissions == 1
    assert result.handle.platform == "vertex" and result.model == "veo-3.1-generate-001"


def test_vertex_gcs_output_is_streamed_with_the_clients_token(
    vertex: Driver, emu: VeoEmulator, tmp_path: Path
) -> None:
    result = vertex.generate(
        "a lighthouse at dusk",
        model="veo-3.1-fast-generate-001",
        output_gcs_uri="gs://my-bucket/videos/",
        number_of_videos=2,
        aspect_ratio="9:16",
    )
    assert [video.uri.startswith("gs://my-bucket/videos/") for video in result.videos] == [
        True,
        True,
    ]
    paths = vertex.save(result, tmp_path)
    assert len(paths) == 2 and all(inspect_mp4(p).height > inspect_mp4(p).width for p in paths)
    downloads = [r for r in emu.requests if r.endpoint == "gcs_download"]
    assert len(downloads) == 2
    assert all(r.headers.get("Authorization", r.headers.get("authorization")) for r in downloads)


@pytest.mark.skipif(SDK_MAJOR >= 3, reason="google-genai 3.x has no Gemini API generate_videos")
def test_gemini_api_file_uri_is_streamed(gemini: Driver, emu: VeoEmulator, tmp_path: Path) -> None:
    result = gemini.generate("a cat surfing", model="veo-3.0-generate-preview")
    assert result.videos[0].uri and "/files/" in result.videos[0].uri
    (path,) = vertex_save(gemini, result, tmp_path)
    assert inspect_mp4(path).codec == "avc1"
    assert any(r.endpoint == "download" for r in emu.requests)


def vertex_save(driver: Driver, result: veowrap.GenerationResult, where: Path) -> list[Path]:
    return driver.save(result, where)


@pytest.mark.skipif(SDK_MAJOR < 3, reason="only google-genai 3.x refuses Gemini API Veo")
def test_gemini_api_veo_on_sdk3_is_refused_before_any_request(
    gemini: Driver, emu: VeoEmulator
) -> None:
    with pytest.raises(veowrap.UnsupportedCapabilityError, match="Vertex AI"):
        gemini.generate("a cat surfing", model="veo-3.0-generate-preview")
    assert emu.requests == []


def test_image_to_video_and_first_last_frame(
    vertex: Driver, emu: VeoEmulator, tmp_path: Path
) -> None:
    first = tmp_path / "first.png"
    first.write_bytes(png())
    result = vertex.generate(
        "the boat sails away",
        model="veo-3.1-generate-001",
        image=first,
        last_frame=png(6, 6),
        duration_seconds=8,
    )
    assert len(result.videos) == 1
    body = next(r for r in emu.requests if r.endpoint == "create").body
    instance = body["instances"][0]
    assert instance["image"]["mimeType"] == "image/png"
    assert instance["lastFrame"]["bytesBase64Encoded"]


def test_reference_images(vertex: Driver, emu: VeoEmulator) -> None:
    vertex.generate(
        "a robot in my style",
        model="veo-3.1-generate-001",
        reference_images=[png(), veowrap.ReferenceImage(image=png(8, 8))],
        duration_seconds=8,
    )
    instance = next(r for r in emu.requests if r.endpoint == "create").body["instances"][0]
    assert [ref["referenceType"] for ref in instance["referenceImages"]] == ["ASSET", "ASSET"]


def test_video_extension(vertex: Driver, emu: VeoEmulator) -> None:
    first = vertex.generate("a river", model="veo-3.1-generate-001")
    clip = first.videos[0].read_bytes()
    vertex.generate(
        "the river reaches the sea", model="veo-3.1-generate-001", video=clip, duration_seconds=8
    )
    bodies = [r.body for r in emu.requests if r.endpoint == "create"]
    assert bodies[-1]["instances"][0]["video"]
    assert emu.accepted_submissions == 2


def test_submit_then_status_then_wait(vertex: Driver, emu: VeoEmulator) -> None:
    handle = vertex.submit(veowrap.VideoRequest(prompt="a kite", model="veo-3.1-generate-001"))
    assert handle.platform == "vertex" and handle.request_fingerprint
    status = vertex.status(handle.name)
    assert status.name == handle.name
    result = vertex.wait(veowrap.OperationHandle.from_json(handle.to_json()))
    assert len(result.videos) == 1
    assert emu.accepted_submissions == 1


def test_express_mode(emu: VeoEmulator, flavour: str) -> None:
    driver = Driver(flavour, client=emu.client(express=True))
    result = driver.generate("a red balloon", model="veo-3.1-generate-001")
    assert result.handle.platform == "vertex"
    assert result.handle.name.startswith("publishers/google/models/")


def test_partially_filtered_returns_survivors(vertex: Driver, emu: VeoEmulator) -> None:
    from veowrap.testing import Outcome

    emu.script(Outcome.partially_filtered(reasons=["unsafe content"]))
    result = vertex.generate("two cats", model="veo-3.1-generate-001", number_of_videos=2)
    assert len(result.videos) == 1
    assert result.filtered_count == 1 and result.filtered_reasons == ("unsafe content",)
