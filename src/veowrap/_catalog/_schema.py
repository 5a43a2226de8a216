"""The catalog's data: frozen pydantic models of what each model accepts, and their loading.

The facts live in ``catalog.json`` (packaged data); ``Catalog.from_dict`` merges its layers (a
*family* gives defaults, the family's *platform* layer says how the platforms differ, a *model*
overrides them, each model's *platform* entry overrides again; nested objects merge, lists
replace). Every rule carries :class:`Evidence` (source, date, grade).
"""

from __future__ import annotations

import datetime
import difflib
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, model_validator

from veowrap._catalog._access import Access, check_access
from veowrap._handle import Platform, Route
from veowrap._request import AspectRatio, PersonGeneration, Resolution, VideoRequest

__all__ = [
    "PLATFORM_NAMES",
    "RULE_KEYS",
    "SCHEMA_VERSION",
    "AudioMode",
    "Catalog",
    "Evidence",
    "Extension",
    "Grade",
    "InputKind",
    "Inputs",
    "Latency",
    "Lifecycle",
    "ModelCapabilities",
    "ModelInfo",
    "Price",
    "ReferenceImages",
    "Rule",
]

InputKind = Literal["text", "image", "last_frame", "reference_images", "video", "mask"]
AudioMode = Literal["none", "optional", "always"]
Stage = Literal["preview", "ga"]
Grade = Literal["documented", "reported"]

SCHEMA_VERSION = 1
PLATFORM_NAMES: dict[Platform, str] = {"gemini": "the Gemini API", "vertex": "Vertex AI"}


