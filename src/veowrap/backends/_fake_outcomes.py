"""The fake backend's scripted outcomes, and the error and call records it produces."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TypeAlias

__all__ = [
    "Failure",
    "FakeCall",
    "FakeHTTPError",
    "Filtered",
    "NeverFinishes",
    "Outcome",
    "QuotaExceeded",
    "Success",
    "UncertainSubmission",
]


@dataclass(frozen=True)
class Success:
    """The operation finishes with ``videos`` real MP4 files.

    Attributes:
        videos: How many videos (default: the request's ``number_of_videos`` or 1).
        inline: Return the bytes inside the operation (like Vertex AI without
            ``output_gcs_uri``) instead of a URI that :meth:`FakeBackend.open_video` serves.
        filtered: How many further videos were withheld by safety filters.
    """

    videos: int | None = None
    inline: bool = False
    filtered: int = 0


@dataclass(frozen=True)
class Failure:
    """The operation finishes with an error (google.rpc ``code``, ``message``).

    Veowrap raises :class:`~veowrap.OperationFailedError`.
    """

    code: int = 13
    message: str = "Internal error encountered."


@dataclass(frozen=True)
class Filtered:
    """Every video is withheld by safety filters: :class:`~veowrap.ContentFilteredError`.

    On the interactions route (``gemini-*`` models) the interaction completes without a video,
    which carries no reasons.
    """

    reasons: tuple[str, ...] = (
        "Your prompt was blocked by our safety filters. Try rephrasing it.",
    )
    count: int | None = None


@dataclass(frozen=True)
class NeverFinishes:
    """The operation never finishes: the wait ends with :class:`~veowrap.OperationTimeoutError`."""


@dataclass(frozen=True)
class QuotaExceeded:
    """The submission is refused with HTTP 429 ``RESOURCE_EXHAUSTED`` and a ``Retry-After``.

    Veowrap retries it (the service provably did not accept it), so script it as many times
    as the retry policy has attempts to see :class:`~veowrap.QuotaExceededError`; the next
    outcome answers the retry otherwise. Nothing is recorded in ``submitted``.
    """

    retry_after: float = 30.0
    message: str = "Quota exceeded for aiplatform.googleapis.com/online_prediction_requests."


@dataclass(frozen=True)
class UncertainSubmission:
    """The service accepts the submission but the connection breaks before the answer.

    The request is recorded in ``submitted`` and its operation exists (it proceeds to ``then``;
    find it in :attr:`FakeBackend.operations`), then ``submit`` raises
    :class:`ConnectionResetError`: veowrap raises :class:`~veowrap.SubmissionUncertainError`
    and does not re-send.
    """

    then: Success | Failure | Filtered | NeverFinishes = field(default_factory=Success)


Outcome: TypeAlias = (
    Success | Failure | Filtered | NeverFinishes | QuotaExceeded | UncertainSubmission
)


class FakeHTTPError(Exception):
    """An HTTP error shaped like google-genai's ``APIError``, read by veowrap's fault rules.

    Attributes:
        status_code: The HTTP status.
        code: The same, as google-genai spells it.
        headers: The response headers (``Retry-After`` for quota errors).
        details: The Google error body ``{"error": {"code", "message", "status"}}``.
    """

    def __init__(
        self,
        status_code: int,
        message: str,
        status: str,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.status_code = status_code
        self.code = status_code
        self.headers = dict(headers or {})
        self.details = {"error": {"code": status_code, "message": message, "status": status}}
        super().__init__(f"{status_code} {status}. {message}")


@dataclass(frozen=True)
class FakeCall:
    """One call the backend received: ``op`` is ``submit``, ``poll`` or ``cancel``."""

    op: str
    name: str | None
    at: float
