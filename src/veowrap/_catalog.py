"""The model catalog: what each video model accepts, when it shuts down, and what it costs.

The facts live in ``catalog.json`` (packaged data) so that a changed limit, a new model or a
shutdown date is a data edit, not a code change. This module loads that file once, on first use,
into frozen pydantic models and checks requests against it before anything is sent (and paid).

The file is layered to keep it short: a *family* (``veo-3.1``) gives the defaults, a *model*
overrides them (prices, latency), and each *platform* entry overrides again (Vertex AI allows 4
videos per request where the Gemini API allows 1). Nested objects merge; lists replace.

Facts the sources do not confirm are named in a spec's ``unconfirmed`` list. A request that
breaks an unconfirmed fact gets a warning, not an error: refusing a request the service would
have accepted is worse than letting the service refuse it.
"""

from __future__ import annotations

import datetime
import functools
import json
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

from veowrap._errors import RequestValidationError, UnsupportedCapabilityError
from veowrap._handle import Platform, Route
from veowrap._request import AspectRatio, PersonGeneration, Resolution, VideoRequest

__all__ = [
    "AudioMode",
    "Catalog",
    "Extension",
    "InputKind",
    "Inputs",
    "Latency",
    "Lifecycle",
    "ModelCapabilities",
    "ModelInfo",
    "Price",
    "ReferenceImages",
    "Rule",
    "capabilities",
    "check_request",
    "latency",
    "load_catalog",
    "models",
]

InputKind = Literal["text", "image", "last_frame", "reference_images", "video", "mask"]
AudioMode = Literal["none", "optional", "always"]
Stage = Literal["preview", "ga"]

SCHEMA_VERSION = 1
PLATFORM_NAMES: dict[Platform, str] = {"gemini": "the Gemini API", "vertex": "Vertex AI"}
_CHARS_PER_TOKEN = 4  # No tokenizer ships with veowrap; characters / 4 is the usual estimate.


