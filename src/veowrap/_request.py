"""`VideoRequest`: everything one generation asks for, validated before anything is sent."""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from typing_extensions import Unpack

from veowrap._core import validation
from veowrap._errors import RequestValidationError
from veowrap._media import ImageInput, VideoInput

if TYPE_CHECKING:
    from veowrap._request_fields import RequestFields

__all__ = [
    "AspectRatio",
    "CompressionQuality",
    "MaskMode",
    "PersonGeneration",
    "ReferenceImage",
    "ResizeMode",
    "Resolution",
    "VideoMask",
    "VideoRequest",
    "Webhook",
]

AspectRatio = Literal["16:9", "9:16"]
Resolution = Literal["360p", "720p", "1080p", "4k"]
PersonGeneration = Literal["allow_all", "allow_adult", "dont_allow"]
MaskMode = Literal["insert", "remove", "remove_static", "outpaint"]
CompressionQuality = Literal["optimized", "lossless"]
ResizeMode = Literal["crop", "pad"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    def __init__(self, /, **data: Any) -> None:
        try:
            super().__init__(**data)
        except ValidationError as error:
            raise _to_request_error(error, type(self).__name__) from None


class ReferenceImage(_Frozen):
    """An image that guides the video's subject (``asset``) or look (``style``, Vertex only)."""

    image: ImageInput
    reference_type: Literal["asset", "style"] = "asset"

    @model_validator(mode="before")
    @classmethod
    def _bare_image(cls, value: Any) -> Any:
        # A bare image (path, bytes, URI) is an asset reference: the common case reads simply.
        if isinstance(value, (dict, ReferenceImage)):
            return value
        return {"image": value}


class VideoMask(_Frozen):
    """A mask for video editing on Vertex AI (insert, remove or outpaint a region)."""

    image: ImageInput
    mode: MaskMode


class Webhook(_Frozen):
    """Where the Gemini API should call back when the operation finishes.

    A bare URL string is accepted wherever a ``Webhook`` is (``webhook="https://…/hook"``).
    """

    uris: tuple[str, ...] = Field(min_length=1, max_length=10)
    user_metadata: dict[str, str] = Field(default_factory=dict)

    @field_validator("uris", mode="before")
    @classmethod
    def _endpoints(cls, value: Any) -> Any:
        # Before pydantic's own checks (e.g. at most 10), whose refusals quote the input.
        from veowrap._core.webhooks import check_urls

        if not isinstance(value, list | tuple) or not all(isinstance(u, str) for u in value):
            return value  # pydantic refuses the type
        try:
            check_urls("uris", tuple(value), hint="Give the HTTPS URL Google should call.")
        except RequestValidationError as error:
            # Raised inside a validator: _to_request_error unwraps it unchanged, so a URL is
            # only ever shown with its credentials masked.
            raise _Combination(error) from None
        return value


class VideoRequest(_Frozen):
    """One video generation request.

    Every field is checked when the request is built, before any network call; a bad value
    raises :class:`~veowrap.RequestValidationError` naming the field, the value and what is
    allowed. Whether a *model* or *platform* accepts a field is checked when the request is
    submitted.

    Images and videos accept a path, bytes, or a ``gs://`` / Files API URI; the MIME type is
    read from the content when not given.

    Example:
        >>> req = VideoRequest(prompt="a paper boat on a rainy street", duration_seconds=8)
        >>> req.aspect_ratio is None
        True
    """

    prompt: str | None = None
    model: str | None = None
    negative_prompt: str | None = None
    number_of_videos: int | None = Field(default=None, ge=1, le=4)
    duration_seconds: int | None = Field(default=None, ge=1, le=60)
    aspect_ratio: AspectRatio | None = None
    resolution: Resolution | None = None
    person_generation: PersonGeneration | None = None
    seed: int | None = Field(default=None, ge=0, le=4_294_967_295)
    fps: int | None = Field(default=None, ge=1, le=60)
    generate_audio: bool | None = None
    enhance_prompt: bool | None = None
    output_gcs_uri: str | None = None
    compression_quality: CompressionQuality | None = None
    resize_mode: ResizeMode | None = None
    labels: dict[str, str] | None = None
    webhook: Webhook | None = None

    image: ImageInput | None = None
    last_frame: ImageInput | None = None
    # No count limit here: how many a model takes is the catalog's rule, graded per model.
    reference_images: tuple[ReferenceImage, ...] = ()
    video: VideoInput | None = None
    mask: VideoMask | None = None

    def __init__(self, /, **fields: Unpack[RequestFields]) -> None:
        super().__init__(**fields)

    @field_validator("webhook", mode="before")
    @classmethod
    def _webhook_url(cls, value: Any) -> Any:
        # ``webhook="https://example.com/hook"``: one URL, no metadata.
        return {"uris": (value,)} if isinstance(value, str) else value

    @field_validator("prompt", "negative_prompt")
    @classmethod
    def _text(cls, value: str | None) -> str | None:
        if value is not None:
            if not value.strip():
                raise ValueError("must not be blank")
            problem = validation.text_problem(value)
            if problem is not None:
                raise ValueError(f"cannot be sent: {problem}")
            # Only a structural cap against absurd input: each model's prompt limit is the
            # catalog's (prompt_max_tokens), graded, so an undocumented one warns and sends.
            most = validation.MAX_PROMPT_CHARS
            if len(value) > most:
                raise ValueError(f"is {len(value):,} characters; at most {most:,}")
        return value

    @field_validator("model")
    @classmethod
    def _model(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            return validation.model_id("model", value)
        except RequestValidationError as error:
            raise _Combination(error) from None

    @field_validator("output_gcs_uri")
    @classmethod
    def _gcs(cls, value: str | None) -> str | None:
        if value is not None and (not value.startswith("gs://") or len(value) <= len("gs://")):
            raise ValueError("must be a Cloud Storage prefix such as 'gs://my-bucket/videos/'")
        return value

    @field_validator("labels")
    @classmethod
    def _labels(cls, value: dict[str, str] | None) -> dict[str, str] | None:
        for key in value or {}:
            problem = validation.label_key_problem(key)
            if problem is not None:
                raise _combo(
                    "labels",
                    value,
                    validation.LABEL_KEY_ALLOWED,
                    reason=f"the key {key!r}: {problem}",
                    hint="Google Cloud label keys use lower-case letters, digits, '_' and '-', "
                    "e.g. 'team'.",
                )
        return value

    @model_validator(mode="after")
    def _combinations(self) -> VideoRequest:
        if self.prompt is None and self.image is None and self.video is None:
            raise _combo("prompt", None, "a prompt, an image or a video to extend")
        if self.last_frame is not None and self.image is None:
            raise _combo(
                "last_frame",
                self.last_frame,
                "a last frame together with a first frame (image=)",
                hint="Pass image= for the first frame as well.",
            )
        if self.video is not None and self.image is not None:
            raise _combo(
                "image",
                self.image,
                "either a first-frame image or a video to extend, not both",
            )
        if self.reference_images and (self.image is not None or self.video is not None):
            raise _combo(
                "reference_images",
                f"{len(self.reference_images)} image(s)",
                "reference images with a text prompt only (no first frame or video)",
            )
        return self

    @property
    def inputs(self) -> tuple[str, ...]:
        """The kinds of input this request carries, e.g. ``("text", "image", "last_frame")``."""
        kinds = [
            name
            for name, present in (
                ("text", self.prompt is not None),
                ("image", self.image is not None),
                ("last_frame", self.last_frame is not None),
                ("reference_images", bool(self.reference_images)),
                ("video", self.video is not None),
                ("mask", self.mask is not None),
            )
            if present
        ]
        return tuple(kinds)

    def fingerprint(self) -> str:
        """A stable digest of the request's content, for journals and handles.

        Two requests with the same fields and the same input bytes share a fingerprint.
        """
        payload = self.model_dump(mode="json", exclude_none=True)
        text = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:32]

    def __repr__(self) -> str:
        fields = ", ".join(
            f"{name}={value!r}"
            for name, value in self.__dict__.items()
            if value is not None and value != ()
        )
        return f"VideoRequest({fields})"


def _combo(
    field: str, value: Any, allowed: str, *, hint: str | None = None, reason: str | None = None
) -> ValueError:
    # Raised inside a validator, so pydantic wraps it; _to_request_error unwraps the original.
    return _Combination(RequestValidationError(field, value, allowed, hint=hint, reason=reason))


class _Combination(ValueError):
    def __init__(self, error: RequestValidationError) -> None:
        super().__init__(error.message)
        self.error = error


def _to_request_error(error: ValidationError, model_name: str) -> RequestValidationError:
    first = error.errors(include_url=False)[0]
    ctx = first.get("ctx") or {}
    original = ctx.get("error")
    if isinstance(original, _Combination):
        return original.error
    field = ".".join(str(part) for part in first["loc"]) or model_name
    if isinstance(original, RequestValidationError):
        # A nested model (a mask, a reference image) refused its own field: keep its words.
        nested = f"{field}.{original.field}" if field != model_name else original.field
        return RequestValidationError(
            nested, original.value, original.allowed, hint=original.hint, reason=original.reason
        )
    kind = first["type"]
    message = first["msg"].removeprefix("Value error, ")
    if kind == "extra_forbidden":
        allowed = f"the fields of {model_name}"
        return RequestValidationError(
            field,
            first["input"],
            allowed,
            reason="unknown field",
            hint="Check the spelling; see help(veowrap.VideoRequest) for every field.",
        )
    if kind == "literal_error":
        allowed = message.removeprefix("Input should be ")
        return RequestValidationError(field, first["input"], allowed)
    if kind == "too_short":
        return RequestValidationError(
            field, first["input"], f"at least {ctx['min_length']} item(s)"
        )
    if kind == "too_long":
        return RequestValidationError(field, first["input"], f"at most {ctx['max_length']} items")
    if kind in ("greater_than_equal", "less_than_equal"):
        bound = message.removeprefix("Input should ").removeprefix("be ").removeprefix("have ")
        return RequestValidationError(
            field, first["input"], f"a value {bound}".replace("a value at", "at")
        )
    return RequestValidationError(field, first["input"], _allowed_for(field), reason=message)


def _allowed_for(field: str) -> str:
    base = field.split(".")[0]
    if base in ("image", "last_frame", "video", "mask") or "image" in field:
        return "a path to an existing file, bytes, or a gs:// / Files API URI"
    if base == "output_gcs_uri":
        return "a gs://bucket/prefix/ URI"
    return "see help(veowrap.VideoRequest)"
