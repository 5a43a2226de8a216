"""`OperationHandle`: everything needed to find a running generation again, and no secrets."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from veowrap._core import validation
from veowrap._errors import RequestValidationError

__all__ = ["OperationHandle", "Platform", "Route"]

Platform = Literal["gemini", "vertex"]
Route = Literal["operations", "interactions"]

_VERTEX_NAME = re.compile(
    r"^(?:projects/(?P<project>[^/]+)/locations/(?P<location>[^/]+)/)?"
    r"publishers/google/models/(?P<model>[^/]+)/operations/[^/]+$"
)
_GEMINI_NAME = re.compile(r"^models/(?P<model>[^/]+)/operations/[^/]+$")
_VERTEX_INTERACTION = re.compile(
    r"^projects/(?P<project>[^/]+)/locations/(?P<location>[^/]+)/interactions/(?P<id>[^/]+)$"
)
_INTERACTION_ID = re.compile(r"^[A-Za-z0-9_\-]+$")
# W3C trace context: version ff and all-zero trace or parent ids are invalid (dropped).
_TRACEPARENT = re.compile(
    r"^(?!ff)[0-9a-f]{2}-(?!0{32})[0-9a-f]{32}-(?!0{16})[0-9a-f]{16}-[0-9a-f]{2}$"
)


class OperationHandle(BaseModel):
    """A reference to a submitted generation that can be saved and resumed later.

    A handle holds the platform, the route, the model, the operation name, when it was
    submitted and a fingerprint of the request. It never holds credentials, so its JSON can be
    written to disk or logs. Pass it (or just the operation name) to ``wait`` or ``status``.

    Example:
        >>> h = OperationHandle.from_name("models/veo-3.0-generate-preview/operations/abc123")
        >>> (h.platform, h.route, h.model)
        ('gemini', 'operations', 'veo-3.0-generate-preview')
    """

    model_config = ConfigDict(frozen=True, extra="ignore")

    name: str = Field(min_length=1)
    platform: Platform
    route: Route = "operations"
    model: str | None = None
    submitted_at: datetime | None = None
    request_fingerprint: str | None = None
    expected_videos: int | None = None
    # W3C trace context of the submitting span (OpenTelemetry), so a resume links to it.
    traceparent: str | None = None

    @field_validator("traceparent", mode="before")
    @classmethod
    def _trace_or_none(cls, value: object) -> object:
        # A damaged trace context must not stop a paid job from being resumed: drop it.
        return value if isinstance(value, str) and _TRACEPARENT.match(value) else None

    @classmethod
    def from_name(cls, name: str) -> OperationHandle:
        """Builds a handle from a bare operation name or interaction id.

        The platform and route are inferred from the name's shape: ``projects/…`` and
        ``publishers/…`` names are Vertex AI operations, ``models/…/operations/…`` are Gemini API
        operations, and a bare id is a Gemini API interaction.

        Raises:
            RequestValidationError: The name has none of these shapes.
        """
        name = name.strip()
        validation.operation_name("handle", name)
        if match := _VERTEX_NAME.match(name):
            return cls(name=name, platform="vertex", model=match["model"])
        if match := _GEMINI_NAME.match(name):
            return cls(name=name, platform="gemini", model=match["model"])
        if _VERTEX_INTERACTION.match(name):
            return cls(name=name, platform="vertex", route="interactions")
        if _INTERACTION_ID.match(name):
            return cls(name=name, platform="gemini", route="interactions")
        raise RequestValidationError("handle", name, validation.OPERATION_NAME_ALLOWED)

    @classmethod
    def coerce(cls, value: OperationHandle | str) -> OperationHandle:
        """Accepts a handle, its JSON, or a bare operation name.

        A handle object is checked as a loaded one is (see :meth:`from_json`): its fields may
        have been set by hand.
        """
        if isinstance(value, OperationHandle):
            return value._checked()
        if isinstance(value, str) and value.lstrip().startswith("{"):
            return cls.from_json(value)
        if isinstance(value, str):
            return cls.from_name(value)
        raise RequestValidationError(
            "handle", value, "an OperationHandle, its JSON, or an operation name"
        )

    @classmethod
    def from_json(cls, text: str | bytes) -> OperationHandle:
        """Loads a handle saved with :meth:`to_json`.

        A handle file may have been edited, by mistake or by an attacker, and its name ends up
        in the path of requests that carry credentials: the name must be a plain resource
        path (no ``..``, URL, query or control characters) and ``expected_videos`` a count
        from 1 to 4.

        Raises:
            RequestValidationError: The text is not such a handle; nothing was sent.
        """
        try:
            handle = cls.model_validate_json(text)
        except ValidationError as error:
            raise RequestValidationError(
                "handle",
                text if isinstance(text, str) else text.decode(errors="replace"),
                "JSON written by OperationHandle.to_json()",
                reason=error.errors(include_url=False)[0]["msg"],
            ) from None
        return handle._checked()

    def _checked(self) -> OperationHandle:
        """This handle, once its name is safe to send and its video count plausible."""
        validation.operation_name("handle.name", self.name)
        if self.expected_videos is not None:
            validation.whole_number(
                "handle.expected_videos",
                self.expected_videos,
                minimum=1,
                maximum=validation.MAX_VIDEOS,
                hint="Use the handle veowrap saved, or remove expected_videos from it.",
            )
        return self

    def to_json(self) -> str:
        """Serialises the handle (no secrets) to a JSON string."""
        return self.model_dump_json(exclude_none=True)

    @property
    def project(self) -> str | None:
        """The Vertex AI project named in the operation, if any."""
        match = _VERTEX_NAME.match(self.name) or _VERTEX_INTERACTION.match(self.name)
        return match["project"] if match else None

    @property
    def location(self) -> str | None:
        """The Vertex AI location named in the operation, if any."""
        match = _VERTEX_NAME.match(self.name) or _VERTEX_INTERACTION.match(self.name)
        return match["location"] if match else None

    def __repr__(self) -> str:
        return f"OperationHandle({self.name!r}, platform={self.platform!r}, route={self.route!r})"


def utcnow() -> datetime:
    """The current time in UTC, for ``submitted_at``."""
    return datetime.now(UTC)


RESUME_NOTE = "veowrap_resume_note"
"""Set (to ``True``) on the log records that carry :func:`note_resumable`'s text (Python advice:
``generator.wait(...)``), so that a front end with advice of its own leaves them out: the
command line prints its ``veowrap wait`` command instead."""


def note_resumable(error: BaseException, handle: OperationHandle | None) -> str | None:
    """Attaches "how to resume" to an interruption (Ctrl-C, cancellation, a crash).

    Returns the note's text (for logging), or ``None`` when there is nothing to add: no
    operation yet, or a veowrap error, which carries ``.handle`` itself.
    """
    from veowrap._errors import VeowrapError

    if handle is None or isinstance(error, VeowrapError):
        return None
    text = (
        f"veowrap: operation {handle.name} is still running or finished on the server; resume "
        f"it with generator.wait(OperationHandle.from_json({handle.to_json()!r}))"
    )
    if text not in getattr(error, "__notes__", ()):
        error.add_note(text)
    return text
