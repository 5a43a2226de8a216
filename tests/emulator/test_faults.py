"""Every injected fault, observed through the raw SDK (or urllib) over real sockets."""

from __future__ import annotations

import http.client
import json
import threading
import time
import urllib.parse
import urllib.request

import pytest
from google.genai import errors, types

from veowrap.testing import Fault, VeoEmulator, inspect_mp4

from ._support import sdk_major, timeout_errors, transport_errors, wait_done

MODEL = "veo-3.1-generate-001"
SOURCE = types.GenerateVideosSource(prompt="p")


def _create(client: object) -> types.GenerateVideosOperation:
    return client.models.generate_videos(model=MODEL, source=SOURCE)  # type: ignore[attr-defined]


def test_http_429_with_retry_after(emu: VeoEmulator) -> None:
    client = emu.client(vertex=True)
    emu.inject("create", Fault.http(429, retry_after=7))
    with pytest.raises(errors.ClientError) as info:
        _create(client)
    assert info.value.code == 429
    assert info.value.status == "RESOURCE_EXHAUSTED"
    assert info.value.response.headers["retry-after"] == "7"
    assert emu.accepted_submissions == 0
    assert wait_done(client, _create(client)).response.generated_videos
    assert emu.accepted_submissions == 1


@pytest.mark.parametrize(
    ("status", "name", "kind"),
    [
        (500, "INTERNAL", errors.ServerError),
        (503, "UNAVAILABLE", errors.ServerError),
        (504, "DEADLINE_EXCEEDED", errors.ServerError),
        (404, "NOT_FOUND", errors.ClientError),
    ],
)
def test_http_faults_on_poll(
    emu: VeoEmulator, status: int, name: str, kind: type[errors.APIError]
) -> None:
    client = emu.client(vertex=True)
    op = _create(client)
    emu.inject("poll", Fault.http(status, message="injected"))
    with pytest.raises(kind) as info:
        client.operations.get(op)
    assert (info.value.code, info.value.status, info.value.message) == (status, name, "injected")
    assert wait_done(client, op).done


def test_sdk_retries_see_each_fault(emu: VeoEmulator) -> None:
    retry = types.HttpRetryOptions(attempts=3, initial_delay=0.01, max_delay=0.02)
    client = emu.client(vertex=True, retry_options=retry)
    emu.inject("create", Fault.http(503), times=2)
    op = _create(client)
    assert [r.endpoint for r in emu.requests] == ["create"] * 3
    assert emu.accepted_submissions == 1
    assert emu.operations == [op.name]


def test_reset_before_accept(emu: VeoEmulator) -> None:
    client = emu.client(vertex=True)
    emu.inject("create", Fault.reset_before_accept())
    with pytest.raises(transport_errors()):
        _create(client)
    assert emu.accepted_submissions == 0
    assert emu.operations == []


def test_reset_after_accept(emu: VeoEmulator) -> None:
    client = emu.client(vertex=True)
    emu.inject("create", Fault.reset_after_accept())
    with pytest.raises(transport_errors()):
        _create(client)
    assert emu.accepted_submissions == 1
    assert len(emu.operations) == 1


def test_stall_gives_read_timeout(emu: VeoEmulator) -> None:
    client = emu.client(vertex=True, timeout_ms=300)
    emu.inject("create", Fault.stall(0.8))
    started = time.monotonic()
    with pytest.raises(timeout_errors()):
        _create(client)
    assert time.monotonic() - started < 0.75
    # The stalled handler accepts when it would have answered.
    deadline = time.monotonic() + 5
    while emu.accepted_submissions == 0:
        assert time.monotonic() < deadline
        time.sleep(0.05)


def test_short_stall_then_normal_answer(emu: VeoEmulator) -> None:
    client = emu.client(vertex=True)
    emu.inject("create", Fault.stall(0.1))
    started = time.monotonic()
    op = _create(client)
    assert time.monotonic() - started >= 0.1
    assert op.name in emu.operations


