"""Server-side checks of a Veo `predictLongRunning` body against `_capabilities`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ._capabilities import VEO_MODELS, Platform, VeoCaps
from ._errors import invalid_argument, not_found

#: Extension lengths Vertex AI accepts (its page documents +7 s a step; 4-8 s are not refused).
VERTEX_EXTENSION_DURATIONS = frozenset({4, 5, 6, 7, 8})


@dataclass(frozen=True)
class VeoRequest:
    """The parts of a validated create request the emulator needs later."""

    model: str
    sample_count: int
    duration_s: int
    aspect_ratio: str
    storage_uri: str | None


def _lookup(model: str, platform: Platform, api_version: str, resource: str) -> VeoCaps:
    caps = VEO_MODELS.get(model)
    state = caps.lifecycle.get(platform) if caps else None
    if caps is None or state is None:
        if platform == "vertex":
            raise not_found(
                f"Publisher Model `{resource}` was not found or your project does not have "
                "access to it. Please ensure you are using a valid model version."
            )
        raise not_found(
            f"models/{model} is not found for API version {api_version}, or is not supported "
            "for predictLongRunning. Call ListModels to see the list of available models and "
            "their supported methods."
        )
    if state == "retired":
        raise not_found(
            f"models/{model} is no longer available. Please use a newer model; see "
            "https://ai.google.dev/gemini-api/docs/deprecations."
        )
    return caps


def _choice(name: str, value: Any, allowed: frozenset[Any], model: str) -> None:
    if value not in allowed:
        options = ", ".join(str(v) for v in sorted(allowed))
        raise invalid_argument(
            f"parameters.{name}: {value!r} is not supported by {model}; "
            f"supported values: {options}."
        )


def validate_veo(
    body: Any, *, model: str, platform: Platform, api_version: str, resource: str
) -> VeoRequest:
    """Validates a create body the way Google's servers do.

    Args:
        body: Parsed JSON body.
        model: Model id from the path.
        platform: Which API the request came through.
        api_version: API version from the path (used in the not-found message).
        resource: Full model resource (used in the Vertex not-found message).

    Returns:
        The request fields the emulator needs to produce the videos.

    Raises:
        GoogleError: 404 for unknown/retired models, 400 naming the offending field.
    """
    caps = _lookup(model, platform, api_version, resource)
    if not isinstance(body, dict):
        raise invalid_argument("Invalid JSON payload received: expected an object.")
    instances = body.get("instances")
    if not isinstance(instances, list) or len(instances) != 1 or not isinstance(instances[0], dict):
        raise invalid_argument("instances: exactly one instance is required.")
    instance: dict[str, Any] = instances[0]
    params = body.get("parameters") or {}
    if not isinstance(params, dict):
        raise invalid_argument("parameters: expected an object.")
    if not any(k in instance for k in ("prompt", "image", "video")):
        raise invalid_argument("instances[0].prompt: a prompt, image or video is required.")

    has_refs = bool(instance.get("referenceImages"))
    has_last = "lastFrame" in instance
    has_video = "video" in instance
    if has_refs and platform not in caps.reference_images:
        raise invalid_argument(f"instances[0].referenceImages: not supported by {model}.")
    if has_refs and len(instance["referenceImages"]) > 3:
        raise invalid_argument("instances[0].referenceImages: at most 3 images are allowed.")
    if has_last and not caps.last_frame:
        raise invalid_argument(f"instances[0].lastFrame: not supported by {model}.")
    if has_video and not caps.extension:
        raise invalid_argument(f"instances[0].video: video extension is not supported by {model}.")

    duration = params.get("durationSeconds", caps.default_duration)
    if not isinstance(duration, int) or isinstance(duration, bool):
        raise invalid_argument(
            f"parameters.durationSeconds: expected an integer, got {duration!r}."
        )
    durations = caps.durations
    if has_video and platform == "vertex":
        # Vertex's extension page: each step adds 7 s (Google's veo3_advanced_controls notebook
        # sends duration_seconds=7); its other lengths are not documented, so none is refused.
        durations = VERTEX_EXTENSION_DURATIONS
    if duration not in durations:
        # Google's wording (real capture: tests/emulator/real_payloads/gemini_400_duration.json);
        # it says "between 4 and 8" even for 5 on a model taking 4, 6 and 8.
        raise invalid_argument(
            f"The number value for `durationSeconds` is out of bound. Please provide a value "
            f"between {min(durations)} and {max(durations)}, inclusive."
        )
    aspect = params.get("aspectRatio", "16:9")
    _choice("aspectRatio", aspect, caps.aspect_ratios, model)
    resolution = params.get("resolution", "720p")
    _choice("resolution", resolution, caps.resolutions, model)
    samples = params.get("sampleCount", 1)
    max_samples = caps.max_samples[platform]
    if not isinstance(samples, int) or not 1 <= samples <= max_samples:
        raise invalid_argument(
            f"parameters.sampleCount: {samples!r} is out of range; {model} allows 1 to "
            f"{max_samples} on this API."
        )
    _family_rules(
        caps, model, platform, duration, aspect, resolution, has_refs, has_last, has_video
    )

    storage_uri = params.get("storageUri")
    if storage_uri is not None and (
        not isinstance(storage_uri, str) or not storage_uri.startswith("gs://")
    ):
        raise invalid_argument("parameters.storageUri: must be a gs:// URI.")
    return VeoRequest(model, samples, duration, aspect, storage_uri)


def _family_rules(
    caps: VeoCaps,
    model: str,
    platform: Platform,
    duration: int,
    aspect: str,
    resolution: str,
    has_refs: bool,
    has_last: bool,
    has_video: bool,
) -> None:
    """Cross-field rules from Google's capability tables and samples.

    The Gemini API's page ties 1080p, 4k, reference images, last frames and extension to 8 s.
    Vertex AI differs, and Google's own Vertex notebooks (GoogleCloudPlatform/generative-ai,
    vision/getting-started/veo3_*.ipynb) send what the Gemini API's rules would refuse: 1080p
    at 6 s, a first and last frame at 6 s, an extension of 7 s, reference images at 9:16.
    """
    if caps.family == "veo3" and resolution == "1080p" and aspect != "16:9":
        raise invalid_argument(
            f"parameters.resolution: 1080p on {model} requires aspectRatio 16:9."
        )
    if caps.family != "veo31":
        return
    vertex = platform == "vertex"
    eight_only = ("4k",) if vertex else ("1080p", "4k")
    if resolution in eight_only and duration != 8:
        raise invalid_argument(
            f"parameters.resolution: {resolution} on {model} requires durationSeconds 8."
        )
    needs_eight = has_refs or (not vertex and (has_last or has_video))
    if needs_eight and duration != 8:
        field = "referenceImages" if has_refs else "lastFrame" if has_last else "video"
        raise invalid_argument(
            f"parameters.durationSeconds: must be 8 when instances[0].{field} is given "
            f"(got {duration})."
        )
    if has_refs and aspect != "16:9" and not vertex:
        raise invalid_argument("parameters.aspectRatio: referenceImages require 16:9.")
    if has_video and resolution != "720p":
        raise invalid_argument("parameters.resolution: video extension supports 720p only.")
