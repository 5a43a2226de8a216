"""The fake backend's answers, rendered in the service's JSON shape (as veowrap reads it).

Veo models are answered as long-running operations and ``gemini-*`` models as interactions;
videos are the real MP4 assets of ``veowrap.testing`` (the fake never invents bytes).
"""

from __future__ import annotations

import base64
import importlib.resources
from dataclasses import dataclass
from typing import Any

from veowrap._errors import ConfigurationError
from veowrap._handle import Platform, Route
from veowrap._request import VideoRequest
from veowrap.backends._fake_outcomes import Failure, Filtered, NeverFinishes, Success

__all__ = ["FakeOperation", "asset_video", "render"]

_DURATIONS = (4, 5, 6, 7, 8)
_MIME = "video/mp4"


@dataclass
class FakeOperation:
    """One operation the fake created: what it will end as, and when."""

    name: str
    route: Route
    model: str
    outcome: Success | Failure | Filtered | NeverFinishes
    request: VideoRequest
    done_at: float
    cancelled: bool = False


def render(
    operation: FakeOperation, done: bool, platform: Platform, blobs: dict[str, bytes]
) -> dict[str, Any]:
    """The operation (or interaction) as the service's JSON, as a poll would read it now."""
    if operation.route == "interactions":
        return _interaction(operation, done, platform, blobs)
    wire: dict[str, Any] = {"name": operation.name, "done": done}
    if not wire["done"]:
        return wire
    outcome = operation.outcome
    if operation.cancelled:
        wire["error"] = {"code": 1, "message": "The operation was cancelled."}
    elif isinstance(outcome, Failure):
        wire["error"] = {"code": outcome.code, "message": outcome.message}
    elif isinstance(outcome, Filtered):
        wire["response"] = {
            "videos": [],
            "raiMediaFilteredCount": outcome.count or len(outcome.reasons) or 1,
            "raiMediaFilteredReasons": list(outcome.reasons),
        }
    elif isinstance(outcome, Success):
        wire["response"] = _success(operation, outcome, platform, blobs)
    return wire


def _interaction(
    operation: FakeOperation, done: bool, platform: Platform, blobs: dict[str, bytes]
) -> dict[str, Any]:
    wire: dict[str, Any] = {
        "id": operation.name,
        "object": "interaction",
        "model": operation.model,
        "status": "in_progress",
    }
    outcome = operation.outcome
    if not done:
        return wire
    if operation.cancelled:
        wire["status"] = "cancelled"
    elif isinstance(outcome, Failure):
        wire["status"] = "failed"
        wire["errors"] = [{"code": outcome.code, "message": outcome.message}]
    else:
        content: list[dict[str, Any]] = []
        if isinstance(outcome, Success):
            for video in _videos(operation, outcome, platform, blobs):
                if "bytesBase64Encoded" in video:
                    content.append({"type": "video", "data": video["bytesBase64Encoded"]})
                else:
                    content.append({"type": "video", "uri": video.get("gcsUri", video.get("uri"))})
                content[-1]["mime_type"] = _MIME
        wire["status"] = "completed"
        wire["steps"] = [{"type": "model_output", "content": content}]
    return wire


def _success(
    operation: FakeOperation, outcome: Success, platform: Platform, blobs: dict[str, bytes]
) -> dict[str, Any]:
    response: dict[str, Any] = {"videos": _videos(operation, outcome, platform, blobs)}
    if outcome.filtered:
        response["raiMediaFilteredCount"] = outcome.filtered
        response["raiMediaFilteredReasons"] = ["A video was withheld by safety filters."]
    return response


def _videos(
    operation: FakeOperation, outcome: Success, platform: Platform, blobs: dict[str, bytes]
) -> list[dict[str, Any]]:
    request = operation.request
    count = outcome.videos or request.number_of_videos or 1
    data = asset_video(request.aspect_ratio or "16:9", request.duration_seconds or 8)
    videos: list[dict[str, Any]] = []
    for index in range(count):
        if outcome.inline:
            videos.append({"bytesBase64Encoded": _b64(data), "mimeType": _MIME})
            continue
        uri = _uri(operation, index, platform)
        blobs[uri] = data
        key = "gcsUri" if platform == "vertex" else "uri"
        videos.append({key: uri, "mimeType": _MIME})
    return videos


def _uri(operation: FakeOperation, index: int, platform: Platform) -> str:
    op_id = operation.name.rsplit("/", 1)[-1]
    if platform == "vertex":
        base = (operation.request.output_gcs_uri or "gs://fake-bucket/").rstrip("/")
        return f"{base}/{op_id}/sample_{index}.mp4"
    return (
        "https://generativelanguage.googleapis.com/v1beta/files/"
        f"{op_id.replace('-', '')}{index}:download?alt=media"
    )


def asset_video(aspect_ratio: str = "16:9", duration_seconds: int = 8) -> bytes:
    """A real MP4 from ``veowrap.testing``'s assets, the closest to the asked shape.

    Args:
        aspect_ratio: ``"9:16"`` for portrait; anything else is landscape.
        duration_seconds: The nearest of the 4–8 s assets is used.

    Raises:
        ConfigurationError: The assets are not installed (veowrap never invents video bytes).
    """
    shape = "9x16" if aspect_ratio == "9:16" else "16x9"
    duration = min(_DURATIONS, key=lambda d: (abs(d - duration_seconds), d))
    try:
        resource = importlib.resources.files("veowrap.testing") / "assets"
        return (resource / f"veo_{shape}_{duration}s.mp4").read_bytes()
    except (ModuleNotFoundError, FileNotFoundError, NotADirectoryError) as error:
        raise ConfigurationError(
            "FakeBackend needs the MP4 assets of veowrap.testing, which are not installed.",
            hint="Install veowrap from a complete wheel or source checkout "
            "(veowrap/testing/assets/*.mp4).",
        ) from error


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
