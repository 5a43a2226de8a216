"""Image and video inputs: where they come from, what they are, and how big they may be."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, model_validator

__all__ = ["MAX_IMAGE_BYTES", "MAX_VIDEO_BYTES", "Image", "Video", "sniff_mime_type"]

#: Largest inline image accepted (Vertex documents 20 MB for image inputs).
MAX_IMAGE_BYTES = 20 * 1024 * 1024
#: Largest inline video accepted for extension (an input of at most 141 s of Veo output).
MAX_VIDEO_BYTES = 200 * 1024 * 1024

IMAGE_TYPES = ("image/png", "image/jpeg", "image/webp")
VIDEO_TYPES = ("video/mp4", "video/quicktime", "video/webm")

_REMOTE_PREFIXES = ("gs://", "https://", "http://")


def sniff_mime_type(data: bytes) -> str | None:
    """Returns the MIME type that the first bytes of ``data`` announce, if recognised."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data[4:8] == b"ftyp":
        return "video/quicktime" if data[8:10] == b"qt" else "video/mp4"
    if data.startswith(b"\x1a\x45\xdf\xa3"):
        return "video/webm"
    return None


def _agree(sniffed: str, declared: str) -> bool:
    # Video containers overlap (an MP4 may be declared QuickTime); image formats do not.
    kind = sniffed.split("/")[0]
    return kind == declared.split("/")[0] and (kind == "video" or sniffed == declared)


class _Media(BaseModel):
    """Bytes held in memory or a reference to a stored object (``gs://`` or a Files API URI)."""

    model_config = ConfigDict(
        frozen=True, extra="forbid", ser_json_bytes="base64", val_json_bytes="base64"
    )

    data: bytes | None = None
    uri: str | None = None
    mime_type: str | None = None

    kind: ClassVar[Literal["image", "video"]] = "image"

    @classmethod
    def _coerce(cls, value: Any) -> Any:
        if isinstance(value, (cls, dict)):
            return value
        if isinstance(value, (bytes, bytearray, memoryview)):
            return {"data": bytes(value)}
        if isinstance(value, str) and value.startswith(_REMOTE_PREFIXES):
            return {"uri": value}
        if isinstance(value, (str, os.PathLike)):
            path = Path(value)
            try:
                if not path.is_file():
                    raise ValueError(
                        f"no file at {str(path)[:200]!r}; pass a path to an existing file, "
                        "bytes, or a gs:// / Files API URI"
                    )
                return {"data": path.read_bytes()}
            except OSError as error:  # too long a name, no permission, ...
                raise ValueError(f"cannot read {str(path)[:200]!r}: {error.strerror}") from None
        # Anything else (an SDK Image/Video, say) is left for pydantic to refuse with its type.
        return value

    @model_validator(mode="after")
    def _check(self) -> _Media:
        if (self.data is None) == (self.uri is None):
            raise ValueError("give exactly one of data (bytes or a path) or uri")
        allowed = IMAGE_TYPES if self.kind == "image" else VIDEO_TYPES
        limit = MAX_IMAGE_BYTES if self.kind == "image" else MAX_VIDEO_BYTES
        if self.data is not None:
            if not self.data:
                raise ValueError(f"the {self.kind} is empty (0 bytes)")
            if len(self.data) > limit:
                raise ValueError(
                    f"the {self.kind} is {len(self.data):,} bytes; at most {limit:,} bytes "
                    "may be sent inline (upload it to Cloud Storage and pass a gs:// URI)"
                )
            sniffed = sniff_mime_type(self.data)
            if self.mime_type is None:
                if sniffed not in allowed:
                    raise ValueError(
                        f"cannot tell the {self.kind}'s type from its content; supported: "
                        f"{', '.join(allowed)} (pass mime_type= if it is one of these)"
                    )
                object.__setattr__(self, "mime_type", sniffed)
            elif sniffed and self.mime_type in allowed and not _agree(sniffed, self.mime_type):
                raise ValueError(
                    f"mime_type {self.mime_type!r} contradicts the content, which is {sniffed}"
                )
        if self.mime_type is not None and self.mime_type not in allowed:
            raise ValueError(f"mime_type {self.mime_type!r} is not one of {', '.join(allowed)}")
        return self

    @property
    def is_gcs(self) -> bool:
        """Whether this input is a Cloud Storage object (``gs://``)."""
        return self.uri is not None and self.uri.startswith("gs://")

    def __repr__(self) -> str:
        source = f"uri={self.uri!r}" if self.uri else f"{len(self.data or b''):,} bytes"
        return f"{type(self).__name__}({source}, mime_type={self.mime_type!r})"


class Image(_Media):
    """An image input: a first frame, a last frame, a reference image or a mask.

    Build one from a path, bytes or a URI; the MIME type is read from the content when not
    given. Plain paths, bytes and URI strings are accepted wherever an ``Image`` is expected.

    Example:
        >>> Image.model_validate("gs://bucket/cat.png").uri
        'gs://bucket/cat.png'
    """

    kind: ClassVar[Literal["image", "video"]] = "image"

    @model_validator(mode="before")
    @classmethod
    def _from_source(cls, value: Any) -> Any:
        return cls._coerce(value)


class Video(_Media):
    """A video input, such as a Veo-made video to extend."""

    kind: ClassVar[Literal["image", "video"]] = "video"

    @model_validator(mode="before")
    @classmethod
    def _from_source(cls, value: Any) -> Any:
        return cls._coerce(value)


# Field types for requests: an Image/Video, or anything their validators turn into one.
ImageInput = Image
VideoInput = Video