def test_stall_does_not_block_other_requests_or_shutdown() -> None:
    emu = VeoEmulator(latency=0.01).start()
    client = emu.client(vertex=True)
    emu.inject("create", Fault.stall(60))
    failures: list[BaseException] = []

    def stalled() -> None:
        try:
            _create(client)
        except BaseException as error:  # the connection is dropped at shutdown
            failures.append(error)

    thread = threading.Thread(target=stalled, daemon=True)
    thread.start()
    time.sleep(0.1)
    other = emu.client(vertex=True)
    assert wait_done(other, _create(other)).done
    started = time.monotonic()
    emu.stop()
    assert time.monotonic() - started < 2
    thread.join(timeout=5)
    assert not thread.is_alive()
    assert failures


def test_malformed_json(emu: VeoEmulator) -> None:
    client = emu.client(vertex=True)
    emu.inject("create", Fault.malformed_json())
    with pytest.raises(ValueError):
        _create(client)
    assert emu.accepted_submissions == 0


def test_fault_on_nth_call(emu: VeoEmulator) -> None:
    client = emu.client(vertex=True)
    emu.set_latency(30)
    op = _create(client)
    emu.inject("poll", Fault.http(500), call=2)
    client.operations.get(op)
    with pytest.raises(errors.ServerError):
        client.operations.get(op)
    client.operations.get(op)


def _gemini_video(emu: VeoEmulator) -> tuple[object, types.Video]:
    request = urllib.request.Request(
        f"{emu.base_url}/v1beta/models/veo-3.1-generate-preview:predictLongRunning",
        data=json.dumps({"instances": [{"prompt": "p"}]}).encode(),
        headers={"x-goog-api-key": emu.api_key},
    )
    with urllib.request.urlopen(request) as response:
        name = json.load(response)["name"]
    client = emu.client()
    op = wait_done(client, types.GenerateVideosOperation(name=name))
    return client, op.response.generated_videos[0].video


def test_cut_short_download(emu: VeoEmulator) -> None:
    client, video = _gemini_video(emu)
    emu.inject("download", Fault.cut_short(after_bytes=1000))
    with pytest.raises(transport_errors()):
        client.files.download(file=video)  # type: ignore[attr-defined]
    assert inspect_mp4(client.files.download(file=video)).codec == "avc1"  # type: ignore[attr-defined]


def test_slow_download(emu: VeoEmulator) -> None:
    client, video = _gemini_video(emu)
    emu.inject("download", Fault.slow(bytes_per_second=200_000))
    started = time.monotonic()
    data = client.files.download(file=video)  # type: ignore[attr-defined]
    assert time.monotonic() - started >= len(data) / 200_000 * 0.8
    assert inspect_mp4(data).codec == "avc1"


def test_cut_short_and_slow_storage_download(emu: VeoEmulator) -> None:
    client = emu.client(vertex=True)
    config = types.GenerateVideosConfig(output_gcs_uri="gs://bkt/x")
    op = wait_done(client, client.models.generate_videos(model=MODEL, source=SOURCE, config=config))
    obj = urllib.parse.quote(op.response.generated_videos[0].video.uri[len("gs://bkt/") :], safe="")
    request = urllib.request.Request(
        f"{emu.base_url}/storage/v1/b/bkt/o/{obj}?alt=media",
        headers={"Authorization": f"Bearer {emu.token}"},
    )
    emu.inject("gcs_download", Fault.cut_short(500))
    with urllib.request.urlopen(request) as response, pytest.raises(http.client.IncompleteRead):
        response.read()
    emu.inject("gcs_download", Fault.slow(400_000))
    with urllib.request.urlopen(request) as response:
        assert inspect_mp4(response.read()).codec == "avc1"


def test_interaction_create_fault_without_sdk_retries(emu: VeoEmulator) -> None:
    """`attempts=1` means one try on 3.x; 2.34.0 maps it to one *retry* (two tries)."""
    client = emu.client(retry_options=types.HttpRetryOptions(attempts=1))
    emu.inject("interaction_create", Fault.http(429, retry_after=0.1), times=2)
    with pytest.raises(Exception) as info:
        client.interactions.create(model="gemini-omni-1.2-flash", input="p")
    assert getattr(info.value, "status_code", None) == 429
    assert emu.accepted_submissions == 0
    tries = 1 if sdk_major() >= 3 else 2
    assert [r.endpoint for r in emu.requests] == ["interaction_create"] * tries


def test_inject_rejects_unknown_endpoint(emu: VeoEmulator) -> None:
    with pytest.raises(ValueError):
        emu.inject("nope", Fault.http(500))
    with pytest.raises(ValueError):
        Fault.http(200)
