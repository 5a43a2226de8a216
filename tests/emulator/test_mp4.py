"""`inspect_mp4` and the committed assets."""

from __future__ import annotations

import importlib.resources
import shutil
import subprocess
from pathlib import Path

import pytest

from veowrap.testing import inspect_mp4
from veowrap.testing._assets import VideoSpec, spec_for_megabytes

ASSETS = importlib.resources.files("veowrap.testing") / "assets"


@pytest.mark.parametrize("duration", [4, 5, 6, 7, 8])
@pytest.mark.parametrize(("shape", "size"), [("16x9", (320, 180)), ("9x16", (180, 320))])
def test_assets_are_h264_with_expected_shape(
    shape: str, size: tuple[int, int], duration: int
) -> None:
    info = inspect_mp4((ASSETS / f"veo_{shape}_{duration}s.mp4").read_bytes())
    assert (info.width, info.height) == size
    assert info.duration_s == pytest.approx(duration, abs=0.2)
    assert info.codec == "avc1"


def test_assets_stay_small() -> None:
    total = sum(p.stat().st_size for p in Path(str(ASSETS)).glob("*.mp4"))
    assert total < 400 * 1024


def test_inspect_accepts_a_path(tmp_path: Path) -> None:
    path = tmp_path / "v.mp4"
    path.write_bytes(VideoSpec("16:9", 8).read_all())
    assert inspect_mp4(path).codec == "avc1"
    assert inspect_mp4(str(path)).width == 320


@pytest.mark.parametrize(
    "data",
    [b"", b"not a video at all", b"\x00\x00\x00\x08free", VideoSpec("16:9", 4).read_all()[:5000]],
)
def test_inspect_rejects_invalid_data(data: bytes) -> None:
    with pytest.raises(ValueError):
        inspect_mp4(data)


def test_padded_video_is_valid_and_exact_size(tmp_path: Path) -> None:
    spec = spec_for_megabytes("9:16", 6, 3)
    path = tmp_path / "large.mp4"
    with path.open("wb") as out:
        for chunk in spec.chunks():
            assert len(chunk) <= 64 * 1024
            out.write(chunk)
    assert path.stat().st_size == 3 * 1024 * 1024 == spec.size
    info = inspect_mp4(path)
    assert (info.width, info.height, info.codec) == (180, 320, "avc1")


def test_base64_stream_matches_standard_encoding() -> None:
    import base64

    spec = spec_for_megabytes("16:9", 4, 1)
    streamed = b"".join(spec.base64_chunks())
    assert len(streamed) == spec.base64_size()
    assert streamed == base64.b64encode(spec.read_all())


@pytest.mark.skipif(shutil.which("ffprobe") is None, reason="ffprobe not installed")
def test_ffprobe_agrees(tmp_path: Path) -> None:
    path = tmp_path / "large.mp4"
    path.write_bytes(spec_for_megabytes("16:9", 8, 1).read_all())
    out = subprocess.run(
        [
            "ffprobe",
            "-v",
            "error",
            "-select_streams",
            "v:0",
            "-show_entries",
            "stream=codec_name,width,height",
            "-of",
            "csv=p=0",
            str(path),
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    assert out == "h264,320,180"
