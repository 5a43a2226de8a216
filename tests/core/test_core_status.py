"""`status.read_operation` and `status.read_interaction`: SDK objects and wire JSON alike."""

from __future__ import annotations

import base64
import enum
from types import SimpleNamespace
from typing import Any

import pytest
from google.genai import types

from veowrap._core.status import (
    MalformedResponse,
    OperationStatus,
    VideoRef,
    read_interaction,
    read_operation,
)

NAME = "models/veo-3.1-generate-preview/operations/op123"
VERTEX_NAME = (
    "projects/p/locations/us-central1/publishers/google/models/veo-3.1-generate-001/operations/42"
)
FILE_URI = "https://generativelanguage.googleapis.com/v1beta/files/abc:download?alt=media"
GCS_URI = "gs://bucket/videos/sample_0.mp4"
MP4 = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2"
MP4_B64 = base64.b64encode(MP4).decode()
REASON = "Video generation was blocked because of a policy on people."


def sdk_op(**response: Any) -> types.GenerateVideosOperation:
    return types.GenerateVideosOperation(
        name=NAME, done=True, response=types.GenerateVideosResponse(**response)
    )


def sdk_video(**video: Any) -> types.GeneratedVideo:
    return types.GeneratedVideo(video=types.Video(**video))


def gemini_wire(inner: dict[str, Any]) -> dict[str, Any]:
    """A finished operation exactly as the Gemini API sends it."""
    return {
        "name": NAME,
        "done": True,
        "response": {
            "@type": "type.googleapis.com/google.ai.generativelanguage.v1beta."
            "PredictLongRunningResponse",
            "generateVideoResponse": inner,
        },
    }


def vertex_wire(response: dict[str, Any]) -> dict[str, Any]:
    """A finished operation exactly as Vertex AI sends it."""
    return {
        "name": VERTEX_NAME,
        "done": True,
        "response": {
            "@type": "type.googleapis.com/cloud.ai.large_models.vision.GenerateVideoResponse",
            **response,
        },
    }


def done(response: dict[str, Any]) -> dict[str, Any]:
    return {"name": NAME, "done": True, "response": response}


# ------------------------------------------------------------------------------- read_operation

