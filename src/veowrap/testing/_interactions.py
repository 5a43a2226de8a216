"""Interactions API routes (Gemini Omni video): create, get, cancel, delete."""

from __future__ import annotations

import base64
import datetime
import secrets
import time
from typing import Any

from ._assets import VideoSpec, spec_for_megabytes
from ._capabilities import OMNI_ASPECT_RATIOS, OMNI_MODELS, OMNI_RESOLUTIONS
from ._errors import GRPC_CODE_NAMES, invalid_argument, not_found
from ._http import Context, InlineVideos, Response, json_response
from ._state import Interaction, StoredFile, new_file_id
from ._veo import FILES_URI

_FORMAT = "response_format"


def _video_format(body: dict[str, Any]) -> dict[str, Any]:
    """Returns the video response format (the field may be one format or a list)."""
    formats = body.get(_FORMAT) or {}
    if isinstance(formats, list):
        formats = next((f for f in formats if isinstance(f, dict) and f.get("type") == "video"), {})
    if not isinstance(formats, dict):
        raise invalid_argument(f"{_FORMAT}: expected an object.")
    return formats


def _duration(value: Any) -> int:
    text = str(value).strip().removesuffix("s")
    try:
        seconds = float(text)
    except ValueError:
        raise invalid_argument(
            f"{_FORMAT}.duration: {value!r} is not a duration like '8s'."
        ) from None
    if not 1 <= seconds <= 60:
        raise invalid_argument(f"{_FORMAT}.duration: {value!r} is out of range.")
    return round(seconds)


def _input_steps(value: Any) -> list[Any]:
    """Normalizes `input` into the `user_input` steps echoed in the response."""
    if isinstance(value, str):
        return [{"type": "user_input", "content": [{"type": "text", "text": value}]}]
    if isinstance(value, list):
        if all(isinstance(v, dict) and v.get("type") == "user_input" for v in value):
            return list(value)
        return [{"type": "user_input", "content": list(value)}]
    if isinstance(value, dict):
        return [{"type": "user_input", "content": [value]}]
    raise invalid_argument("input: required.")


def _now_iso() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _webhook_config(body: dict[str, Any]) -> dict[str, Any]:
    """``webhook_config: {uris, user_metadata}`` of a create (GUIDE: needs ``background``)."""
    config = body.get("webhook_config")
    if config is None:
        return {}
    uris = config.get("uris") if isinstance(config, dict) else None
    if not isinstance(uris, list) or not uris or not all(isinstance(u, str) for u in uris):
        raise invalid_argument("webhook_config.uris: a non-empty list of URIs is required.")
    if not body.get("background"):
        raise invalid_argument("webhook_config: requires background to be true.")
    metadata = config.get("user_metadata")
    return {
        "webhook_uris": tuple(uris),
        "user_metadata": metadata if isinstance(metadata, dict) else None,
    }


def create(ctx: Context) -> Response:
    """`POST {ver}/interactions`: background returns at once, otherwise blocks until done."""
    body = ctx.body if isinstance(ctx.body, dict) else None
    if body is None:
        raise invalid_argument("Invalid JSON payload received: expected an object.")
    model = body.get("model")
    if model not in OMNI_MODELS:
        raise not_found(
            f"models/{model} is not found for API version {ctx.params['ver']}, or is not "
            "supported for interactions."
        )
    fmt = _video_format(body)
    aspect = fmt.get("aspect_ratio", "16:9")
    if aspect not in OMNI_ASPECT_RATIOS:
        raise invalid_argument(f"{_FORMAT}.aspect_ratio: {aspect!r} is not supported.")
    if fmt.get("resolution", "720p") not in OMNI_RESOLUTIONS:
        raise invalid_argument(f"{_FORMAT}.resolution: {fmt.get('resolution')!r} is not supported.")
    delivery = fmt.get("delivery", "inline")
    if delivery not in ("inline", "uri"):
        raise invalid_argument(f"{_FORMAT}.delivery: {delivery!r} is not 'inline' or 'uri'.")
    gcs_prefix = fmt.get("gcs_uri")
    if ctx.platform == "vertex" and delivery == "uri" and not gcs_prefix:
        raise invalid_argument(f"{_FORMAT}.gcs_uri: required on Vertex AI when delivery is 'uri'.")
    duration = _duration(fmt.get("duration", "8s"))
    steps = _input_steps(body.get("input"))

    outcome, done_at = ctx.state.accept(str(model))
    if outcome.kind == "large":
        spec = spec_for_megabytes(aspect, duration, outcome.megabytes)
    else:
        spec = VideoSpec(aspect, duration)
    it = Interaction(
        id=f"v1_{secrets.token_hex(12)}",
        model=str(model),
        platform=ctx.platform,
        created=_now_iso(),
        done_at=done_at,
        outcome=outcome,
        spec=spec,
        delivery=delivery,
        input_steps=steps,
        **_webhook_config(body),
    )
    files: dict[str, StoredFile] = {}
    if delivery == "uri":
        active_at = done_at + ctx.state.file_processing_delay
        stored = StoredFile(spec, ready_at=done_at, active_at=active_at)
        if ctx.platform == "vertex":
            it.video_uri = f"{str(gcs_prefix).rstrip('/')}/{it.id}/sample_0.mp4"
            files[it.video_uri] = stored
        else:
            file_id = new_file_id()
            it.video_uri = FILES_URI.format(file_id)
            files[file_id] = stored
    ctx.state.add_interaction(it, files)
    if not body.get("background"):
        ctx.wait(done_at - time.monotonic())
    return _render(ctx, it)


