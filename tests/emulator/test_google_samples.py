"""Google's own Veo and Omni sample notebooks, run against the emulator.

The snippets in ``samples/`` are cells of Google's notebooks, copied verbatim with their source
and licence (see ``samples/README.md``, which also lists the cells not run and why). Only what a
reader would change is swapped: the Client gets the emulator's credentials and base URL, the
notebook's ``time.sleep`` waits at most 20 ms, and display helpers record the video instead of
showing it. A sample the emulator refuses is a finding: either the emulator is stricter than
Google, or the sample is wrong.
"""

from __future__ import annotations

import base64
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import google.oauth2.credentials
import pytest
from google import genai
from google.genai import errors, interactions, types

from veowrap.testing import VeoEmulator

from ._support import sdk_major

SAMPLES = Path(__file__).parent / "samples"
_REAL_SLEEP = time.sleep
# The smallest valid PNG (1x1) and JPEG headers: the notebooks' wget cells fetch real images
# from Google's bucket; these stand in under the same file names.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)
JPEG = bytes.fromhex("ffd8ffe000104a46494600010100000100010000ffd9")
IMAGE_FILES = {
    "flowers.png": PNG,
    "cookies.png": PNG,
    "cookies-milk.png": PNG,
    "man-in-field.png": PNG,
    "woman.jpeg": JPEG,
    "room.png": PNG,
    "suitcase.png": PNG,
    "arcade-game.png": PNG,
}

# snippet: videos it shows (checked as MP4 bytes or as objects the emulator stored)
EXPECTED_VIDEOS = {
    "vertex_veo31_text_1080p_6s": 1,
    "vertex_veo31_fast_text_9x16_gcs": 1,
    "vertex_veo31_lite_text_720p": 1,
    "vertex_veo31_image_1080p_6s": 1,
    "vertex_veo31_first_last_frame_9x16": 1,
    "vertex_veo31_first_last_frame_gcs_6s": 1,
    "vertex_veo31_extension_7s": 1,
    "vertex_veo31_references_two_assets": 1,
    "vertex_veo31_reference_9x16": 1,
    "vertex_veo31_references_gcs_three": 1,
    "vertex_omni_text": 1,
    "vertex_omni_image": 1,
    "vertex_omni_references": 1,
    "vertex_omni_background_poll": 1,
    "vertex_omni_edit_gcs": 1,
    "vertex_omni_multi_turn": 2,
    "gemini_omni_text": 1,
    "gemini_omni_portrait_and_1080p_uri": 1,
    "gemini_veo_text": 1,
}
# Samples whose default model Google has since shut down: the emulator must refuse them as
# Google does (the Gemini API's veo-3.1-*-preview ids, shut down 2026-10-22), with this text.
RETIRED_BY_GOOGLE = {"gemini_veo_text": "veo-3.1-lite-generate-preview is no longer available"}
# Samples written for an SDK major other than the installed one.
NEEDS_SDK_2 = {
    "gemini_veo_text": "google-genai 3.x refuses generate_videos on the Gemini API (Vertex AI "
    "only since 3.0); this cookbook sample runs on google-genai 2.x",
}


def _is_mp4(data: bytes) -> bool:
    return len(data) > 8 and data[4:8] == b"ftyp"


class Shown:
    """Stands in for the notebooks' display helpers and keeps what they were given."""

    def __init__(self, emu: VeoEmulator) -> None:
        self.emu = emu
        self.videos: list[bytes | str] = []

    def show_video(self, video: Any, *_: Any, **__: Any) -> None:
        if isinstance(video, str) and video.startswith("gs://"):
            assert video in self.emu.gcs_objects, video
            self.videos.append(video)
            return
        data = base64.b64decode(video) if isinstance(video, str) else video
        assert _is_mp4(data), "not an MP4"
        self.videos.append(data)

    def video(self, data: Any = None, **_: Any) -> Any:
        return ("video", data)

    def display(self, *objects: Any, **_: Any) -> None:
        for shown in objects:
            if isinstance(shown, tuple) and shown[0] == "video":
                self.show_video(shown[1])


