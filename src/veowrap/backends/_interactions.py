"""VideoRequest → an Interactions API create call (Gemini video models such as Gemini Omni).

The interactions client of google-genai retries creates by default (408/409/429/5xx and
connection errors), which could start — and bill — a second video. veowrap sends creates through
its own view of the client whose retries are off, and does its own provably-safe retries.
"""

from __future__ import annotations

import base64
import copy
from typing import Any

from veowrap._media import Image
from veowrap._request import VideoRequest

__all__ = ["create_arguments", "no_retry_interactions", "pick_delivery"]

# Outputs above this are fetched by URI rather than inline (Google advises URIs above 4 MB).
_LARGE = frozenset({"1080p", "4k"})


def pick_delivery(request: VideoRequest) -> str:
    """``uri`` for outputs likely over 4 MB (high resolution or long), else ``inline``."""
    if request.output_gcs_uri is not None:
        return "uri"
    large = request.resolution in _LARGE or (request.duration_seconds or 8) > 8
    return "uri" if large else "inline"


def _image_block(image: Image) -> dict[str, Any]:
    if image.uri is not None:
        return {"type": "image", "uri": image.uri, "mime_type": image.mime_type or "image/png"}
    assert image.data is not None
    return {
        "type": "image",
        "data": base64.b64encode(image.data).decode(),
        "mime_type": image.mime_type,
    }


def create_arguments(request: VideoRequest, model: str) -> dict[str, Any]:
    """Keyword arguments for ``client.interactions.create`` (background, one video)."""
    blocks: list[dict[str, Any]] = []
    task = "text_to_video"
    if request.image is not None:
        blocks.append(_image_block(request.image))
        task = "image_to_video"
    for reference in request.reference_images:
        blocks.append(_image_block(reference.image))
        task = "reference_to_video"
    if request.video is not None:
        video = request.video
        block: dict[str, Any] = {"type": "video", "mime_type": video.mime_type or "video/mp4"}
        if video.uri is not None:
            block["uri"] = video.uri
        else:
            assert video.data is not None
            block["data"] = base64.b64encode(video.data).decode()
        blocks.append(block)
        task = "extend"
    if request.prompt is not None:
        blocks.append({"type": "text", "text": request.prompt})
    response_format: dict[str, Any] = {"type": "video", "delivery": pick_delivery(request)}
    if request.aspect_ratio is not None:
        response_format["aspect_ratio"] = request.aspect_ratio
    if request.duration_seconds is not None:
        response_format["duration"] = f"{request.duration_seconds}s"
    if request.resolution is not None:
        response_format["resolution"] = request.resolution
    if request.output_gcs_uri is not None:
        response_format["gcs_uri"] = request.output_gcs_uri
    only_text = len(blocks) == 1 and blocks[0]["type"] == "text"
    arguments: dict[str, Any] = {
        "model": model,
        "input": request.prompt if only_text else blocks,
        "background": True,
        "response_format": response_format,
        "generation_config": {"video_config": {"task": task}},
    }
    if request.webhook is not None:
        # A dynamic webhook (webhooks-wire.md §2): snake_case, next to ``background: true``.
        arguments["webhook_config"] = {
            "uris": list(request.webhook.uris),
            "user_metadata": dict(request.webhook.user_metadata),
        }
    return arguments


def no_retry_interactions(client: Any, *, asynchronous: bool) -> Any:
    """The client's interactions resource with its retries turned off.

    A shallow copy of ``client.interactions`` (sharing connections and credentials) gets a copy
    of its configuration whose retry policy allows a single attempt. SDK versions disagree on
    whether ``attempts`` counts the first call, so the value is found by asking the SDK's own
    translation function. The client's own resource is left untouched.
    """
    from google.genai import types
    from google.genai._gaos import google_genai as gaos

    def policy(attempts: int) -> Any:
        options = types.HttpOptions(retry_options=types.HttpRetryOptions(attempts=attempts))
        return gaos._translate_retry_config(options)

    single = policy(1)
    if getattr(single, "max_retries", 0) != 0:
        single = policy(0)
    resource = client.aio.interactions if asynchronous else client.interactions
    view = copy.copy(resource)
    configuration = copy.copy(resource.sdk_configuration)
    configuration.retry_config = single
    view.sdk_configuration = configuration
    return view
