"""VideoRequest → google-genai's own types (the SDK builds the JSON, not us)."""

from __future__ import annotations

from typing import Any

from veowrap._media import Image, Video
from veowrap._request import VideoRequest

__all__ = ["generate_videos_arguments"]


def _image(types: Any, image: Image) -> Any:
    if image.uri is not None and image.is_gcs:
        return types.Image(gcs_uri=image.uri, mime_type=image.mime_type)
    if image.uri is not None:
        # A Files API URI: the SDK sends it as a reference on the Gemini API.
        return types.Image(gcs_uri=image.uri, mime_type=image.mime_type)
    return types.Image(image_bytes=image.data, mime_type=image.mime_type)


def _video(types: Any, video: Video) -> Any:
    if video.uri is not None:
        return types.Video(uri=video.uri, mime_type=video.mime_type)
    return types.Video(video_bytes=video.data, mime_type=video.mime_type)


def generate_videos_arguments(
    types: Any, request: VideoRequest, model: str, *, per_call_retry_off: bool = True
) -> dict[str, Any]:
    """Keyword arguments for ``client.models.generate_videos``.

    The SDK's retries must be off (one attempt): veowrap decides when a create may be retried,
    and two retry layers must never stack on a billable call. The backend normally sends
    through a client view whose retries are already off (``_no_retry.py``); only without one
    does each call carry its own ``HttpRetryOptions(attempts=1)``.

    Args:
        types: The ``google.genai.types`` module.
        request: The validated request.
        model: The model id to use.
        per_call_retry_off: Put the one-attempt retry options in the call's config.
    """
    config: dict[str, Any] = {
        "number_of_videos": request.number_of_videos,
        "duration_seconds": request.duration_seconds,
        "aspect_ratio": request.aspect_ratio,
        "resolution": request.resolution,
        "person_generation": request.person_generation,
        "negative_prompt": request.negative_prompt,
        "enhance_prompt": request.enhance_prompt,
        "seed": request.seed,
        "fps": request.fps,
        "generate_audio": request.generate_audio,
        "output_gcs_uri": request.output_gcs_uri,
        "labels": request.labels,
    }
    if per_call_retry_off:
        config["http_options"] = types.HttpOptions(retry_options=types.HttpRetryOptions(attempts=1))
    if request.compression_quality is not None:
        config["compression_quality"] = request.compression_quality.upper()
    if request.resize_mode is not None:
        config["resize_mode"] = request.resize_mode.upper()
    if request.last_frame is not None:
        config["last_frame"] = _image(types, request.last_frame)
    if request.reference_images:
        config["reference_images"] = [
            types.VideoGenerationReferenceImage(
                image=_image(types, reference.image),
                reference_type=reference.reference_type.upper(),
            )
            for reference in request.reference_images
        ]
    if request.mask is not None:
        config["mask"] = types.VideoGenerationMask(
            image=_image(types, request.mask.image), mask_mode=request.mask.mode.upper()
        )
    if request.webhook is not None:
        config["webhook_config"] = types.WebhookConfig(
            uris=list(request.webhook.uris), user_metadata=dict(request.webhook.user_metadata)
        )
    arguments: dict[str, Any] = {"model": model}
    settings = {key: value for key, value in config.items() if value is not None}
    if settings:  # an empty config sends the same JSON, after the SDK walked all its fields
        arguments["config"] = types.GenerateVideosConfig(**settings)
    inputs = {
        "prompt": request.prompt,
        "image": _image(types, request.image) if request.image is not None else None,
        "video": _video(types, request.video) if request.video is not None else None,
    }
    inputs = {key: value for key, value in inputs.items() if value is not None}
    if hasattr(types, "GenerateVideosSource"):
        # `source=` avoids the prompt=/image=/video= DeprecationWarning of newer SDKs.
        arguments["source"] = types.GenerateVideosSource(**inputs)
    else:
        arguments.update(inputs)
    return arguments