# id, operation, state, videos, filtered_count, filtered_reasons
OPERATIONS: list[tuple[str, Any, str, tuple[VideoRef, ...], int, tuple[str, ...]]] = [
    # --- google-genai objects
    ("sdk-pending", types.GenerateVideosOperation(name=NAME), "running", (), 0, ()),
    ("sdk-pending-done-false", types.GenerateVideosOperation(name=NAME, done=False),
     "running", (), 0, ()),
    ("sdk-uri", sdk_op(generated_videos=[sdk_video(uri=FILE_URI, mime_type="video/mp4")]),
     "succeeded", (VideoRef(uri=FILE_URI, mime_type="video/mp4"),), 0, ()),
    ("sdk-inline-bytes", sdk_op(generated_videos=[sdk_video(video_bytes=MP4)]),
     "succeeded", (VideoRef(data=MP4),), 0, ()),
    ("sdk-two-videos",
     sdk_op(generated_videos=[sdk_video(uri=FILE_URI), sdk_video(uri=GCS_URI)]),
     "succeeded", (VideoRef(uri=FILE_URI), VideoRef(uri=GCS_URI)), 0, ()),
    ("sdk-all-filtered",
     sdk_op(rai_media_filtered_count=1, rai_media_filtered_reasons=[REASON]),
     "succeeded", (), 1, (REASON,)),
    ("sdk-partially-filtered",
     sdk_op(generated_videos=[sdk_video(uri=FILE_URI)], rai_media_filtered_count=1,
            rai_media_filtered_reasons=[REASON]),
     "succeeded", (VideoRef(uri=FILE_URI),), 1, (REASON,)),
    ("sdk-from-gemini-wire",
     types.GenerateVideosOperation.from_api_response(
         gemini_wire({"generatedSamples": [{"video": {"uri": FILE_URI}}]})),
     "succeeded", (VideoRef(uri=FILE_URI),), 0, ()),
    ("sdk-from-vertex-wire",
     types.GenerateVideosOperation.from_api_response(
         vertex_wire({"videos": [{"gcsUri": GCS_URI, "mimeType": "video/mp4"}]}),
         is_vertex_ai=True),
     "succeeded", (VideoRef(uri=GCS_URI, mime_type="video/mp4"),), 0, ()),
    # --- plain JSON
    ("dict-pending-no-done", {"name": NAME}, "running", (), 0, ()),
    ("dict-pending-with-metadata", {"name": NAME, "done": False, "metadata": {"x": 1}},
     "running", (), 0, ()),
    ("dict-samples-uri", done({"generatedSamples": [{"video": {"uri": FILE_URI}}]}),
     "succeeded", (VideoRef(uri=FILE_URI),), 0, ()),
    ("dict-sdk-shape", done({"generated_videos": [{"video": {"uri": FILE_URI}}]}),
     "succeeded", (VideoRef(uri=FILE_URI),), 0, ()),
    ("dict-result-key", {"name": NAME, "done": True,
                         "result": {"generated_videos": [{"video": {"uri": FILE_URI}}]}},
     "succeeded", (VideoRef(uri=FILE_URI),), 0, ()),
    ("vertex-gcs-uri", vertex_wire({"raiMediaFilteredCount": 0,
                                    "videos": [{"gcsUri": GCS_URI, "mimeType": "video/mp4"}]}),
     "succeeded", (VideoRef(uri=GCS_URI, mime_type="video/mp4"),), 0, ()),
    ("vertex-inline-base64",
     vertex_wire({"videos": [{"bytesBase64Encoded": MP4_B64, "mimeType": "video/mp4"}]}),
     "succeeded", (VideoRef(data=MP4, mime_type="video/mp4"),), 0, ()),
    ("vertex-all-filtered",
     vertex_wire({"raiMediaFilteredCount": 2, "raiMediaFilteredReasons": [REASON, "other"]}),
     "succeeded", (), 2, (REASON, "other")),
    ("vertex-filtered-reasons-without-count",
     vertex_wire({"raiMediaFilteredReasons": [REASON]}), "succeeded", (), 1, (REASON,)),
    ("vertex-partially-filtered",
     vertex_wire({"raiMediaFilteredCount": 1, "raiMediaFilteredReasons": [REASON],
                  "videos": [{"gcsUri": GCS_URI}]}),
     "succeeded", (VideoRef(uri=GCS_URI),), 1, (REASON,)),
    ("reasons-without-count-beside-videos",
     vertex_wire({"raiMediaFilteredReasons": [REASON], "videos": [{"gcsUri": GCS_URI}]}),
     "succeeded", (VideoRef(uri=GCS_URI),), 0, (REASON,)),
    ("empty-response", done({}), "succeeded", (), 0, ()),
]  # fmt: skip


@pytest.mark.parametrize(
    ("operation", "state", "videos", "filtered_count", "reasons"),
    [pytest.param(*row[1:], id=row[0]) for row in OPERATIONS],
)
def test_read_operation(
    operation: Any,
    state: str,
    videos: tuple[VideoRef, ...],
    filtered_count: int,
    reasons: tuple[str, ...],
) -> None:
    status = read_operation(operation)
    assert status.name in (NAME, VERTEX_NAME)
    assert status.state == state
    assert status.done is (state != "running")
    assert status.videos == videos
    assert (status.filtered_count, status.filtered_reasons) == (filtered_count, reasons)
    assert status.error_code is None


def test_read_operation_gemini_wire_json() -> None:
    status = read_operation(gemini_wire({"generatedSamples": [{"video": {"uri": FILE_URI}}]}))
    assert status.videos == (VideoRef(uri=FILE_URI),)


