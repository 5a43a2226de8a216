"""Reading operations and interactions into one neutral status, whatever SDK made them.

Objects are read by attribute (duck typing), so google-genai's ``GenerateVideosOperation`` on
any version, its ``Interaction`` objects, and plain parsed JSON all work. A response that does
not have the expected shape raises :class:`MalformedResponse` rather than ``AttributeError`` or
``IndexError``.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from veowrap._redact import redact

__all__ = ["MalformedResponse", "OperationStatus", "VideoRef", "read_interaction", "read_operation"]

State = Literal["running", "succeeded", "failed", "cancelled"]

_INTERACTION_RUNNING = frozenset({"in_progress", "queued", "idle", "requires_continuation"})
_INTERACTION_FAILED = frozenset(
    {"failed", "incomplete", "budget_exceeded", "requires_action", "expired"}
)


_SAFETY_CODES = frozenset({"SAFETY", "BLOCKED", "PROHIBITED_CONTENT", "RAI_FILTERED"})


class MalformedResponse(ValueError):
    """The service's answer did not have the shape of an operation or interaction."""


@dataclass(frozen=True)
class VideoRef:
    """Where a finished video is: inline bytes, a Files API URI or a ``gs://`` URI."""

    uri: str | None = None
    data: bytes | None = field(default=None, repr=False)
    mime_type: str | None = None

    def __post_init__(self) -> None:
        if self.uri is None and self.data is None:
            raise MalformedResponse("a generated video has neither bytes nor a URI")

    def __repr__(self) -> str:
        # A URI may carry a signed query (key=, access_token=); reprs end up in logs.
        return redact(f"VideoRef(uri={self.uri!r}, mime_type={self.mime_type!r})")


@dataclass(frozen=True)
class OperationStatus:
    """A neutral view of an operation or interaction at one point in time."""

    name: str
    done: bool
    state: State
    videos: tuple[VideoRef, ...] = ()
    filtered_count: int = 0
    filtered_reasons: tuple[str, ...] = ()
    error_code: int | str | None = None
    error_message: str | None = None
    raw_state: str | None = None

    def __repr__(self) -> str:
        # Server-supplied text (messages, reasons, URIs) may echo a credential.
        fields = ", ".join(
            f"{name}={getattr(self, name)!r}"
            for name in (
                "name",
                "done",
                "state",
                "videos",
                "filtered_count",
                "filtered_reasons",
                "error_code",
                "error_message",
                "raw_state",
            )
        )
        return redact(f"OperationStatus({fields})")


def _get(obj: Any, *names: str) -> Any:
    """First present attribute or key among ``names`` (SDK objects and JSON alike)."""
    for name in names:
        value = obj.get(name) if isinstance(obj, Mapping) else getattr(obj, name, None)
        if value is not None:
            return value
    return None


def read_operation(operation: Any) -> OperationStatus:
    """Reads a Veo long-running operation (Gemini API or Vertex AI)."""
    name = _get(operation, "name")
    if not isinstance(name, str) or not name:
        raise MalformedResponse("the operation has no name")
    if not _get(operation, "done"):
        return OperationStatus(name=name, done=False, state="running")
    error = _get(operation, "error")
    if error:
        return OperationStatus(
            name=name,
            done=True,
            state="failed",
            error_code=_get(error, "code"),
            error_message=str(_get(error, "message") or "the operation failed"),
        )
    response = _get(operation, "response", "result")
    if response is None:
        raise MalformedResponse("the operation is done but has neither a response nor an error")
    # Raw Gemini API JSON nests the payload one level deeper than the SDK's objects.
    response = _get(response, "generateVideoResponse") or response
    samples = _get(response, "generated_videos", "generatedSamples", "videos") or ()
    if not isinstance(samples, Sequence):
        raise MalformedResponse("the operation's videos are not a list")
    videos = tuple(_video_from_sample(sample) for sample in samples)
    reasons = _get(response, "rai_media_filtered_reasons", "raiMediaFilteredReasons") or ()
    count = _get(response, "rai_media_filtered_count", "raiMediaFilteredCount") or 0
    if not isinstance(count, int) or not isinstance(reasons, Sequence):
        raise MalformedResponse("the operation's filter report is not readable")
    return OperationStatus(
        name=name,
        done=True,
        state="succeeded",
        videos=videos,
        filtered_count=count if count else (len(reasons) if not videos else 0),
        filtered_reasons=tuple(str(reason) for reason in reasons),
    )


