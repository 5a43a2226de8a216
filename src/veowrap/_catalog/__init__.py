"""The model catalog: what each video model accepts, when it shuts down, and what it costs.

The facts live in ``catalog.json`` (packaged data) so that a changed limit, a new model or a
shutdown date is a data edit, not a code change. The package is split by job:

* ``_schema``: the data (frozen pydantic models) and the loading of the layered file;
* ``_rules``: every way a request breaks what a model takes (pure functions);
* ``_checking``: turning breaches into errors or warnings, with advice naming a model that
  would take the request.

Every rule carries :class:`Evidence`: a source, the date it was read and a grade. Only a
``documented`` rule refuses; a request that breaks a ``reported`` rule (third parties, or Google's
own sources conflict) gets a warning naming the source and is sent: refusing a request the
service would have accepted is worse than letting the service refuse it.
"""

from __future__ import annotations

import datetime
import functools
import json
from importlib import resources

from veowrap._catalog._schema import (
    PLATFORM_NAMES,
    RULE_KEYS,
    SCHEMA_VERSION,
    AudioMode,
    Catalog,
    Evidence,
    Extension,
    Grade,
    InputKind,
    Inputs,
    Latency,
    Lifecycle,
    ModelCapabilities,
    ModelInfo,
    Price,
    ReferenceImages,
    Rule,
)
from veowrap._handle import Platform
from veowrap._request import VideoRequest

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
    "capabilities",
    "check_request",
    "latency",
    "load_catalog",
    "models",
]


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
        Warnings: an unknown model (sent unchecked, with the closest catalog ids), an upcoming
        shutdown or a deprecation, a breach of a ``reported`` rule (with its source), and, with
        ``strict=False``, what would have been refused.

    Raises:
        RequestValidationError: A field or combination a ``documented`` rule says the model does
            not take. The message names the field, the value, what the model allows, the rule's
            source and, where one exists, a live model that would take it.
        UnsupportedCapabilityError: The model is shut down on, or not offered on, ``platform``.

    Example:
        >>> check_request(VideoRequest(prompt="a kite", duration_seconds=8),
        ...               "veo-3.1-generate-001", "vertex", today=datetime.date(2026, 11, 25))
        []
    """
    return load_catalog().check_request(request, model, platform, strict=strict, today=today)