class _Data(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Latency(_Data):
    """How long a generation typically takes, in seconds.

    Shown by ``veowrap models`` and the progress bar's estimate. The poll schedule does not
    read it: one schedule (``PollSchedule()``) serves every model.
    """

    min_s: float
    median_s: float
    max_s: float
    source: str
    confirmed: bool = True


class Price(_Data):
    """A published price per second of output video.

    Attributes:
        resolutions: Output resolutions this price applies to.
        audio: ``True``/``False`` for a price specific to audio on/off; ``None`` when the
            published price does not distinguish.
        usd_per_second: Dollars per output second, or ``None`` when no price is published.
        as_of: When the price was read.
        source: Where it was read.
        confirmed: ``False`` when only third-party pages give it.
        note: Anything else worth knowing (ranges, reported cuts).
    """

    resolutions: tuple[Resolution, ...]
    audio: bool | None = None
    usd_per_second: float | None
    as_of: datetime.date
    source: str
    confirmed: bool
    note: str | None = None


class Lifecycle(_Data):
    """A model's state on one platform."""

    stage: Stage
    shutdown: datetime.date | None = None
    successor: str | None = None
    source: str

    def is_shut_down(self, today: datetime.date) -> bool:
        """Whether the model no longer answers on this platform as of ``today``."""
        return self.shutdown is not None and self.shutdown <= today


class ReferenceImages(_Data):
    """How many reference images a model takes, and of which types (type -> most allowed)."""

    max_count: int
    types: dict[Literal["asset", "style"], int]
    mixed_types: bool = False


class Extension(_Data):
    """Video extension limits (``None`` where not published)."""

    seconds_per_step: int | None
    max_steps: int | None
    max_input_seconds: int | None
    max_output_seconds: int | None
    veo_made_only: bool


class Inputs(_Data):
    """Which inputs a model takes besides a text prompt."""

    image: bool
    last_frame: bool
    reference_images: ReferenceImages | None
    video: Extension | None
    mask: bool


class Rule(_Data):
    """A combination constraint: when ``when`` holds, ``field`` must be in ``allowed``.

    ``when`` maps a request field (``duration_seconds``, ``resolution``, ``aspect_ratio``) or
    ``input`` (the request's input kinds) to the values that trigger the rule.
    """

    when: dict[Literal["duration_seconds", "resolution", "aspect_ratio", "input"], tuple[Any, ...]]
    field: Literal["duration_seconds", "resolution", "aspect_ratio"]
    allowed: tuple[Any, ...]
    why: str


class ModelCapabilities(_Data):
    """Everything the catalog knows about one model on one platform."""

    model: str
    platform: Platform
    family: str
    display_name: str
    route: Route
    durations: tuple[int, ...]
    default_duration: int | None
    aspect_ratios: tuple[AspectRatio, ...]
    default_aspect_ratio: AspectRatio | None
    resolutions: tuple[Resolution, ...]
    default_resolution: Resolution | None
    audio: AudioMode
    default_audio: bool
    max_videos: int
    person_generation: dict[InputKind, tuple[PersonGeneration, ...]]
    inputs: Inputs
    rules: tuple[Rule, ...] = ()
    unsupported_fields: tuple[str, ...] = ()
    prompt_max_tokens: int | None
    max_image_bytes: int | None = None
    latency: Latency
    prices: tuple[Price, ...] = ()
    lifecycle: Lifecycle
    unconfirmed: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def input_kinds(self) -> tuple[InputKind, ...]:
        """The input kinds this model takes, e.g. ``("text", "image", "last_frame")``."""
        inputs = self.inputs
        kinds: list[InputKind] = ["text"]
        if inputs.image:
            kinds.append("image")
        if inputs.last_frame:
            kinds.append("last_frame")
        if inputs.reference_images is not None:
            kinds.append("reference_images")
        if inputs.video is not None:
            kinds.append("video")
        if inputs.mask:
            kinds.append("mask")
        return tuple(kinds)

    def is_live(self, today: datetime.date) -> bool:
        """Whether the model still answers on this platform as of ``today``."""
        return not self.lifecycle.is_shut_down(today)

    def price_for(self, resolution: str, audio: bool) -> Price | None:
        """The price entry for an output resolution and audio setting, if the catalog has one."""
        for price in self.prices:
            if resolution in price.resolutions and price.audio in (None, audio):
                return price
        return None


class ModelInfo(_Data):
    """One model and its capabilities on each platform that offers (or offered) it."""

    id: str
    display_name: str
    family: str
    aliases: tuple[str, ...] = ()
    platforms: dict[Platform, ModelCapabilities]


@dataclass(frozen=True)
class _Violation:
    """One way a request breaks a model's catalog entry (turned into an error or a warning)."""

    field: str
    value: Any
    allowed: str
    reason: str
    wants: str  # What the request asks for, in words, for "X takes <wants>." hints.
    fallback_hint: str | None = None

    def error(self, hint: str | None) -> RequestValidationError:
        return RequestValidationError(
            self.field, self.value, self.allowed, reason=self.reason, hint=hint
        )


class Catalog(_Data):
    """The loaded catalog. Use the module functions for the packaged one."""

    schema_version: int = Field(alias="schema")
    updated: datetime.date
    models: tuple[ModelInfo, ...]
    _by_name: dict[str, ModelInfo] | None = PrivateAttr(default=None)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Catalog:
        """Builds a catalog from the JSON document's structure (layers merged).

        Raises:
            ValueError: The document's schema version is not one this veowrap reads.
        """
        if data.get("schema") != SCHEMA_VERSION:
            raise ValueError(
                f"catalog schema {data.get('schema')!r} is not supported; "
                f"this veowrap reads schema {SCHEMA_VERSION}"
            )
        families: Mapping[str, Any] = data.get("families", {})
        infos = []
        for entry in data["models"]:
            base = _merge(families.get(entry["family"], {}), entry.get("spec", {}))
            platforms = {
                platform: ModelCapabilities.model_validate(
                    {
                        **_merge(base, layer.get("spec", {})),
                        "model": entry["id"],
                        "platform": platform,
                        "family": entry["family"],
                        "display_name": entry["display_name"],
                        "lifecycle": layer["lifecycle"],
                    }
                )
                for platform, layer in entry["platforms"].items()
            }
            infos.append(
                ModelInfo(
                    id=entry["id"],
                    display_name=entry["display_name"],
                    family=entry["family"],
                    aliases=tuple(entry.get("aliases", ())),
                    platforms=platforms,
                )
            )
        return cls.model_validate(
            {"schema": data["schema"], "updated": data["updated"], "models": infos}
        )

    # -- lookups -------------------------------------------------------------------------------

    def get(self, model: str) -> ModelInfo | None:
        """The model with this id or alias (``models/`` and publisher prefixes stripped)."""
        return self._index().get(_bare(model))

    def capabilities(self, model: str, platform: Platform) -> ModelCapabilities | None:
        """A model's capabilities on ``platform``, or ``None`` if the catalog has none."""
        info = self.get(model)
        return None if info is None else info.platforms.get(platform)

    def _index(self) -> dict[str, ModelInfo]:
        # Built on first lookup and kept in a private attribute (not part of the data).
        if self._by_name is None:
            self._by_name = {
                name: info for info in self.models for name in (info.id, *info.aliases)
            }
        return self._by_name

    # -- checking -----------------------------------------------------------------------------

    def check_request(
        self,
        request: VideoRequest,
        model: str,
        platform: Platform,
        *,
        strict: bool = True,
        today: datetime.date | None = None,
    ) -> list[str]:
        """Checks ``request`` against ``model`` on ``platform``; see :func:`check_request`."""
        today = today or datetime.date.today()
        info = self.get(model)
        if info is None:
            return [
                f"model {model!r} is not in veowrap's catalog (updated {self.updated}); "
                "sent unchecked."
            ]
        warnings: list[str] = []
        caps = info.platforms.get(platform)
        if caps is None:
            message, hint = self._not_offered(info, platform, today)
            if strict:
                raise UnsupportedCapabilityError(message, hint=hint)
            return [f"{message} Hint: {hint} Sent anyway (strict=False)."]
        lifecycle = caps.lifecycle
        if lifecycle.shutdown is not None:
            where = PLATFORM_NAMES[platform]
            if lifecycle.is_shut_down(today):
                message = f"{info.id} was shut down on {where} on {lifecycle.shutdown}."
                hint = self._successor_hint(info, platform, today)
                if strict:
                    raise UnsupportedCapabilityError(message, hint=hint)
                warnings.append(f"{message} Hint: {hint} Sent anyway (strict=False).")
            else:
                successor = f"; successor: {lifecycle.successor}" if lifecycle.successor else ""
                warnings.append(
                    f"{info.id} will be shut down on {where} on {lifecycle.shutdown}{successor}."
                )
        for violation in _violations(request, caps):
            confirmed = violation.field.split(".")[0] not in caps.unconfirmed
            error = violation.error(self._suggest(request, caps, violation, today))
            if strict and confirmed:
                raise error
            if confirmed:
                warnings.append(f"{error} Sent anyway (strict=False).")
            else:
                warnings.append(
                    f"{error} This catalog fact is unconfirmed, so the request is sent and the "
                    "service decides."
                )
        return warnings

    def _not_offered(
        self, info: ModelInfo, platform: Platform, today: datetime.date
    ) -> tuple[str, str]:
        where = PLATFORM_NAMES[platform]
        message = f"{info.id} is not offered on {where}."
        live: list[Platform] = [p for p, caps in info.platforms.items() if caps.is_live(today)]
        if live:
            hint = f"Use it on {PLATFORM_NAMES[live[0]]}"
            hint += " (vertexai=True)." if live[0] == "vertex" else "."
        else:
            hint = "Pick a model from veowrap's catalog (docs/models.md)."
        return message, hint

    def _successor_hint(self, info: ModelInfo, platform: Platform, today: datetime.date) -> str:
        successor = info.platforms[platform].lifecycle.successor
        parts = [successor] if successor else []
        for other, caps in info.platforms.items():
            if other == platform:
                continue
            # The same model elsewhere, or failing that its live successor there (Veo moved
            # from the Gemini API to Vertex AI, so that is often the way out).
            if caps.is_live(today):
                parts.append(f"{info.id} on {PLATFORM_NAMES[other]}")
            elif caps.lifecycle.successor:
                heir = self.capabilities(caps.lifecycle.successor, other)
                if heir is not None and heir.is_live(today):
                    parts.append(f"{heir.model} on {PLATFORM_NAMES[other]}")
        if not parts:
            return "Pick a live model from veowrap's catalog (docs/models.md)."
        return f"Use {', or '.join(parts)} instead."

    def _suggest(
        self,
        request: VideoRequest,
        caps: ModelCapabilities,
        violation: _Violation,
        today: datetime.date,
    ) -> str | None:
        """Names a live model that takes what was refused: same platform first, then the other.

        A model that accepts the whole request wins; otherwise one that at least accepts the
        refused field.
        """
        for platform in (caps.platform, _other(caps.platform)):
            partial: str | None = None
            exclude = caps.model if platform == caps.platform else None
            for candidate in self._live(platform, today, exclude=exclude):
                # Unconfirmed facts count here too: a suggestion should be one we are sure of.
                broken = _violations(request, candidate)
                # Compare base fields: reference_images.0.reference_type is about references too.
                base = violation.field.split(".")[0]
                fits = not any(v.field.split(".")[0] == base for v in broken)
                where = "" if platform == caps.platform else f" on {PLATFORM_NAMES[platform]}"
                text = f"{candidate.model}{where} takes {violation.wants}."
                if not broken:
                    return text
                if fits and partial is None:
                    partial = text
            if partial is not None:
                return partial
        return violation.fallback_hint

    def _live(
        self, platform: Platform, today: datetime.date, *, exclude: str | None
    ) -> Iterator[ModelCapabilities]:
        for info in self.models:
            caps = info.platforms.get(platform)
            if caps is not None and info.id != exclude and caps.is_live(today):
                yield caps


def _other(platform: Platform) -> Platform:
    return "vertex" if platform == "gemini" else "gemini"


def _bare(model: str) -> str:
    # Accept the resource forms users copy from consoles and operation names.
    model = model.strip()
    if "/models/" in model:
        model = model.rsplit("/models/", 1)[1]
    return model.removeprefix("models/")


def _merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _listing(values: Sequence[Any]) -> str:
    return ", ".join(str(v) for v in values)


_INPUT_WORDS: dict[str, str] = {
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


def _violations(request: VideoRequest, caps: ModelCapabilities) -> list[_Violation]:
    """Every way ``request`` breaks ``caps``, in the order a user should fix them."""
    found: list[_Violation] = []
    model = caps.model
    for name in caps.unsupported_fields:
        value = getattr(request, name, None)
        if value is not None:
            found.append(
                _Violation(
                    name,
                    value,
                    "unset",
                    f"{model} does not take it",
                    name,
                    fallback_hint=f"Drop {name}=.",
                )
            )
    found += _input_violations(request, caps)
    for name, choices, unit in (
        ("duration_seconds", caps.durations, " s"),
        ("aspect_ratio", caps.aspect_ratios, ""),
        ("resolution", caps.resolutions, ""),
    ):
        value = getattr(request, name)
        if value is not None and value not in choices:
            wants = f"{value}{unit}" if name != "aspect_ratio" else f"aspect ratio {value}"
            found.append(
                _Violation(name, value, _listing(choices), f"{model} does not take it", wants)
            )
    videos = request.number_of_videos
    if videos is not None and videos > caps.max_videos:
        found.append(
            _Violation(
                "number_of_videos",
                videos,
                f"1 to {caps.max_videos} on {PLATFORM_NAMES[caps.platform]}",
                f"{model} makes at most {caps.max_videos} per request",
                f"{videos} videos per request",
                fallback_hint="Submit several requests instead.",
            )
        )
    found += _audio_violations(request, caps)
    if request.person_generation is not None and "person_generation" not in caps.unsupported_fields:
        mode = _person_mode(request)
        allowed = caps.person_generation.get(mode, ())
        if request.person_generation not in allowed:
            words = "text-to-video" if mode == "text" else f"requests with {_INPUT_WORDS[mode]}"
            found.append(
                _Violation(
                    "person_generation",
                    request.person_generation,
                    _listing(allowed) or "unset",
                    f"{model} does not take it for {words}",
                    f"person_generation={request.person_generation!r} for {words}",
                )
            )
    found += _rule_violations(request, caps)
    found += _size_violations(request, caps)
    return found


def _input_violations(request: VideoRequest, caps: ModelCapabilities) -> list[_Violation]:
    found: list[_Violation] = []
    supported = caps.input_kinds
    accepted = ", ".join(_INPUT_WORDS.get(k, "a text prompt") for k in supported)
    for kind in request.inputs:
        if kind not in supported:
            value = getattr(request, kind)
            if kind == "reference_images":
                value = f"{len(request.reference_images)} image(s)"
            found.append(
                _Violation(
                    kind,
                    value,
                    f"inputs: {accepted}",
                    f"{caps.model} does not take {_INPUT_WORDS[kind]}",
                    _INPUT_WORDS[kind],
                )
            )
    refs = caps.inputs.reference_images
    if refs is not None and request.reference_images:
        count = len(request.reference_images)
        if count > refs.max_count:
            found.append(
                _Violation(
                    "reference_images",
                    f"{count} image(s)",
                    f"at most {refs.max_count}",
                    f"{caps.model} takes at most {refs.max_count} reference images",
                    f"{count} reference images",
                )
            )
        types = [r.reference_type for r in request.reference_images]
        for index, kind in enumerate(types):
            if kind not in refs.types:
                found.append(
                    _Violation(
                        f"reference_images.{index}.reference_type",
                        kind,
                        _listing(list(refs.types)),
                        f"{caps.model} does not take {kind} references on "
                        f"{PLATFORM_NAMES[caps.platform]}",
                        f"{kind} reference images",
                    )
                )
        for kind, most in refs.types.items():
            if types.count(kind) > most:
                found.append(
                    _Violation(
                        "reference_images",
                        f"{types.count(kind)} {kind} image(s)",
                        f"at most {most} {kind} image(s)",
                        f"{caps.model} takes at most {most} {kind} reference image(s)",
                        f"{types.count(kind)} {kind} reference images",
                    )
                )
        if not refs.mixed_types and len(set(types)) > 1:
            found.append(
                _Violation(
                    "reference_images",
                    "asset and style images",
                    "references of one type",
                    f"{caps.model} does not mix asset and style references",
                    "mixed asset and style references",
                )
            )
    return found


def _audio_violations(request: VideoRequest, caps: ModelCapabilities) -> list[_Violation]:
    audio = request.generate_audio
    if audio is True and caps.audio == "none":
        return [
            _Violation(
                "generate_audio",
                True,
                "False or unset",
                f"{caps.model} makes silent videos",
                "generate_audio=True",
            )
        ]
    if audio is False and caps.audio == "always":
        return [
            _Violation(
                "generate_audio",
                False,
                "True or unset",
                f"{caps.model} always generates audio",
                "generate_audio=False",
            )
        ]
    return []


def _effective(request: VideoRequest, caps: ModelCapabilities, name: str) -> Any:
    # An unset field takes the service's default, which the rules must also hold for.
    value = getattr(request, name)
    if value is None:
        value = getattr(caps, f"default_{name.removesuffix('_seconds')}", None)
    return value


def _rule_violations(request: VideoRequest, caps: ModelCapabilities) -> list[_Violation]:
    found: list[_Violation] = []
    for rule in caps.rules:
        triggers: list[str] = []
        for name, values in rule.when.items():
            if name == "input":
                present = [k for k in request.inputs if k in values]
                if not present:
                    break
                triggers.append(" and ".join(_INPUT_WORDS[k] for k in present))
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
                _Violation(
                    rule.field,
                    value,
                    f"{_listing(rule.allowed)} when {trigger}",
                    f"{caps.model} {rule.why}",
                    f"{rule.field}={value!r} with {trigger}",
                    fallback_hint=f"Set {rule.field} to {_listing(rule.allowed)}, "
                    f"or change {trigger}.",
                )
            )
    return found


def _size_violations(request: VideoRequest, caps: ModelCapabilities) -> list[_Violation]:
    found: list[_Violation] = []
    limit = caps.prompt_max_tokens
    if limit is not None and request.prompt is not None:
        tokens = math.ceil(len(request.prompt) / _CHARS_PER_TOKEN)
        if tokens > limit:
            found.append(
                _Violation(
                    "prompt",
                    request.prompt,
                    f"at most {limit:,} tokens (about {limit * _CHARS_PER_TOKEN:,} characters; "
                    f"veowrap estimates tokens as characters / {_CHARS_PER_TOKEN})",
                    f"it is about {tokens:,} tokens",
                    f"a prompt of about {tokens:,} tokens",
                    fallback_hint="Shorten the prompt.",
                )
            )
    most = caps.max_image_bytes
    if most is not None:
        for name in ("image", "last_frame"):
            image = getattr(request, name)
            if image is not None and image.data is not None and len(image.data) > most:
                found.append(
                    _Violation(
                        name,
                        image,
                        f"at most {most:,} bytes",
                        f"{caps.model} takes images up to {most:,} bytes",
                        f"images of {len(image.data):,} bytes",
                        fallback_hint="Shrink the image or pass a gs:// URI.",
                    )
                )
    return found


# -- the packaged catalog ---------------------------------------------------------------------


@functools.cache
def load_catalog() -> Catalog:
    """The catalog packaged with veowrap, read once on first use.

    Raises:
        ValueError: The packaged file has a schema this veowrap cannot read.
    """
    text = resources.files("veowrap").joinpath("catalog.json").read_text(encoding="utf-8")
    return Catalog.from_dict(json.loads(text))


def capabilities(model: str, platform: Platform) -> ModelCapabilities | None:
    """What ``model`` accepts on ``platform``, or ``None`` when the catalog does not know it.

    Aliases are resolved and a ``models/`` (or publisher resource) prefix is stripped.

    Example:
        >>> capabilities("models/veo-3.1-generate-001", "vertex").durations
        (4, 6, 8)
    """
    return load_catalog().capabilities(model, platform)


def models() -> list[ModelInfo]:
    """Every model in the catalog, in catalog order (for docs and tables)."""
    return list(load_catalog().models)


def latency(model: str, platform: Platform) -> tuple[float, float, float] | None:
    """Typical (min, median, max) seconds a generation takes, or ``None`` if unknown."""
    caps = capabilities(model, platform)
    if caps is None:
        return None
    return (caps.latency.min_s, caps.latency.median_s, caps.latency.max_s)


def check_request(
    request: VideoRequest,
    model: str,
    platform: Platform,
    *,
    strict: bool = True,
    today: datetime.date | None = None,
) -> list[str]:
    """Checks a request against the catalog before it is sent.

    Fields left unset (``None``) are not checked: the service's default applies. Combination
    rules (1080p only at 8 s, …) are checked with those defaults filled in.

    Args:
        request: The request to check.
        model: The model id it will be sent to (aliases and ``models/`` accepted).
        platform: ``"gemini"`` or ``"vertex"``.
        strict: When ``False``, catalog violations and shut-down models become warnings in the
            returned list instead of errors (for emulators and services that still answer).
        today: The date lifecycle checks use; defaults to today.

    Returns:
        Warnings: an unknown model (sent unchecked), an upcoming shutdown, a breach of an
        unconfirmed catalog fact, and, with ``strict=False``, what would have been refused.

    Raises:
        RequestValidationError: A field or combination the model does not take. The message
            names the field, the value, what the model allows and, where one exists, a live
            model that would take it.
        UnsupportedCapabilityError: The model is shut down on, or not offered on, ``platform``.

    Example:
        >>> check_request(VideoRequest(prompt="a kite", duration_seconds=8),
        ...               "veo-3.1-generate-001", "vertex", today=datetime.date(2026, 11, 25))
        []
    """
    return load_catalog().check_request(request, model, platform, strict=strict, today=today)