def _video_from_sample(sample: Any) -> VideoRef:
    video = _get(sample, "video") or sample
    uri = _get(video, "uri", "gcsUri")
    data = _get(video, "video_bytes", "bytesBase64Encoded", "encodedVideo")
    if isinstance(data, str):
        data = _b64(data)
    if uri is not None and not isinstance(uri, str):
        raise MalformedResponse("a video URI is not a string")
    if data is not None and not isinstance(data, bytes):
        raise MalformedResponse("a video's bytes are not bytes")
    mime = _get(video, "mime_type", "mimeType", "encoding")
    return VideoRef(uri=uri, data=data or None, mime_type=str(mime) if mime else None)


def read_interaction(interaction: Any) -> OperationStatus:
    """Reads an Interactions API interaction (Gemini API video models)."""
    name = _get(interaction, "id", "name")
    if not isinstance(name, str) or not name:
        raise MalformedResponse("the interaction has no id")
    raw = _get(interaction, "status")
    state = str(getattr(raw, "value", raw)) if raw is not None else None
    if state is None:
        raise MalformedResponse("the interaction has no status")
    if state in _INTERACTION_RUNNING:
        return OperationStatus(name=name, done=False, state="running", raw_state=state)
    if state == "cancelled":
        return OperationStatus(
            name=name, done=True, state="cancelled", raw_state=state, error_message="cancelled"
        )
    steps = _get(interaction, "steps") or _get(
        getattr(interaction, "model_extra", None) or {}, "steps"
    )
    step_error = None
    contents: list[Any] = []
    for step in _sequence(steps, "steps"):
        if _get(step, "type") == "model_output":
            step_error = _get(step, "error") or step_error
            contents.extend(_sequence(_get(step, "content"), "a step's content"))
    if state in _INTERACTION_FAILED or state != "completed":
        errors = _sequence(_get(interaction, "errors"), "errors")
        first = errors[0] if errors else step_error
        code = _get(first, "code") if first is not None else None
        if isinstance(code, str) and code.upper() in _SAFETY_CODES:
            # Blocked by safety filters: not billed, and reported like Veo's filtered videos.
            reason = str(_get(first, "message") or "blocked by safety filters")
            return OperationStatus(
                name=name,
                done=True,
                state="succeeded",
                filtered_count=1,
                filtered_reasons=(reason,),
                raw_state=state,
            )
        return OperationStatus(
            name=name,
            done=True,
            state="failed",
            raw_state=state,
            error_code=_get(first, "code") if first is not None else state,
            error_message=str(_get(first, "message") or f"the interaction ended as {state}")
            if first is not None
            else f"the interaction ended as {state}",
        )
    videos = []
    for item in contents:
        if _get(item, "type") != "video":
            continue
        data = _get(item, "data")
        videos.append(
            VideoRef(
                uri=_get(item, "uri"),
                data=_b64(data) if isinstance(data, str) else data,
                mime_type=_get(item, "mime_type", "mimeType"),
            )
        )
    if not videos and step_error is not None:
        return OperationStatus(
            name=name,
            done=True,
            state="failed",
            raw_state=state,
            error_code=_get(step_error, "code"),
            error_message=str(_get(step_error, "message") or "no video was produced"),
        )
    return OperationStatus(
        name=name,
        done=True,
        state="succeeded",
        videos=tuple(videos),
        filtered_count=0 if videos else 1,
        filtered_reasons=() if videos else ("the interaction completed without a video",),
        raw_state=state,
    )


def _sequence(value: Any, what: str) -> Sequence[Any]:
    """``value`` as a list-like, or a MalformedResponse (a string or a mapping is not one)."""
    if value is None:
        return ()
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Sequence):
        raise MalformedResponse(f"the interaction's {what} is not a list")
    return value


def _b64(text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as error:
        raise MalformedResponse("a video's base64 data is not valid") from error
