"""What each platform and route can carry, whatever the model: the catalog's ``access`` data.

The one home of these rules (the backends add only facts about the installed SDK). A model's
route comes from its catalog entry; ``route_prefixes`` covers models the catalog lacks.
"""

from __future__ import annotations

import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

from veowrap._errors import RequestValidationError
from veowrap._handle import Platform, Route
from veowrap._request import VideoRequest

__all__ = ["Access", "Combination", "RefusedField", "check_access"]


class _Data(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class RefusedField(_Data):
    """A field a platform/route combination cannot carry, and the way out."""

    allowed: str
    reason: str | None = None
    hint: str | None = None


class Combination(_Data):
    """What one platform/route combination (``"gemini/interactions"``, ...) refuses."""

    source: str
    date: datetime.date
    grade: Literal["documented", "reported"]
    refused_fields: dict[str, RefusedField] = {}
    reference_types: tuple[str, ...] | None = None
    reference_types_words: str | None = None
    gcs_images: bool = True
    gcs_images_words: str | None = None
    max_videos: int | None = None
    max_videos_words: str | None = None
    max_videos_hint: str | None = None


class Access(_Data):
    """Routes, default models and what each platform/route combination refuses."""

    about: str
    default_models: dict[Platform, str]
    route_prefixes: dict[str, Route]
    default_route: Route
    combinations: dict[str, Combination]

    def route_by_prefix(self, model: str) -> Route:
        """The route of a model the catalog does not list, from its id's prefix."""
        for prefix, route in self.route_prefixes.items():
            if model.startswith(prefix):
                return route
        return self.default_route


def check_access(
    access: Access, request: VideoRequest, model: str, platform: Platform, route: Route
) -> None:
    """Raises :class:`RequestValidationError` for what ``platform`` and ``route`` cannot carry.

    These are facts of the wire (a parameter the API has no place for), so they refuse even
    with ``strict=False``: the request could not be sent as asked.
    """
    rules = access.combinations.get(f"{platform}/{route}")
    if rules is None:
        return
    for name, refused in rules.refused_fields.items():
        value = getattr(request, name)
        if value is not None:
            raise RequestValidationError(
                name,
                value.uris if name == "webhook" else value,
                refused.allowed.format(model=model),
                reason=refused.reason,
                hint=None if refused.hint is None else refused.hint.format(field=name),
            )
    if rules.max_videos is not None and (request.number_of_videos or 1) > rules.max_videos:
        raise RequestValidationError(
            "number_of_videos",
            request.number_of_videos,
            (rules.max_videos_words or f"at most {rules.max_videos}").format(model=model),
            hint=rules.max_videos_hint,
        )
    if rules.reference_types is not None:
        for index, reference in enumerate(request.reference_images):
            if reference.reference_type not in rules.reference_types:
                raise RequestValidationError(
                    f"reference_images.{index}.reference_type",
                    reference.reference_type,
                    rules.reference_types_words or ", ".join(rules.reference_types),
                )
    if not rules.gcs_images:
        for field, image in (("image", request.image), ("last_frame", request.last_frame)):
            if image is not None and image.is_gcs:
                raise RequestValidationError(
                    field, image.uri, rules.gcs_images_words or "a path or bytes"
                )