def _lookup(ctx: Context) -> Interaction:
    it = ctx.state.interaction(ctx.params["id"])
    if it is None:
        raise not_found(f"Interaction {ctx.params['id']} was not found.")
    return it


def get(ctx: Context) -> Response:
    """`GET {ver}/interactions/{id}`; `include_input=true` echoes the input steps first.

    `stream` is ignored.
    """
    include_input = ctx.query.get("include_input", "").lower() == "true"
    return _render(ctx, _lookup(ctx), include_input=include_input)


def cancel(ctx: Context) -> Response:
    """`POST {ver}/interactions/{id}/cancel`: an unfinished interaction becomes cancelled.

    Cancelling a finished interaction is a no-op that returns it unchanged.
    """
    it = _lookup(ctx)
    if time.monotonic() < it.done_at:
        it = ctx.state.update_interaction(it, cancelled=True)
    return _render(ctx, it)


def delete(ctx: Context) -> Response:
    """`DELETE {ver}/interactions/{id}`: later calls answer 404."""
    it = _lookup(ctx)
    ctx.state.expire(it.id)
    return json_response({})


def _status(it: Interaction, now: float) -> str:
    if it.cancelled:
        return "cancelled"
    if now < it.done_at:
        return "in_progress"
    if it.outcome.kind in ("error", "filtered", "partially_filtered"):
        return "failed"
    return "completed"


def _render(ctx: Context, it: Interaction, *, include_input: bool = False) -> Response:
    status = _status(it, time.monotonic())
    obj: dict[str, Any] = {
        "id": it.id,
        "object": "interaction",
        "status": status,
        "model": it.model,
        "created": it.created,
        "updated": _now_iso(),
    }
    inline = InlineVideos()
    if status == "failed":
        obj["errors"] = [_error(it)]
    elif status == "completed":
        video: dict[str, Any] = {"type": "video", "mime_type": "video/mp4"}
        if it.video_uri:
            video["uri"] = it.video_uri
        else:
            video["data"] = inline.placeholder(it.spec)
        # Google's cookbook capture answers `[thought{signature}, model_output{video}]`
        # (tests/emulator/real_payloads/interaction_steps_omni_cookbook.json); another public
        # capture shows the input first, so it is echoed when `include_input=true` is asked.
        thought = {"type": "thought", "signature": _signature(it.id)}
        output = {"type": "model_output", "content": [video]}
        echoed = it.input_steps if include_input else []
        obj["steps"] = [*echoed, thought, output]
        tokens = 7240 * it.spec.duration_s
        obj["usage"] = {
            "total_output_tokens": tokens,
            "output_tokens_by_modality": [{"modality": "video", "tokens": tokens}],
        }
        if it.outcome.kind == "expire_after_done":
            ctx.state.expire(it.id)
    return inline.response(obj)


def _signature(interaction_id: str) -> str:
    """An opaque, stable stand-in for the model's thought signature."""
    return base64.b64encode(f"veowrap-emulator:{interaction_id}".encode()).decode()


def _error(it: Interaction) -> dict[str, str]:
    if it.outcome.kind == "error":
        code = GRPC_CODE_NAMES.get(it.outcome.code, str(it.outcome.code))
        return {"code": code, "message": it.outcome.message}
    # Google documents no shape for filtered output; this is the emulator's choice.
    return {"code": "SAFETY", "message": " ".join(it.outcome.reasons)}
