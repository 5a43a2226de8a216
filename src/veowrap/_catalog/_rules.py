"""The catalog's rules: every way a request breaks what a model takes on a platform.

Pure functions of a request and a :class:`ModelCapabilities`; each breach is a
:class:`Violation` that :mod:`veowrap._catalog._checking` turns into an error or a warning.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from veowrap._catalog._schema import PLATFORM_NAMES, Evidence, InputKind, ModelCapabilities
from veowrap._errors import RequestValidationError
from veowrap._request import VideoRequest

__all__ = ["INPUT_WORDS", "Violation", "violations"]

_CHARS_PER_TOKEN = 4  # No tokenizer ships with veowrap; characters / 4 is the usual estimate.


@dataclass(frozen=True)
class Violation:
    """One way a request breaks a model's catalog entry (turned into an error or a warning).

    ``evidence`` is the broken rule's: its grade decides between refusing and warning, and its
    source is cited either way.
    """

    field: str
    value: Any
    allowed: str
    reason: str
    wants: str  # What the request asks for, in words, for "X takes <wants>." hints.
    evidence: Evidence
    fallback_hint: str | None = None

    def error(self, hint: str | None) -> RequestValidationError:
        return RequestValidationError(
            self.field,
            self.value,
            self.allowed,
            reason=self.reason,
            hint=hint,
            source=self.evidence.cite(),
        )


def _listing(values: Sequence[Any]) -> str:
    return ", ".join(str(v) for v in values)


INPUT_WORDS: dict[str, str] = {
    "image": "a first-frame image",
    "last_frame": "a last frame",
    "reference_images": "reference images",
    "video": "a video to extend",
    "mask": "a mask",
}


def _person_mode(request: VideoRequest) -> InputKind:
    # The most specific input decides which person_generation values apply.
    order: tuple[InputKind, ...] = ("video", "reference_images", "last_frame", "image")
    for kind in order:
        if kind in request.inputs:
            return kind
    return "text"


def violations(request: VideoRequest, caps: ModelCapabilities) -> list[Violation]:
    """Every way ``request`` breaks ``caps``, in the order a user should fix them."""
    found: list[Violation] = []
    model = caps.model
    for name in caps.unsupported_fields:
        value = getattr(request, name, None)
        if value is not None:
            found.append(
                Violation(
                    name,
                    value,
                    "unset",
                    f"{model} does not take it",
                    name,
                    caps.evidence["unsupported_fields"],
                    fallback_hint=f"Drop {name}=.",
                )
            )
    found += _input_violations(request, caps)
    extension = caps.inputs.video if "video" in request.inputs else None
    for name, key, choices, unit in (
        ("duration_seconds", "durations", caps.durations, " s"),
        ("aspect_ratio", "aspect_ratios", caps.aspect_ratios, ""),
        ("resolution", "resolutions", caps.resolutions, ""),
    ):
        value = getattr(request, name)
        reason = f"{model} does not take it"
        allowed = _listing(choices)
        if name == "duration_seconds" and extension is not None and extension.durations:
            # Extending has its own durations (7 on Vertex AI, 8 on the Gemini API); an unset
            # duration is left to the service, whose default for extension is not published.
            key, choices = "inputs.video", extension.durations
            allowed = f"{_listing(choices)} when extending a video"
            reason = f"{model} extends videos with duration_seconds {_listing(choices)}"
        if value is not None and value not in choices:
            wants = f"{value}{unit}" if name != "aspect_ratio" else f"aspect ratio {value}"
            if key == "inputs.video":
                wants = f"duration_seconds={value!r} with a video to extend"
            found.append(Violation(name, value, allowed, reason, wants, caps.evidence[key]))
    videos = request.number_of_videos
    if videos is not None and videos > caps.max_videos:
        found.append(
            Violation(
                "number_of_videos",
                videos,
                f"1 to {caps.max_videos} on {PLATFORM_NAMES[caps.platform]}",
                f"{model} makes at most {caps.max_videos} per request",
                f"{videos} videos per request",
                caps.evidence["max_videos"],
                fallback_hint="Submit several requests instead.",
            )
        )
    found += _audio_violations(request, caps)
    if request.person_generation is not None and "person_generation" not in caps.unsupported_fields:
        mode = _person_mode(request)
        modes = caps.person_generation.get(mode, ())
        if request.person_generation not in modes:
            words = "text-to-video" if mode == "text" else f"requests with {INPUT_WORDS[mode]}"
            found.append(
                Violation(
                    "person_generation",
                    request.person_generation,
                    _listing(modes) or "unset",
                    f"{model} does not take it for {words}",
                    f"person_generation={request.person_generation!r} for {words}",
                    caps.evidence["person_generation"],
                )
            )
    found += _rule_violations(request, caps)
    found += _size_violations(request, caps)
    return found


def _input_violations(request: VideoRequest, caps: ModelCapabilities) -> list[Violation]:
    found: list[Violation] = []
    supported = caps.input_kinds
    accepted = ", ".join(INPUT_WORDS.get(k, "a text prompt") for k in supported)
    for kind in request.inputs:
        if kind not in supported:
            value = getattr(request, kind)
            if kind == "reference_images":
                value = f"{len(request.reference_images)} image(s)"
            found.append(
                Violation(
                    kind,
                    value,
                    f"inputs: {accepted}",
                    f"{caps.model} does not take {INPUT_WORDS[kind]}",
                    INPUT_WORDS[kind],
                    caps.evidence[f"inputs.{kind}"],
                )
            )
    refs = caps.inputs.reference_images
    evidence = caps.evidence["inputs.reference_images"]
    if refs is not None and request.reference_images:
        count = len(request.reference_images)
        if count > refs.max_count:
            found.append(
                Violation(
                    "reference_images",
                    f"{count} image(s)",
                    f"at most {refs.max_count}",
                    f"{caps.model} takes at most {refs.max_count} reference images",
                    f"{count} reference images",
                    evidence,
                )
            )
        types = [r.reference_type for r in request.reference_images]
        for index, kind in enumerate(types):
            if kind not in refs.types:
                found.append(
                    Violation(
                        f"reference_images.{index}.reference_type",
                        kind,
                        _listing(list(refs.types)),
                        f"{caps.model} does not take {kind} references on "
                        f"{PLATFORM_NAMES[caps.platform]}",
                        f"{kind} reference images",
                        evidence,
                    )
                )
        for kind, most in refs.types.items():
            # A per-type limit as high as the overall one breaks only with it: say it once.
            if types.count(kind) > most and most < refs.max_count:
                found.append(
                    Violation(
                        "reference_images",
                        f"{types.count(kind)} {kind} image(s)",
                        f"at most {most} {kind} image(s)",
                        f"{caps.model} takes at most {most} {kind} reference image(s)",
                        f"{types.count(kind)} {kind} reference images",
                        evidence,
                    )
                )
        if not refs.mixed_types and len(set(types)) > 1:
            found.append(
                Violation(
                    "reference_images",
                    "asset and style images",
                    "references of one type",
                    f"{caps.model} does not mix asset and style references",
                    "mixed asset and style references",
                    evidence,
                )
            )
    return found


def _audio_violations(request: VideoRequest, caps: ModelCapabilities) -> list[Violation]:
    audio = request.generate_audio
    if audio is True and caps.audio == "none":
        return [
            Violation(
                "generate_audio",
                True,
                "False or unset",
                f"{caps.model} makes silent videos",
                "generate_audio=True",
                caps.evidence["audio"],
            )
        ]
    if audio is False and caps.audio == "always":
        return [
            Violation(
                "generate_audio",
                False,
                "True or unset",
                f"{caps.model} always generates audio",
                "generate_audio=False",
                caps.evidence["audio"],
            )
        ]
    return []


def _effective(request: VideoRequest, caps: ModelCapabilities, name: str) -> Any:
    # An unset field takes the service's default, which the rules must also hold for.
    value = getattr(request, name)
    if value is None:
        value = getattr(caps, f"default_{name.removesuffix('_seconds')}", None)
    return value


def _rule_violations(request: VideoRequest, caps: ModelCapabilities) -> list[Violation]:
    found: list[Violation] = []
    for rule in caps.rules:
        triggers: list[str] = []
        for name, values in rule.when.items():
            if name == "input":
                present = [k for k in request.inputs if k in values]
                if not present:
                    break
                triggers.append(" and ".join(INPUT_WORDS[k] for k in present))
            else:
                value = _effective(request, caps, name)
                if value is None or value not in values:
                    break
                triggers.append(f"{name}={value!r}")
        else:
            value = _effective(request, caps, rule.field)
            if value is None or value in rule.allowed:
                continue
            trigger = ", ".join(triggers)
            found.append(
                Violation(
                    rule.field,
                    value,
                    f"{_listing(rule.allowed)} when {trigger}",
                    f"{caps.model} {rule.why}",
                    f"{rule.field}={value!r} with {trigger}",
                    rule.evidence,
                    fallback_hint=f"Set {rule.field} to {_listing(rule.allowed)}, "
                    f"or change {trigger}.",
                )
            )
    return found


def _size_violations(request: VideoRequest, caps: ModelCapabilities) -> list[Violation]:
    found: list[Violation] = []
    limit = caps.prompt_max_tokens
    if limit is not None and request.prompt is not None:
        tokens = math.ceil(len(request.prompt) / _CHARS_PER_TOKEN)
        if tokens > limit:
            found.append(
                Violation(
                    "prompt",
                    request.prompt,
                    f"at most {limit:,} tokens (about {limit * _CHARS_PER_TOKEN:,} characters; "
                    f"veowrap estimates tokens as characters / {_CHARS_PER_TOKEN})",
                    f"it is about {tokens:,} tokens",
                    f"a prompt of about {tokens:,} tokens",
                    caps.evidence["prompt_max_tokens"],
                    fallback_hint="Shorten the prompt.",
                )
            )
    most = caps.max_image_bytes
    if most is not None:
        for name in ("image", "last_frame"):
            image = getattr(request, name)
            if image is not None and image.data is not None and len(image.data) > most:
                found.append(
                    Violation(
                        name,
                        image,
                        f"at most {most:,} bytes",
                        f"{caps.model} takes images up to {most:,} bytes",
                        f"images of {len(image.data):,} bytes",
                        caps.evidence["max_image_bytes"],
                        fallback_hint="Shrink the image or pass a gs:// URI.",
                    )
                )
    return found
