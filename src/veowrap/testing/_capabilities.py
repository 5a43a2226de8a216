"""The emulator's own table of what each video model accepts.

Deliberately separate from any catalog in the library under test: the emulator plays Google,
so its rules must not move when the library's catalog does. Facts come from Google's model
pages as of 2026-11; update them here when Google changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Platform = Literal["gemini", "vertex"]
Lifecycle = Literal["served", "retired"]


@dataclass(frozen=True)
class VeoCaps:
    """What one Veo model accepts.

    Attributes:
        family: `"veo2"`, `"veo3"` or `"veo31"`; selects family-specific rules.
        durations: Allowed `durationSeconds` values.
        default_duration: Duration used when the request gives none.
        aspect_ratios: Allowed `aspectRatio` values.
        resolutions: Allowed `resolution` values.
        max_samples: Highest `sampleCount` per platform.
        reference_images: Platforms that accept `referenceImages`.
        last_frame: Whether `lastFrame` is accepted.
        extension: Whether an input `video` (extension) is accepted.
        lifecycle: Per-platform state; a platform absent from the map answers 404 not found.
    """

    family: str
    durations: frozenset[int]
    default_duration: int
    aspect_ratios: frozenset[str]
    resolutions: frozenset[str]
    max_samples: dict[Platform, int]
    reference_images: frozenset[Platform]
    last_frame: bool
    extension: bool
    lifecycle: dict[Platform, Lifecycle]


_ASPECTS = frozenset({"16:9", "9:16"})

_VEO2 = VeoCaps(
    family="veo2",
    durations=frozenset({5, 6, 7, 8}),
    default_duration=8,
    aspect_ratios=_ASPECTS,
    resolutions=frozenset({"720p"}),
    max_samples={"gemini": 2, "vertex": 4},
    reference_images=frozenset({"vertex"}),
    last_frame=True,
    extension=False,
    lifecycle={"vertex": "served", "gemini": "retired"},
)

_VEO3 = VeoCaps(
    family="veo3",
    durations=frozenset({4, 6, 8}),
    default_duration=8,
    aspect_ratios=_ASPECTS,
    resolutions=frozenset({"720p", "1080p"}),
    max_samples={"gemini": 1, "vertex": 4},
    reference_images=frozenset(),
    last_frame=True,
    extension=False,
    lifecycle={"vertex": "retired", "gemini": "retired"},
)

_VEO31 = VeoCaps(
    family="veo31",
    durations=frozenset({4, 6, 8}),
    default_duration=8,
    aspect_ratios=_ASPECTS,
    resolutions=frozenset({"720p", "1080p", "4k"}),
    max_samples={"gemini": 1, "vertex": 4},
    reference_images=frozenset({"gemini", "vertex"}),
    last_frame=True,
    extension=True,
    lifecycle={"vertex": "served"},
)


def _with(caps: VeoCaps, lifecycle: dict[Platform, Lifecycle]) -> VeoCaps:
    return VeoCaps(**{**caps.__dict__, "lifecycle": lifecycle})


#: Veo models by id. Preview ids `veo-3.0-generate-preview` and `veo-3.1-generate-preview`
#: were shut down by Google on the Gemini API, but the emulator keeps serving them there so
#: tests can exercise the google-genai 1.x/2.x Gemini-API code path end to end.
VEO_MODELS: dict[str, VeoCaps] = {
    "veo-2.0-generate-001": _VEO2,
    "veo-3.0-generate-001": _VEO3,
    "veo-3.0-fast-generate-001": _VEO3,
    "veo-3.0-generate-preview": _with(_VEO3, {"gemini": "served"}),
    "veo-3.0-fast-generate-preview": _with(_VEO3, {"gemini": "retired"}),
    "veo-3.1-generate-001": _VEO31,
    "veo-3.1-fast-generate-001": _VEO31,
    "veo-3.1-lite-generate-001": _VEO31,
    # Google's Vertex notebooks (veo3_advanced_controls, veo3_reference_to_video, 2026-08) call
    # the 3.1 previews on Vertex AI, so the emulator serves them there too.
    "veo-3.1-generate-preview": _with(_VEO31, {"gemini": "served", "vertex": "served"}),
    "veo-3.1-fast-generate-preview": _with(_VEO31, {"gemini": "retired", "vertex": "served"}),
    "veo-3.1-lite-generate-preview": _with(_VEO31, {"gemini": "retired"}),
}

#: Gemini Omni models served through the Interactions API (both platforms).
OMNI_MODELS: frozenset[str] = frozenset(
    {"gemini-omni-1.2-flash", "gemini-omni-1.1-flash", "gemini-omni-flash-preview"}
)

#: Response-format values the Omni models accept.
OMNI_ASPECT_RATIOS: frozenset[str] = _ASPECTS
OMNI_RESOLUTIONS: frozenset[str] = frozenset({"360p", "720p", "1080p", "4k"})