class _Data(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Evidence(_Data):
    """Where a catalog rule comes from, and how sure veowrap is of it.

    Attributes:
        source: A URL or repository path (with the words that say so when useful).
        date: When the source was read (or, for a notebook, the commit date relied on).
        grade: ``"documented"`` when Google's reference pages say so and Google's samples do
            not contradict it: a breach refuses before anything is sent. ``"reported"`` when
            only third parties say so, or Google's own sources conflict: a breach warns, names
            the source, and the request is sent so that the service decides.
        conflict: What the sources disagree on, when they do.
    """

    source: str
    date: datetime.date
    grade: Grade
    conflict: str | None = None

    def cite(self) -> str:
        """The source with its grade: ``"<source> (documented, read 2026-12-03)"``."""
        text = f"{self.source} ({self.grade}, read {self.date}"
        return text + (f"; sources conflict: {self.conflict})" if self.conflict else ")")


#: The rules of a model's spec that each need :class:`Evidence` (combination rules carry their
#: own). A breach of one is graded by its evidence.
RULE_KEYS: tuple[str, ...] = (
    "durations",
    "aspect_ratios",
    "resolutions",
    "max_videos",
    "audio",
    "person_generation",
    "inputs.image",
    "inputs.last_frame",
    "inputs.reference_images",
    "inputs.video",
    "inputs.mask",
    "unsupported_fields",
    "prompt_max_tokens",
    "max_image_bytes",
)


class Latency(_Data):
    """How long a generation typically takes, in seconds.

    Shown by ``veowrap models``. It is the prior of the model's latency distribution
    (``_core/latency.py``): the ETAs in ``Polled`` events and the default poll schedule
    (``PollSchedule.adaptive()``) come from it until the local history knows better.
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
        confirmed: ``True`` only when Google's own pricing page gives this figure;
            ``False`` when only third-party pages do.
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
    deprecated: datetime.date | None = None
    shutdown: datetime.date | None = None
    successor: str | None = None
    source: str
    date: datetime.date
    grade: Grade
    conflict: str | None = None

    @property
    def evidence(self) -> Evidence:
        """The lifecycle's source as :class:`Evidence` (a ``reported`` shutdown only warns)."""
        return Evidence(
            source=self.source, date=self.date, grade=self.grade, conflict=self.conflict
        )

    def is_shut_down(self, today: datetime.date) -> bool:
        """Whether the model no longer answers on this platform as of ``today``."""
        return self.shutdown is not None and self.shutdown <= today


class ReferenceImages(_Data):
    """How many reference images a model takes, and of which types (type -> most allowed)."""

    max_count: int
    types: dict[Literal["asset", "style"], int]
    mixed_types: bool = False


class Extension(_Data):
    """Video extension limits (``None`` where not published).

    Attributes:
        durations: The ``duration_seconds`` values an extension request takes (``None``: the
            model's usual durations). The Gemini API wants 8 for a +7 s step; Vertex AI wants 7.
        seconds_per_step: Seconds one extension adds.
        max_steps: How many times a video may be extended.
        min_input_seconds: Shortest input video.
        max_input_seconds: Longest input video.
        max_output_seconds: Longest video an extension may produce.
        veo_made_only: Only videos Veo made can be extended.
    """

    durations: tuple[int, ...] | None = None
    seconds_per_step: int | None
    max_steps: int | None
    min_input_seconds: int | None = None
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
    evidence: Evidence


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
    evidence: dict[str, Evidence]
    notes: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _every_rule_has_evidence(self) -> ModelCapabilities:
        # A rule without evidence could neither refuse (nothing to cite) nor be trusted.
        missing = [key for key in RULE_KEYS if key not in self.evidence]
        unknown = [key for key in self.evidence if key not in RULE_KEYS]
        if missing or unknown:
            raise ValueError(
                f"{self.model} on {self.platform}: evidence missing for {missing}, "
                f"unknown keys {unknown}"
            )
        return self

    def grade_of(self, key: str) -> Evidence:
        """The evidence of one of :data:`RULE_KEYS` for this model and platform."""
        return self.evidence[key]

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


class Catalog(_Data):
    """The loaded catalog. Use the module functions for the packaged one."""

    schema_version: int = Field(alias="schema")
    updated: datetime.date
    access: Access
    models: tuple[ModelInfo, ...]
    unconfirmed: tuple[str, ...] = ()  # Facts veowrap could not confirm on Google's pages.
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
            family = dict(families.get(entry["family"], {}))
            # A family may say how it differs per platform (Vertex AI vs the Gemini API).
            family_platforms: Mapping[str, Any] = family.pop("platforms", {})
            platforms = {
                platform: ModelCapabilities.model_validate(
                    {
                        **_merge(
                            _merge(
                                _merge(family, family_platforms.get(platform, {})),
                                entry.get("spec", {}),
                            ),
                            layer.get("spec", {}),
                        ),
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
            {
                "schema": data["schema"],
                "updated": data["updated"],
                "access": data["access"],
                "models": infos,
                "unconfirmed": data.get("unconfirmed", ()),
            }
        )

    # -- lookups -------------------------------------------------------------------------------

    def get(self, model: str) -> ModelInfo | None:
        """The model with this id or alias (``models/`` and publisher prefixes stripped)."""
        return self._index().get(_bare(model))

    def closest_ids(self, model: str, count: int = 3) -> list[str]:
        """Catalog ids (and aliases) spelled most like ``model``, best first, for "did you mean".

        Example:
            >>> load_catalog().closest_ids("veo-3.1-generate-01")[0]
            'veo-3.1-generate-001'
        """
        # Ids are lower case; compare spellings without case so 'VEO-3.1-…' still finds one.
        names = {name.lower(): name for name in self._index()}
        close = difflib.get_close_matches(_bare(model).lower(), list(names), n=count, cutoff=0.6)
        return [names[name] for name in close]

    def capabilities(self, model: str, platform: Platform) -> ModelCapabilities | None:
        """A model's capabilities on ``platform``, or ``None`` if the catalog has none."""
        info = self.get(model)
        return None if info is None else info.platforms.get(platform)

    def route_for(self, model: str) -> Route:
        """The route that serves ``model``: its catalog entry's, else by its id's prefix."""
        info = self.get(model)
        if info is not None:
            for caps in info.platforms.values():
                return caps.route
        return self.access.route_by_prefix(_bare(model))

    def default_model(self, platform: Platform) -> str:
        """The model used on ``platform`` when a request names none."""
        return self.access.default_models[platform]

    def check_access(
        self, request: VideoRequest, model: str, platform: Platform, route: Route
    ) -> None:
        """Refuses what ``platform`` and ``route`` cannot carry; see :func:`check_access`."""
        check_access(self.access, request, model, platform, route)

    def _index(self) -> dict[str, ModelInfo]:
        # Built on first lookup and kept in a private attribute (not part of the data).
        if self._by_name is None:
            self._by_name = {
                name: info for info in self.models for name in (info.id, *info.aliases)
            }
        return self._by_name

    # -- checking (rules in _rules, advice in _advice) ---------------------------------------

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
        from veowrap._catalog._checking import check

        return check(self, request, model, platform, strict=strict, today=today)


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
