"""Which request fields each platform accepts, checked before anything is sent.

google-genai raises a late ``ValueError`` for Vertex-only parameters on the Gemini API (and
vice versa); veowrap refuses them up front with a :class:`RequestValidationError` that names
the field and the way out.
"""

from __future__ import annotations

from veowrap._errors import RequestValidationError
from veowrap._handle import Platform
from veowrap._request import VideoRequest

__all__ = ["check_platform"]

# Fields google-genai accepts only on Vertex AI (models.py `_GenerateVideosConfig_to_mldev`).
_VERTEX_ONLY = (
    "seed",
    "fps",
    "generate_audio",
    "output_gcs_uri",
    "compression_quality",
    "labels",
    "resize_mode",
    "mask",
)


def check_platform(request: VideoRequest, platform: Platform) -> None:
    """Raises :class:`RequestValidationError` for a field ``platform`` cannot take."""
    if platform == "gemini":
        for name in _VERTEX_ONLY:
            value = getattr(request, name)
            if value is not None:
                raise RequestValidationError(
                    name,
                    value,
                    "only on Vertex AI",
                    reason="the Gemini API does not take this parameter",
                    hint="Use Vertex AI (VideoGenerator(vertexai=True, project=..., "
                    f"location=...)) or drop {name}=.",
                )
        for index, reference in enumerate(request.reference_images):
            if reference.reference_type == "style":
                raise RequestValidationError(
                    f"reference_images.{index}.reference_type",
                    "style",
                    "'asset' on the Gemini API ('style' only on Vertex AI)",
                )
        for field, image in (("image", request.image), ("last_frame", request.last_frame)):
            if image is not None and image.is_gcs:
                raise RequestValidationError(
                    field,
                    image.uri,
                    "a path or bytes on the Gemini API (gs:// URIs only on Vertex AI)",
                )
    elif request.webhook is not None:
        raise RequestValidationError(
            "webhook",
            request.webhook.uris,
            "only on the Gemini API",
            hint="On Vertex AI use a Pub/Sub notification, or poll with wait().",
        )
