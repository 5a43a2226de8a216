"""Authentication, the request log, the legacy generateContent route and the CLI."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import urllib.error
import urllib.request
import warnings
from typing import Any

import pytest
from google import genai
from google.genai import errors, types

from veowrap.testing import Fault, VeoEmulator

from ._support import wait_done

MODEL = "veo-3.1-generate-001"
SOURCE = types.GenerateVideosSource(prompt="p")


def _post(url: str, body: Any, headers: dict[str, str]) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), headers=headers)
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def test_gemini_api_key_missing_and_wrong(emu: VeoEmulator) -> None:
    url = f"{emu.base_url}/v1beta/models/veo-3.1-generate-preview:predictLongRunning"
    body = {"instances": [{"prompt": "p"}]}
    status, payload = _post(url, body, {})
    assert (status, payload["error"]["status"]) == (403, "PERMISSION_DENIED")
    assert "unregistered callers" in payload["error"]["message"]
    status, payload = _post(url, body, {"x-goog-api-key": "wrong"})
    assert (status, payload["error"]["status"]) == (400, "INVALID_ARGUMENT")
    assert payload["error"]["message"] == "API key not valid. Please pass a valid API key."
    status, _ = _post(url + "?key=test-key", body, {})
    assert status == 200
    assert emu.requests[-1].query == {"key": "***"}
    assert emu.accepted_submissions == 1


def test_sdk_sees_wrong_key(emu: VeoEmulator) -> None:
    client = genai.Client(
        vertexai=True, api_key="wrong", http_options=types.HttpOptions(base_url=emu.base_url)
    )
    with pytest.raises(errors.ClientError) as info:
        client.models.generate_videos(model=MODEL, source=SOURCE)
    assert (info.value.code, info.value.status) == (400, "INVALID_ARGUMENT")


def test_vertex_wrong_token(emu: VeoEmulator) -> None:
    import google.oauth2.credentials

    client = genai.Client(
        vertexai=True,
        project="p",
        location="us-central1",
        credentials=google.oauth2.credentials.Credentials(token="stale"),
        http_options=types.HttpOptions(base_url=emu.base_url),
    )
    with pytest.raises(errors.ClientError) as info:
        client.models.generate_videos(model=MODEL, source=SOURCE)
    assert (info.value.code, info.value.status) == (401, "UNAUTHENTICATED")
    assert emu.accepted_submissions == 0


def test_unknown_route_is_google_404(emu: VeoEmulator) -> None:
    status, payload = _post(f"{emu.base_url}/v1beta/nothing/here", {}, {})
    assert (status, payload["error"]["status"]) == (404, "NOT_FOUND")
    assert emu.requests[-1].endpoint == "unknown"


def test_log_masks_secrets_and_records_bodies(emu: VeoEmulator) -> None:
    client = emu.client(vertex=True)
    op = wait_done(client, client.models.generate_videos(model=MODEL, source=SOURCE))
    first = emu.requests[0]
    assert first.method == "POST"
    assert first.headers["authorization"] == "***"
    assert first.body["instances"] == [{"prompt": "p"}]
    assert emu.requests[1].body == {"operationName": op.name}
    assert "test-token" not in repr(emu.requests)
    with pytest.raises(AttributeError):
        first.method = "GET"  # type: ignore[misc]


def test_accepted_submissions_under_faults(emu: VeoEmulator) -> None:
    client = emu.client(vertex=True)
    for fault in (Fault.reset_before_accept(), Fault.http(429), Fault.reset_after_accept()):
        emu.inject("create", fault)
        with pytest.raises(Exception):  # noqa: B017 - each fault raises a different class
            client.models.generate_videos(model=MODEL, source=SOURCE)
    assert emu.accepted_submissions == 1
    assert len(emu.operations) == 1


def test_concurrent_creates_are_all_counted(emu: VeoEmulator) -> None:
    client = emu.client(vertex=True)
    names: list[str] = []
    lock = threading.Lock()

    def create() -> None:
        op = client.models.generate_videos(model=MODEL, source=SOURCE)
        with lock:
            names.append(op.name)

    threads = [threading.Thread(target=create) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert emu.accepted_submissions == 8
    assert sorted(emu.operations) == sorted(names)
    assert len(set(names)) == 8


def test_reset_clears_everything(emu: VeoEmulator) -> None:
    client = emu.client(vertex=True)
    client.models.generate_videos(model=MODEL, source=SOURCE)
    emu.inject("create", Fault.http(500))
    emu.reset()
    assert (emu.requests, emu.accepted_submissions, emu.operations) == ([], 0, [])
    client.models.generate_videos(model=MODEL, source=SOURCE)
    assert emu.accepted_submissions == 1


def test_legacy_route_with_urllib(emu: VeoEmulator) -> None:
    url = f"{emu.base_url}/v1beta/models/gemini-1.5-pro:generateContent"
    headers = {"x-goog-api-key": emu.api_key}
    video = {
        "contents": [{"parts": [{"text": "x"}]}],
        "generationConfig": {"responseMimeType": "video/mp4"},
    }
    status, payload = _post(url, video, headers)
    assert (status, payload["error"]["status"]) == (400, "INVALID_ARGUMENT")
    assert "allowed mimetypes are `text/plain`" in payload["error"]["message"]
    status, payload = _post(url, {"contents": [{"parts": [{"text": "x"}]}]}, headers)
    assert status == 200
    assert payload["candidates"][0]["content"]["parts"][0]["text"]
    assert emu.requests[-1].endpoint == "legacy_generate"


def test_legacy_google_generativeai(emu: VeoEmulator) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        legacy = pytest.importorskip("google.generativeai")
    from google.api_core import exceptions

    legacy.configure(
        api_key=emu.api_key, transport="rest", client_options={"api_endpoint": emu.base_url}
    )
    model = legacy.GenerativeModel("gemini-1.5-pro")
    with pytest.raises(exceptions.BadRequest) as info:
        model.generate_content(
            "a cat", generation_config=legacy.GenerationConfig(response_mime_type="video/mp4")
        )
    assert "allowed mimetypes" in str(info.value)
    assert model.generate_content("hello").text


def test_cli_prints_url_and_env() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "veowrap.testing", "--port", "0", "--latency", "0.01"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        assert first.startswith("Veo emulator listening on http://127.0.0.1:")
        base_url = first.rsplit(" ", 1)[1].strip()
        lines = [process.stdout.readline() for _ in range(4)]
        assert any(f"GOOGLE_GEMINI_BASE_URL={base_url}" in line for line in lines)
        status, _ = _post(
            f"{base_url}/v1beta/interactions",
            {"model": "gemini-omni-1.2-flash", "input": "p"},
            {"x-goog-api-key": "test-key"},
        )
        assert status == 200
    finally:
        process.terminate()
        process.wait(timeout=5)
