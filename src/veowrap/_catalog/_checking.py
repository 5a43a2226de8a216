"""Checking a request against the catalog: rules decide, advice names the way out.

Errors for confirmed facts, warnings for unconfirmed ones (refusing what Google allows is worse
than letting the service refuse), and a live model that would take what was refused.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator

from veowrap._catalog._rules import Violation, violations
from veowrap._catalog._schema import PLATFORM_NAMES, Catalog, ModelCapabilities, ModelInfo
from veowrap._errors import UnsupportedCapabilityError
from veowrap._handle import Platform
from veowrap._request import VideoRequest

__all__ = ["check"]


def check(
    catalog: Catalog,
    request: VideoRequest,
    model: str,
    platform: Platform,
    *,
    strict: bool = True,
    today: datetime.date | None = None,
) -> list[str]:
    """Checks ``request`` against ``model`` on ``platform``; see :func:`veowrap.check_request`.

    Only a ``documented`` rule refuses; a ``reported`` one warns, citing its source, and the
    request is sent.
    """
    today = today or datetime.date.today()
    info = catalog.get(model)
    if info is None:
        return [unknown_model(catalog, model)]
    warnings: list[str] = []
    caps = info.platforms.get(platform)
    if caps is None:
        message, hint = not_offered(info, platform, today)
        if strict:
            raise UnsupportedCapabilityError(message, hint=hint)
        return [f"{message} Hint: {hint} Sent anyway (strict=False)."]
    lifecycle = caps.lifecycle
    where = PLATFORM_NAMES[platform]
    cited = f"Source: {lifecycle.evidence.cite()}."
    if lifecycle.shutdown is not None and lifecycle.is_shut_down(today):
        message = f"{info.id} was shut down on {where} on {lifecycle.shutdown}. {cited}"
        hint = successor_hint(catalog, info, platform, today)
        if strict and lifecycle.grade == "documented":
            raise UnsupportedCapabilityError(message, hint=hint)
        after = "Sent anyway (strict=False)." if lifecycle.grade == "documented" else _SENT
        warnings.append(f"{message} Hint: {hint} {after}")
    elif lifecycle.shutdown is not None or lifecycle.deprecated is not None:
        successor = f"; successor: {lifecycle.successor}" if lifecycle.successor else ""
        parts = []
        if lifecycle.deprecated is not None:
            parts.append(f"is deprecated on {where} since {lifecycle.deprecated}")
        if lifecycle.shutdown is not None:
            parts.append(f"will be shut down on {where} on {lifecycle.shutdown}")
        warnings.append(f"{info.id} {' and '.join(parts)}{successor}. {cited}")
    for violation in violations(request, caps):
        documented = violation.evidence.grade == "documented"
        error = violation.error(suggest(catalog, request, caps, violation, today))
        if strict and documented:
            raise error
        warnings.append(f"{error} " + ("Sent anyway (strict=False)." if documented else _SENT))
    return warnings


_SENT = (
    "This rule is only reported (third parties, or Google's sources conflict), so the request "
    "is sent and the service decides."
)


def unknown_model(catalog: Catalog, model: str) -> str:
    """The warning for a model the catalog lacks, with the closest catalog ids."""
    text = f"model {model!r} is not in veowrap's catalog (updated {catalog.updated}); "
    text += "sent unchecked."
    close = catalog.closest_ids(model)
    if close:
        text += f" Did you mean {' or '.join(repr(c) for c in close)}?"
    return text


# -- advice: what to do instead ---------------------------------------------------------------


def not_offered(info: ModelInfo, platform: Platform, today: datetime.date) -> tuple[str, str]:
    where = PLATFORM_NAMES[platform]
    message = f"{info.id} is not offered on {where}."
    live: list[Platform] = [p for p, caps in info.platforms.items() if caps.is_live(today)]
    if live:
        hint = f"Use it on {PLATFORM_NAMES[live[0]]}"
        hint += " (vertexai=True)." if live[0] == "vertex" else "."
    else:
        hint = "Pick a model from veowrap's catalog (docs/models.md)."
    return message, hint


def successor_hint(
    catalog: Catalog, info: ModelInfo, platform: Platform, today: datetime.date
) -> str:
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
            heir = catalog.capabilities(caps.lifecycle.successor, other)
            if heir is not None and heir.is_live(today):
                parts.append(f"{heir.model} on {PLATFORM_NAMES[other]}")
    if not parts:
        return "Pick a live model from veowrap's catalog (docs/models.md)."
    return f"Use {', or '.join(parts)} instead."


def suggest(
    catalog: Catalog,
    request: VideoRequest,
    caps: ModelCapabilities,
    violation: Violation,
    today: datetime.date,
) -> str | None:
    """Names a live model that takes what was refused: same platform first, then the other.

    A model that accepts the whole request wins; otherwise one that at least accepts the
    refused field.
    """
    for platform in (caps.platform, _other(caps.platform)):
        partial: str | None = None
        exclude = caps.model if platform == caps.platform else None
        for candidate in _live(catalog, platform, today, exclude=exclude):
            # Reported rules count here too: a suggestion should be one we are sure of.
            broken = violations(request, candidate)
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
    catalog: Catalog, platform: Platform, today: datetime.date, *, exclude: str | None
) -> Iterator[ModelCapabilities]:
    for info in catalog.models:
        caps = info.platforms.get(platform)
        if caps is not None and info.id != exclude and caps.is_live(today):
            yield caps


def _other(platform: Platform) -> Platform:
    return "vertex" if platform == "gemini" else "gemini"
