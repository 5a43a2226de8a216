"""The keyword arguments that build a `VideoRequest`, typed for type checkers and IDEs.

``generate(prompt, **fields)`` and ``VideoRequest(**fields)`` take these keywords. The
pydantic model stays the single source of the rules; these ``TypedDict``s only describe what a
caller may pass (a path or bytes where the model stores an :class:`~veowrap.Image`, for
example). ``tests/core/test_request_fields.py`` keeps both in step, field by field.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from os import PathLike
from typing import Literal, TypedDict, Union

from veowrap._media import Image, Video
from veowrap._request import (
    AspectRatio,
    CompressionQuality,
    MaskMode,
    PersonGeneration,
    ResizeMode,
    Resolution,
)
from veowrap._request import ReferenceImage as _ReferenceImageModel
from veowrap._request import VideoMask as _MaskModel
from veowrap._request import Webhook as _WebhookModel

__all__ = ["ImageSource", "RequestFields", "RequestOptions", "VideoSource"]


# What an image or video field accepts: the model, a path, a gs:// or Files API URI, or bytes.
ImageSource = Union[Image, str, "PathLike[str]", bytes, bytearray, memoryview]
VideoSource = Union[Video, str, "PathLike[str]", bytes, bytearray, memoryview]


class _ReferenceImageFields(TypedDict, total=False):
    image: ImageSource
    reference_type: Literal["asset", "style"]


class _MaskFields(TypedDict):
    image: ImageSource
    mode: MaskMode


class _WebhookFields(TypedDict, total=False):
    uris: Sequence[str]
    user_metadata: Mapping[str, str]


class RequestOptions(TypedDict, total=False):
    """Every :class:`~veowrap.VideoRequest` field except ``prompt`` (a positional argument).

    See :class:`~veowrap.VideoRequest` for what each field means and allows.
    """

    model: str | None
    negative_prompt: str | None
    number_of_videos: int | None
    duration_seconds: int | None
    aspect_ratio: AspectRatio | None
    resolution: Resolution | None
    person_generation: PersonGeneration | None
    seed: int | None
    fps: int | None
    generate_audio: bool | None
    enhance_prompt: bool | None
    output_gcs_uri: str | None
    compression_quality: CompressionQuality | None
    resize_mode: ResizeMode | None
    labels: Mapping[str, str] | None
    webhook: _WebhookModel | _WebhookFields | str | None
    image: ImageSource | None
    last_frame: ImageSource | None
    reference_images: Sequence[_ReferenceImageModel | _ReferenceImageFields | ImageSource]
    video: VideoSource | None
    mask: _MaskModel | _MaskFields | None


class RequestFields(RequestOptions, total=False):
    """Every :class:`~veowrap.VideoRequest` field, as keyword arguments."""

    prompt: str | None