# id, operation, error code, error message
FAILURES: list[tuple[str, Any, Any, str]] = [
    ("sdk-error",
     types.GenerateVideosOperation(name=NAME, done=True,
                                   error={"code": 3, "message": "Unsupported aspect ratio"}),
     3, "Unsupported aspect ratio"),
    ("dict-error", {"name": NAME, "done": True, "error": {"code": 13, "message": "Internal"}},
     13, "Internal"),
    ("dict-error-without-message", {"name": NAME, "done": True, "error": {"code": 8}},
     8, "the operation failed"),
    ("error-beats-response",
     {"name": NAME, "done": True, "error": {"code": 3, "message": "no"},
      "response": {"videos": [{"gcsUri": GCS_URI}]}},
     3, "no"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("operation", "code", "message"),
    [pytest.param(*row[1:], id=row[0]) for row in FAILURES],
)
def test_read_operation_failed(operation: Any, code: Any, message: str) -> None:
    status = read_operation(operation)
    assert (status.done, status.state, status.videos) == (True, "failed", ())
    assert (status.error_code, status.error_message) == (code, message)


# id, operation, words in the error
MALFORMED_OPERATIONS: list[tuple[str, Any, str]] = [
    ("none", None, "no name"),
    ("list", [1, 2], "no name"),
    ("no-name", {"done": True, "response": {}}, "no name"),
    ("empty-name", {"name": "", "done": False}, "no name"),
    ("numeric-name", {"name": 42, "done": False}, "no name"),
    ("done-without-anything", {"name": NAME, "done": True}, "neither a response nor an error"),
    ("videos-not-a-list", done({"videos": {"gcsUri": GCS_URI}}), "not a list"),
    ("sample-without-video", done({"videos": [{"mimeType": "video/mp4"}]}), "neither bytes"),
    ("sample-is-a-string", done({"videos": ["gs://b/o.mp4"]}), "neither bytes"),
    ("uri-not-a-string", done({"videos": [{"gcsUri": 42}]}), "URI is not a string"),
    ("bytes-not-bytes", done({"videos": [{"bytesBase64Encoded": 42}]}), "not bytes"),
    ("bad-base64", done({"videos": [{"bytesBase64Encoded": "not base64!!"}]}), "base64"),
    ("empty-base64", done({"videos": [{"bytesBase64Encoded": ""}]}), "neither bytes"),
    ("count-not-an-int", done({"raiMediaFilteredCount": "2"}), "filter report"),
    ("reasons-not-a-list", done({"raiMediaFilteredReasons": 5}), "filter report"),
]


@pytest.mark.parametrize(
    ("operation", "words"),
    [pytest.param(*row[1:], id=row[0]) for row in MALFORMED_OPERATIONS],
)
def test_read_operation_malformed(operation: Any, words: str) -> None:
    with pytest.raises(MalformedResponse, match=words):
        read_operation(operation)


def test_malformed_response_is_a_value_error() -> None:
    assert issubclass(MalformedResponse, ValueError)


def test_video_ref_needs_bytes_or_uri() -> None:
    with pytest.raises(MalformedResponse):
        VideoRef()


def test_video_ref_repr_hides_bytes() -> None:
    assert "ftyp" not in repr(VideoRef(data=MP4))


# ----------------------------------------------------------------------------- read_interaction

ID = "v1_ChdpbnRlcmFjdGlvbi0xMjM"


def interaction(status: str, *outputs: dict[str, Any], **extra: Any) -> dict[str, Any]:
    steps: list[dict[str, Any]] = [
        {"type": "user_input", "content": [{"type": "text", "text": "a fox"}]}
    ]
    if outputs:
        steps.append({"type": "model_output", "content": list(outputs)})
    return {"id": ID, "status": status, "steps": steps, **extra}


def video_item(**fields: Any) -> dict[str, Any]:
    return {"type": "video", "mime_type": "video/mp4", **fields}


class Status(enum.Enum):
    COMPLETED = "completed"
    IN_PROGRESS = "in_progress"


# id, interaction, state, raw_state, videos
INTERACTIONS: list[tuple[str, Any, str, str, tuple[VideoRef, ...]]] = [
    ("in-progress", interaction("in_progress"), "running", "in_progress", ()),
    ("queued", {"id": ID, "status": "queued"}, "running", "queued", ()),
    ("idle", {"id": ID, "status": "idle"}, "running", "idle", ()),
    ("requires-continuation", {"id": ID, "status": "requires_continuation"},
     "running", "requires_continuation", ()),
    ("inline-base64", interaction("completed", video_item(data=MP4_B64)),
     "succeeded", "completed", (VideoRef(data=MP4, mime_type="video/mp4"),)),
    ("inline-bytes", interaction("completed", video_item(data=MP4)),
     "succeeded", "completed", (VideoRef(data=MP4, mime_type="video/mp4"),)),
    ("uri-delivery", interaction("completed", video_item(uri=FILE_URI)),
     "succeeded", "completed", (VideoRef(uri=FILE_URI, mime_type="video/mp4"),)),
    ("camel-mime", interaction("completed", {"type": "video", "uri": GCS_URI,
                                             "mimeType": "video/mp4"}),
     "succeeded", "completed", (VideoRef(uri=GCS_URI, mime_type="video/mp4"),)),
    ("text-beside-video",
     interaction("completed", {"type": "text", "text": "here"}, video_item(uri=FILE_URI)),
     "succeeded", "completed", (VideoRef(uri=FILE_URI, mime_type="video/mp4"),)),
    ("name-instead-of-id", {"name": ID, "status": "in_progress"}, "running", "in_progress", ()),
    ("enum-status", {"id": ID, "status": Status.IN_PROGRESS}, "running", "in_progress", ()),
    ("sdk-like-object",
     SimpleNamespace(id=ID, status=Status.COMPLETED, steps=None,
                     model_extra={"steps": [{"type": "model_output",
                                             "content": [video_item(uri=FILE_URI)]}]}),
     "succeeded", "completed", (VideoRef(uri=FILE_URI, mime_type="video/mp4"),)),
]  # fmt: skip


@pytest.mark.parametrize(
    ("value", "state", "raw_state", "videos"),
    [pytest.param(*row[1:], id=row[0]) for row in INTERACTIONS],
)
def test_read_interaction(
    value: Any, state: str, raw_state: str, videos: tuple[VideoRef, ...]
) -> None:
    status = read_interaction(value)
    assert (status.name, status.state, status.raw_state) == (ID, state, raw_state)
    assert status.done is (state != "running")
    assert status.videos == videos
    assert status.filtered_count == 0


# id, interaction, state, error code, words in the error message
ENDINGS: list[tuple[str, Any, str, Any, str]] = [
    ("failed-with-errors",
     interaction("failed", errors=[{"code": "INVALID_ARGUMENT", "message": "bad prompt"}]),
     "failed", "INVALID_ARGUMENT", "bad prompt"),
    ("failed-first-error-wins",
     interaction("failed", errors=[{"code": 3, "message": "first"}, {"code": 4}]),
     "failed", 3, "first"),
    ("failed-without-errors", interaction("failed"),
     "failed", "failed", "the interaction ended as failed"),
    ("failed-with-step-error",
     {"id": ID, "status": "failed",
      "steps": [{"type": "model_output", "error": {"code": 13, "message": "step broke"}}]},
     "failed", 13, "step broke"),
    ("cancelled", interaction("cancelled"), "cancelled", None, "cancelled"),
    ("budget-exceeded", interaction("budget_exceeded"),
     "failed", "budget_exceeded", "ended as budget_exceeded"),
    ("incomplete", interaction("incomplete"), "failed", "incomplete", "ended as incomplete"),
    ("requires-action", interaction("requires_action"),
     "failed", "requires_action", "ended as requires_action"),
    ("expired", interaction("expired"), "failed", "expired", "ended as expired"),
    ("unknown-status", interaction("exploded"), "failed", "exploded", "ended as exploded"),
    ("completed-with-step-error-and-no-video",
     {"id": ID, "status": "completed",
      "steps": [{"type": "model_output", "content": [],
                 "error": {"code": "SAFETY", "message": "blocked"}}]},
     "failed", "SAFETY", "blocked"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("value", "state", "code", "words"),
    [pytest.param(*row[1:], id=row[0]) for row in ENDINGS],
)
def test_read_interaction_endings(value: Any, state: str, code: Any, words: str) -> None:
    status = read_interaction(value)
    assert (status.done, status.state, status.videos) == (True, state, ())
    assert status.error_code == code
    assert words in (status.error_message or "")


@pytest.mark.parametrize(
    "value",
    [
        pytest.param(interaction("completed"), id="no-output-step"),
        pytest.param(interaction("completed", {"type": "text", "text": "no"}), id="text-only"),
        pytest.param({"id": ID, "status": "completed"}, id="no-steps"),
    ],
)
def test_completed_without_video_counts_as_filtered(value: Any) -> None:
    status = read_interaction(value)
    assert status.state == "succeeded"
    assert status.videos == ()
    assert status.filtered_count == 1
    assert status.filtered_reasons == ("the interaction completed without a video",)


# id, interaction, words in the error
MALFORMED_INTERACTIONS: list[tuple[str, Any, str]] = [
    ("none", None, "no id"),
    ("no-id", {"status": "completed"}, "no id"),
    ("empty-id", {"id": "", "status": "completed"}, "no id"),
    ("no-status", {"id": ID}, "no status"),
    ("bad-base64", interaction("completed", video_item(data="@@not-base64@@")), "base64"),
    ("video-without-data-or-uri", interaction("completed", video_item()), "neither bytes"),
]


@pytest.mark.parametrize(
    ("value", "words"),
    [pytest.param(*row[1:], id=row[0]) for row in MALFORMED_INTERACTIONS],
)
def test_read_interaction_malformed(value: Any, words: str) -> None:
    with pytest.raises(MalformedResponse, match=words):
        read_interaction(value)


def test_operation_status_defaults() -> None:
    status = OperationStatus(name=NAME, done=False, state="running")
    assert (status.videos, status.filtered_count, status.error_code) == ((), 0, None)
