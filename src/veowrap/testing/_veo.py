"""Veo long-running-operation routes: create and poll, on the Gemini API and Vertex AI."""

from __future__ import annotations

import time
from typing import Any

from ._assets import VideoSpec, spec_for_megabytes
from ._errors import invalid_argument, not_found
from ._faults import Outcome
from ._http import Context, InlineVideos, Response, json_response
from ._state import Operation, StoredFile, new_file_id, new_operation_id
from ._validation import validate_veo

_GEMINI_TYPE = "type.googleapis.com/google.ai.generativelanguage.v1beta.PredictLongRunningResponse"
_VERTEX_TYPE = "type.googleapis.com/cloud.ai.large_models.vision.GenerateVideoResponse"
FILES_URI = "https://generativelanguage.googleapis.com/v1beta/files/{}:download?alt=media"

#: Inline (base64) Vertex answers above this many MiB of video fail instead. Google publishes no
#: number; a 26 MB 1080p video has been seen inline, while larger (lossless) ones failed with
#: the message below. The emulator's choice, kept in one place so tests can name it.
VERTEX_INLINE_LIMIT_MB = 32
#: The operation error Vertex answers when a video is too large to inline (real capture in
#: tests/emulator/real_payloads/vertex_op_failed_large_inline.json).
VERTEX_LARGE_INLINE_ERROR = "Generated video is large, an output storage uri is required."


def _vertex_resource(ctx: Context) -> str:
    """The model resource as Vertex names it (express mode has no project prefix)."""
    prefix = ""
    if "project" in ctx.params:
        prefix = f"projects/{ctx.params['project']}/locations/{ctx.params['location']}/"
    return f"{prefix}publishers/google/models/{ctx.params['model']}"


def _videos_for(outcome: Outcome, count: int, aspect: str, duration: int) -> tuple[int, int]:
    """Returns (videos produced, videos filtered) for an outcome."""
    if outcome.kind == "filtered":
        return 0, outcome.count or count
    if outcome.kind == "partially_filtered":
        return (count - 1, 1) if count >= 2 else (0, 1)
    if outcome.kind == "error":
        return 0, 0
    return count, 0


def create(ctx: Context) -> Response:
    """`models/{m}:predictLongRunning`: validates, accepts, answers with the operation name."""
    model = ctx.params["model"]
    resource = _vertex_resource(ctx) if ctx.platform == "vertex" else f"models/{model}"
    request = validate_veo(
        ctx.body,
        model=model,
        platform=ctx.platform,
        api_version=ctx.params["ver"],
        resource=resource,
    )
    if ctx.platform == "gemini" and request.storage_uri:
        raise invalid_argument("parameters.storageUri: not supported by the Gemini API.")
    outcome, done_at = ctx.state.accept(model)
    produced, filtered = _videos_for(
        outcome, request.sample_count, request.aspect_ratio, request.duration_s
    )
    if outcome.kind == "large":
        spec = spec_for_megabytes(request.aspect_ratio, request.duration_s, outcome.megabytes)
        if (
            ctx.platform == "vertex"
            and not request.storage_uri
            and outcome.megabytes > VERTEX_INLINE_LIMIT_MB
        ):
            # Vertex does not inline tens of MB of base64: the operation fails instead.
            outcome = Outcome.error(3, VERTEX_LARGE_INLINE_ERROR)
            produced, filtered = 0, 0
    else:
        spec = VideoSpec(request.aspect_ratio, request.duration_s)
    op_id = new_operation_id(ctx.platform)
    op = Operation(
        name=f"{resource}/operations/{op_id}",
        model=model,
        platform=ctx.platform,
        done_at=done_at,
        outcome=outcome,
        videos=[spec] * produced,
        filtered_count=filtered,
    )
    files: dict[str, StoredFile] = {}
    for index in range(produced):
        stored = StoredFile(spec, ready_at=done_at, active_at=done_at)
        if ctx.platform == "gemini":
            file_id = new_file_id()
            op.file_ids.append(file_id)
            files[file_id] = stored
        elif request.storage_uri:
            uri = f"{request.storage_uri.rstrip('/')}/{op_id}/sample_{index}.mp4"
            op.gcs_uris.append(uri)
            files[uri] = stored
    ctx.state.add_operation(op, files)
    return json_response({"name": op.name})


def poll_gemini(ctx: Context) -> Response:
    """`GET {ver}/models/{m}/operations/{id}`."""
    name = f"models/{ctx.params['model']}/operations/{ctx.params['op']}"
    return _render(ctx, name)


def poll_vertex(ctx: Context) -> Response:
    """`POST …/models/{m}:fetchPredictOperation` with `{"operationName": …}`."""
    body = ctx.body if isinstance(ctx.body, dict) else {}
    name = body.get("operationName")
    if not isinstance(name, str) or not name:
        raise invalid_argument("operationName: required.")
    if not name.startswith(_vertex_resource(ctx) + "/operations/"):
        raise invalid_argument(f"operationName: {name!r} does not belong to this model.")
    return _render(ctx, name)


def _render(ctx: Context, name: str) -> Response:
    op = ctx.state.operation(name)
    if op is None:
        raise not_found(f"Operation {name} was not found or has expired.")
    if time.monotonic() < op.done_at:
        return json_response({"name": op.name})
    if op.outcome.kind == "expire_after_done":
        ctx.state.expire(op.name)
    if op.outcome.kind == "error":
        error = {"code": op.outcome.code, "message": op.outcome.message}
        return json_response({"name": op.name, "done": True, "error": error})
    inline = InlineVideos()
    response = _gemini_response(op) if op.platform == "gemini" else _vertex_response(op, inline)
    return inline.response({"name": op.name, "done": True, "response": response})


def _filter_fields(op: Operation) -> dict[str, Any]:
    if not op.filtered_count:
        return {}
    return {
        "raiMediaFilteredCount": op.filtered_count,
        "raiMediaFilteredReasons": list(op.outcome.reasons),
    }


def _gemini_response(op: Operation) -> dict[str, Any]:
    inner: dict[str, Any] = {}
    if op.file_ids:
        inner["generatedSamples"] = [
            # Google's answers carry no mimeType here
            # (tests/emulator/real_payloads/gemini_op_done_response.json).
            {"video": {"uri": FILES_URI.format(file_id)}}
            for file_id in op.file_ids
        ]
    inner.update(_filter_fields(op))
    return {"@type": _GEMINI_TYPE, "generateVideoResponse": inner}


def _vertex_response(op: Operation, inline: InlineVideos) -> dict[str, Any]:
    response: dict[str, Any] = {"@type": _VERTEX_TYPE, "raiMediaFilteredCount": 0}
    response.update(_filter_fields(op))
    if op.gcs_uris:
        response["videos"] = [{"gcsUri": uri, "mimeType": "video/mp4"} for uri in op.gcs_uris]
    elif op.videos:
        response["videos"] = [
            {"bytesBase64Encoded": inline.placeholder(spec), "mimeType": "video/mp4"}
            for spec in op.videos
        ]
    return response
