"""veowrap reads each real payload correctly when a plain stub server answers with it.

No emulator here: a small stdlib HTTP server on 127.0.0.1 answers the real google-genai client
with the fixtures of ``real_payloads/`` verbatim (where an author abbreviated base64 video data,
a real MP4 is put in its place, and the test says so).
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import google.oauth2.credentials
import pytest
from google import genai
from google.genai import types

import veowrap
from veowrap.testing._assets import asset_bytes

from .real_payloads import load

FAST = {
    "poll_schedule": veowrap.PollSchedule.fixed(0.01),
    "retry_policy": veowrap.RetryPolicy(attempts=2, initial_delay=0.01, max_delay=0.02, jitter=0),
}
MP4 = asset_bytes("16:9", 8)

Answer = tuple[int, Any]


class Stub(ThreadingHTTPServer):
    """Answers requests whose path contains a key with that key's answers, in order.

    The last answer of a list repeats. Every request is logged as (method, path, body).
    """

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.routes: list[tuple[str, str, list[Answer]]] = []
        self.log: list[tuple[str, str, Any]] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def answer(self, method: str, part: str, *answers: Answer) -> None:
        self.routes.append((method, part, list(answers)))

    def pick(self, method: str, path: str) -> Answer:
        for verb, part, answers in self.routes:
            if verb == method and part in path:
                return answers.pop(0) if len(answers) > 1 else answers[0]
        return 404, {"error": {"code": 404, "message": f"stub: no route for {path}"}}


class _Handler(BaseHTTPRequestHandler):
    server: Stub

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        self.server.log.append((self.command, self.path, json.loads(raw) if raw else None))
        status, body = self.server.pick(self.command, self.path)
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        kind = "video/mp4" if isinstance(body, bytes) else "application/json"
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = _serve

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def stub() -> Iterator[Stub]:
    server = Stub()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def gemini_client(stub: Stub) -> genai.Client:
    options = types.HttpOptions(base_url=stub.url, api_version="v1beta")
    return genai.Client(api_key="stub-key", http_options=options)


def vertex_client(stub: Stub) -> genai.Client:
    credentials = google.oauth2.credentials.Credentials(token="stub-token")  # type: ignore[no-untyped-call]
    return genai.Client(
        vertexai=True,
        project="p",
        location="us-central1",
        credentials=credentials,
        http_options=types.HttpOptions(base_url=stub.url),
    )


def test_gemini_operation_and_its_video(stub: Stub, tmp_path: Path) -> None:
    created = load("gemini_op_created")["payload"]
    done = {
        "name": created["name"],
        "done": True,
        "response": load("gemini_op_done_response")["payload"],
    }
    stub.answer("GET", "/operations/", (200, created), (200, done))
    stub.answer("GET", "/files/qu4d28uipuqh:download", (200, MP4))
    # veowrap asks the Files API whether the file is ready; no fixture holds that answer, so
    # the stub gives the two fields it reads (not a real payload).
    stub.answer(
        "GET", "/files/qu4d28uipuqh", (200, {"name": "files/qu4d28uipuqh", "state": "ACTIVE"})
    )
    generator = veowrap.VideoGenerator(client=gemini_client(stub), strict=False, **FAST)
    # google-genai 3.x cannot create Veo jobs on the Gemini API; it still reads operations.
    result = generator.wait(created["name"])
    assert len(result.videos) == 1
    video = result.videos[0]
    assert video.uri is not None and "qu4d28uipuqh" in video.uri
    saved = result.save(tmp_path / "out.mp4")
    assert saved[0].read_bytes() == MP4
    # Google sends no mimeType here; veowrap does not need one.
    assert video.mime_type in (None, "video/mp4")


def test_vertex_filtered_operation(stub: Stub) -> None:
    fixture = load("vertex_op_rai_filtered")["payload"]
    stub.answer("POST", ":predictLongRunning", (200, {"name": fixture["name"]}))
    stub.answer("POST", ":fetchPredictOperation", (200, {"name": fixture["name"]}), (200, fixture))
    generator = veowrap.VideoGenerator(client=vertex_client(stub), strict=False, **FAST)
    with pytest.raises(veowrap.ContentFilteredError) as caught:
        generator.generate("a kite", model="veo-3.0-generate-preview")
    assert caught.value.filtered_count == 1
    assert caught.value.reasons == tuple(fixture["response"]["raiMediaFilteredReasons"])
    assert caught.value.handle is not None and caught.value.handle.name == fixture["name"]


def test_vertex_large_inline_failure_says_pass_output_gcs_uri(stub: Stub) -> None:
    fixture = load("vertex_op_failed_large_inline")["payload"]
    stub.answer("POST", ":predictLongRunning", (200, {"name": fixture["name"]}))
    stub.answer("POST", ":fetchPredictOperation", (200, fixture))
    generator = veowrap.VideoGenerator(client=vertex_client(stub), strict=False, **FAST)
    with pytest.raises(veowrap.OutputStorageRequiredError) as caught:
        generator.generate("a kite", model="veo-2.0-generate-001")
    assert isinstance(caught.value, veowrap.OperationFailedError)
    assert caught.value.code == 3
    assert caught.value.hint is not None and "output_gcs_uri" in caught.value.hint


def test_vertex_429_without_retry_after(stub: Stub) -> None:
    stub.answer("POST", ":predictLongRunning", (429, load("vertex_429_rate_limit")["payload"]))
    generator = veowrap.VideoGenerator(client=vertex_client(stub), **FAST)
    with pytest.raises(veowrap.QuotaExceededError) as caught:
        generator.generate("a kite", model="veo-3.1-generate-001")
    assert caught.value.retry_after is None
    assert "Resource exhausted" in str(caught.value)
    creates = [entry for entry in stub.log if entry[1].endswith(":predictLongRunning")]
    assert len(creates) == FAST["retry_policy"].attempts  # a 429 proves no job started


def test_400_names_the_field_the_service_named(stub: Stub) -> None:
    stub.answer("POST", ":predictLongRunning", (400, load("gemini_400_duration")["payload"]))
    generator = veowrap.VideoGenerator(client=vertex_client(stub), strict=False, **FAST)
    with pytest.raises(veowrap.ServiceRejectedError) as caught:
        generator.generate("a kite", model="veo-3.1-generate-001", duration_seconds=6)
    assert caught.value.field == "duration_seconds"
    assert caught.value.value == 6
    assert "duration_seconds=6" in str(caught.value)
    assert caught.value.model == "veo-3.1-generate-001"


def test_interaction_in_progress_then_completed(stub: Stub, tmp_path: Path) -> None:
    created = dict(load("interaction_in_progress")["payload"])
    completed = json.loads(json.dumps(load("interaction_completed")["payload"]))
    # The author shortened the id to "v1_…" and wrote "<base64>" for the video data; an id of
    # the same form and a real MP4 take their places (veowrap rightly refuses "…" in an id).
    assert created["id"] == "v1_…"
    created["id"] = "v1_ChdGT09YYW9VTl9yN25zRVB2NW5Td1Fv"
    # The completed answer, as quoted, also leaves out the id; the stub adds the same one.
    completed["id"] = created["id"]
    video = completed["steps"][-1]["content"][0]
    assert video["data"] == "<base64>"
    video["data"] = base64.b64encode(MP4).decode()
    stub.answer("POST", "/interactions", (200, created))
    stub.answer("GET", "/interactions/", (200, completed))
    generator = veowrap.VideoGenerator(client=gemini_client(stub), strict=False, **FAST)
    result = generator.generate("a kite", model="gemini-omni-flash-preview")
    assert len(result.videos) == 1
    assert result.save(tmp_path / "omni.mp4")[0].read_bytes() == MP4
