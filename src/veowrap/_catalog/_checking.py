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
    """Checks ``request`` against ``model`` on ``platform``; see :func:`veowrap.check_request`."""
    today = today or datetime.date.today()
    info = catalog.get(model)
    if info is None:
        return [
            f"model {model!r} is not in veowrap's catalog (updated {catalog.updated}); "
            "sent unchecked."
        ]
    warnings: list[str] = []
    caps = info.platforms.get(platform)
    if caps is None:
        message, hint = not_offered(info, platform, today)
        if strict:
            raise UnsupportedCapabilityError(message, hint=hint)
        return [f"{message} Hint: {hint} Sent anyway (strict=False)."]
    lifecycle = caps.lifecycle
    if lifecycle.shutdown is not None:
        where = PLATFORM_NAMES[platform]
        if lifecycle.is_shut_down(today):
            message = f"{info.id} was shut down on {where} on {lifecycle.shutdown}."
            hint = successor_hint(catalog, info, platform, today)
            if strict:
                raise UnsupportedCapabilityError(message, hint=hint)
            warnings.append(f"{message} Hint: {hint} Sent anyway (strict=False).")
        else:
            successor = f"; successor: {lifecycle.successor}" if lifecycle.successor else ""
            warnings.append(
                f"{info.id} will be shut down on {where} on {lifecycle.shutdown}{successor}."
            )
    for violation in violations(request, caps):
        confirmed = violation.field.split(".")[0] not in caps.unconfirmed
        error = violation.error(suggest(catalog, request, caps, violation, today))
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
            # Unconfirmed facts count here too: a suggestion should be one we are sure of.
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