class _Genai:
    """``google.genai`` whose Client talks to the emulator (the one thing a reader edits)."""

    def __init__(self, emu: VeoEmulator) -> None:
        self.emu = emu
        self.clients: list[genai.Client] = []  # the SDK closes a collected client's pool

    def Client(self, **settings: Any) -> genai.Client:  # named like genai.Client
        if settings.get("vertexai") or settings.get("enterprise"):
            token = self.emu.token
            settings["credentials"] = google.oauth2.credentials.Credentials(token=token)  # type: ignore[no-untyped-call]
        settings["http_options"] = types.HttpOptions(base_url=self.emu.base_url)
        client = genai.Client(**settings)
        self.clients.append(client)
        return client


@pytest.fixture
def emu() -> Iterator[VeoEmulator]:
    with VeoEmulator(latency=0.05) as emulator:
        yield emulator


def _run(name: str, emu: VeoEmulator, where: Path, monkeypatch: pytest.MonkeyPatch) -> Shown:
    for file_name, data in IMAGE_FILES.items():
        (where / file_name).write_bytes(data)
    monkeypatch.chdir(where)
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "sample-project")
    monkeypatch.delenv("GOOGLE_CLOUD_REGION", raising=False)
    # Notebooks sleep 5-20 s between polls (and may `import time` themselves).
    monkeypatch.setattr(time, "sleep", lambda seconds: _REAL_SLEEP(min(seconds, 0.02)))
    shown = Shown(emu)
    namespace: dict[str, Any] = {
        "__name__": f"sample_{name}",
        "genai": _Genai(emu),
        "types": types,
        "interactions": interactions,
        "time": time,
        "os": os,
        "base64": base64,
        "show_video": shown.show_video,
        "display": shown.display,
        "Video": shown.video,
        "GEMINI_API_KEY": emu.api_key,
        "I_am_aware_that_veo_is_a_paid_feature": True,
    }
    code = compile((SAMPLES / f"{name}.py").read_text(encoding="utf-8"), name, "exec")
    exec(code, namespace)
    return shown


def test_every_sample_is_listed_with_its_source_and_licence() -> None:
    files = {path.stem for path in SAMPLES.glob("*.py")}
    assert files == set(EXPECTED_VIDEOS)
    readme = (SAMPLES / "README.md").read_text(encoding="utf-8")
    assert "Apache License, Version 2.0" in readme
    for name in files:
        text = (SAMPLES / f"{name}.py").read_text(encoding="utf-8")
        assert text.startswith("# Source: https://github.com/"), name
        assert "Apache License, Version 2.0" in text, name
        assert name in readme, name


@pytest.mark.parametrize("name", sorted(EXPECTED_VIDEOS))
def test_google_sample_runs_against_the_emulator(
    name: str, emu: VeoEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if name in NEEDS_SDK_2 and sdk_major() >= 3:
        pytest.skip(NEEDS_SDK_2[name])
    if name in RETIRED_BY_GOOGLE:
        # Google answers this sample's default model with 404 today; so must the emulator.
        with pytest.raises(errors.ClientError) as caught:
            _run(name, emu, tmp_path, monkeypatch)
        assert caught.value.code == 404
        assert RETIRED_BY_GOOGLE[name] in str(caught.value.message)
        return
    shown = _run(name, emu, tmp_path, monkeypatch)
    assert len(shown.videos) == EXPECTED_VIDEOS[name]
    assert emu.accepted_submissions >= EXPECTED_VIDEOS[name]


def test_what_the_vertex_samples_send_reaches_the_emulator_as_sent(
    emu: VeoEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The false refusals of issue 15, as Google's notebooks send them.
    for name in (
        "vertex_veo31_text_1080p_6s",
        "vertex_veo31_first_last_frame_gcs_6s",
        "vertex_veo31_extension_7s",
        "vertex_veo31_reference_9x16",
    ):
        _run(name, emu, tmp_path, monkeypatch)
    sent = [r.body["parameters"] for r in emu.requests if r.endpoint == "create"]
    assert {"durationSeconds": 6, "resolution": "1080p"}.items() <= sent[0].items()
    assert sent[1]["durationSeconds"] == 6 and sent[1]["resolution"] == "1080p"
    assert sent[2]["durationSeconds"] == 7
    assert sent[3]["aspectRatio"] == "9:16"
