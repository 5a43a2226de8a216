"""The exceptions veowrap raises.

Every error is a :class:`VeowrapError`. Each one carries a ``hint`` telling the caller what to do,
and, where an operation exists on the server, the :class:`~veowrap.OperationHandle` that resumes
it. Messages never contain credentials: they are built only from request fields, server
messages and operation names.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from veowrap._redact import redact

if TYPE_CHECKING:
    from veowrap._handle import OperationHandle
    from veowrap._request import VideoRequest

__all__ = [
    "BudgetExceededError",
    "ConfigurationError",
    "ContentFilteredError",
    "DestinationError",
    "DestinationExistsError",
    "DownloadError",
    "JobError",
    "JournalError",
    "OperationCancelledError",
    "OperationFailedError",
    "OperationNotFoundError",
    "OperationTimeoutError",
    "OutputStorageRequiredError",
    "QuotaExceededError",
    "RequestValidationError",
    "ServiceRejectedError",
    "ServiceUnavailableError",
    "SubmissionUncertainError",
    "TransientError",
    "UnsupportedCapabilityError",
    "UsageError",
    "VeowrapError",
    "WebhookVerificationError",
]


class VeowrapError(Exception):
    """Base class of every error veowrap raises.

    Attributes:
        message: What went wrong, in one sentence.
        hint: What to do about it, or ``None`` when there is nothing to add.
        handle: The operation this error concerns, when one exists on the server. Pass it to
            ``VideoGenerator.wait`` (or save ``handle.to_json()``) to pick the work up again.
    """

    def __init__(
        self,
        message: str,
        *,
        hint: str | None = None,
        handle: OperationHandle | None = None,
    ) -> None:
        # A server may echo a credential into its error message; no veowrap error repeats it.
        self.message = redact(message)
        self.hint = None if hint is None else redact(hint)
        self.handle = handle
        super().__init__(self._render())

    def _render(self) -> str:
        text = self.message
        if self.hint:
            text += f" Hint: {self.hint}"
        if self.handle is not None:
            text += f" (operation: {self.handle.name})"
        return redact(text)

    def __reduce__(self) -> tuple[Any, ...]:
        # Keyword-only constructors do not survive pickling by default; errors cross process
        # boundaries in batch runs and test workers.
        return (_rebuild, (type(self), self.__dict__.copy()))


def _rebuild(cls: type[VeowrapError], state: dict[str, Any]) -> VeowrapError:
    error = cls.__new__(cls)
    error.__dict__.update(state)
    Exception.__init__(error, error._render())
    return error


# -- tiers: what the caller should do about an error ----------------------------------------


class UsageError(VeowrapError):
    """The call or the set-up must change: retrying it as it is will fail the same way.

    Bad input, a budget, missing configuration, a capability the platform lacks, a destination
    or journal that cannot be used, or a request the service itself refused (HTTP 400).
    """


class JobError(VeowrapError):
    """The job ran (or was looked for) and ended without videos: failed, cancelled, filtered,
    timed out or not found. ``handle``, when set, names the operation."""


class TransientError(VeowrapError):
    """Trouble that may pass: quota, an unavailable service, an uncertain submission, a
    download. Try again later; ``handle``, when set, resumes the work without paying again."""


# -- usage errors ---------------------------------------------------------------------------


class ConfigurationError(UsageError):
    """veowrap cannot tell which platform or credentials to use, or they are inconsistent."""


class RequestValidationError(UsageError, ValueError):
    """A request was refused by veowrap itself, before any network call.

    A request the *service* refused is a :class:`ServiceRejectedError` instead.

    Attributes:
        field: The request field at fault (dotted for nested fields).
        value: The offending value (shortened when long; never a credential).
        allowed: What the field accepts, in words.
    """

    def __init__(
        self,
        field: str,
        value: Any,
        allowed: str,
        *,
        hint: str | None = None,
        reason: str | None = None,
    ) -> None:
        self.field = field
        self.value = value
        self.allowed = allowed
        self.reason = reason
        shown = _shorten(repr(value))
        message = f"{field}={shown} is not valid"
        message += f": {reason}." if reason else "."
        message += f" Allowed: {allowed}."
        super().__init__(message, hint=hint)


class UnsupportedCapabilityError(UsageError):
    """The chosen platform, model, route or installed package cannot do what was asked."""


class BudgetExceededError(UsageError):
    """A request or batch would cost more than the budget allows; nothing was submitted.

    Attributes:
        estimated_usd: The estimated cost of what was refused.
        budget_usd: The budget in force.
    """

    def __init__(self, message: str, *, estimated_usd: float, budget_usd: float) -> None:
        self.estimated_usd = estimated_usd
        self.budget_usd = budget_usd
        super().__init__(
            message,
            hint="Raise max_cost_usd / budget=, or lower duration, resolution or video count.",
        )


class ServiceRejectedError(UsageError):
    """The service refused the request as invalid (HTTP 400) after veowrap's own checks passed.

    Nothing was started and nothing is billed. veowrap's catalog did not know the rule the
    service applied: the message is the service's own.

    Attributes:
        status_code: The HTTP status (400).
        model: The model the request was for, when known.
        service_message: What the service said.
        field: The request field the service named (veowrap's name, e.g.
            ``duration_seconds`` for the wire's ``durationSeconds``), or None if it named none.
        value: That field's value in the request, when known.
    """

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        model: str | None = None,
        service_message: str = "",
        hint: str | None = None,
        field: str | None = None,
        value: Any = None,
    ) -> None:
        self.status_code = status_code
        self.model = model
        self.service_message = redact(service_message)
        self.field = field
        self.value = value
        super().__init__(message, hint=hint)


class WebhookVerificationError(UsageError):
    """A webhook delivery was refused: it is not provably from the sender, or not fresh.

    Answer the sender with HTTP 400 (or 401) and do not act on the body. The message names
    the check that failed (``check``) and never contains a secret or a signature.

    Attributes:
        check: Which check failed: ``headers``, ``timestamp``, ``signature``, ``body``,
            ``keys`` or ``configuration``.
    """

    def __init__(self, message: str, *, check: str, hint: str | None = None) -> None:
        self.check = check
        super().__init__(message, hint=hint)


# -- transient errors -----------------------------------------------------------------------


class QuotaExceededError(TransientError):
    """The service refused the call for quota or rate reasons (HTTP 429) after retries.

    Attributes:
        retry_after: Seconds the service asked the caller to wait, when it said.
    """

    def __init__(
        self,
        message: str,
        *,
        retry_after: float | None = None,
        hint: str | None = None,
        handle: OperationHandle | None = None,
    ) -> None:
        self.retry_after = retry_after
        super().__init__(message, hint=hint, handle=handle)


class ServiceUnavailableError(TransientError):
    """The service kept failing (5xx, connection errors, timeouts) until retries ran out."""


class SubmissionUncertainError(TransientError):
    """A create call may or may not have been accepted, so it was not retried.

    The request was sent but no answer that proves a refusal arrived: a reset connection, a
    read timeout, an unreadable answer, a 500/502/504/408, or the caller's deadline,
    cancellation or Ctrl-C while the create was in flight. The service may have started a paid
    operation. veowrap never re-sends such a request by itself: re-submitting could pay twice.

    Attributes:
        request: The request whose submission is uncertain.
        fingerprint: The request's fingerprint (``request.fingerprint()``), for matching it
            against the operations listed in the console or your own records.
    """

    def __init__(self, message: str, *, request: VideoRequest, hint: str | None = None) -> None:
        self.request = request
        self.fingerprint = request.fingerprint()
        super().__init__(message, hint=hint)

    def _render(self) -> str:
        return f"{super()._render()} (request fingerprint: {self.fingerprint[:16]})"


# -- job errors -----------------------------------------------------------------------------


class OperationFailedError(JobError):
    """The operation finished with an error reported by the service.

    Attributes:
        code: The service's error code (a google.rpc code number or a string code).
        message: The service's message.
    """

    def __init__(
        self,
        message: str,
        *,
        code: int | str | None,
        hint: str | None = None,
        handle: OperationHandle | None = None,
    ) -> None:
        self.code = code
        super().__init__(message, hint=hint, handle=handle)


class OutputStorageRequiredError(OperationFailedError):
    """The video was too large to return inline; the service needs an output storage URI.

    Vertex AI fails the operation (code 3, "Generated video is large, an output storage uri is
    required.") instead of inlining a large video. Pass ``output_gcs_uri`` and generate again.
    """


class OperationCancelledError(OperationFailedError):
    """The operation was cancelled before it produced a video."""


class ContentFilteredError(JobError):
    """Every video of the operation was withheld by the service's safety filters.

    Filtered videos are not billed.

    Attributes:
        reasons: The service's reasons, as given.
        filtered_count: How many videos were withheld.
    """

    def __init__(
        self,
        message: str,
        *,
        reasons: Sequence[str],
        filtered_count: int,
        handle: OperationHandle | None = None,
    ) -> None:
        self.reasons = tuple(reasons)
        self.filtered_count = filtered_count
        super().__init__(
            message,
            hint="Rephrase the prompt or change the input images; filtered videos are not billed.",
            handle=handle,
        )


class OperationTimeoutError(JobError):
    """The deadline passed before the operation finished. The operation may still be running.

    ``handle`` resumes the wait: ``generator.wait(error.handle)``.
    """


class OperationNotFoundError(JobError):
    """The service does not know the operation (wrong name, other project, or expired).

    Generated videos and their operations are kept for about two days.
    """


# -- files: a failed download may pass; a destination or journal must change -----------------


class DownloadError(TransientError):
    """A finished video could not be saved. Nothing partial is left at the destination."""


class DestinationError(UsageError):
    """A destination cannot take the videos: not creatable, not writable, or not a directory.

    Raised before anything is submitted when the destination is known up front (the CLI's
    ``-o``, ``generate_many(output_dir=...)``), so nothing is paid for a video that could not
    be saved.

    Attributes:
        path: The destination at fault.
    """

    def __init__(
        self,
        message: str,
        *,
        path: str,
        hint: str | None = None,
        handle: OperationHandle | None = None,
    ) -> None:
        self.path = path
        super().__init__(message, hint=hint, handle=handle)


class DestinationExistsError(DestinationError, DownloadError):
    """A file already exists where a video would be saved, and ``overwrite`` was not given.

    Nothing was replaced. The video stays retrievable through ``handle`` (or the result): save
    it elsewhere, or pass ``overwrite=True`` (CLI: ``--overwrite``).
    """


class JournalError(UsageError):
    """A batch journal cannot be used: corrupt, locked, unreadable, foreign or from a newer
    veowrap.

    Attributes:
        path: The journal file.
    """

    def __init__(self, message: str, *, path: str, hint: str | None = None) -> None:
        self.path = path
        super().__init__(message, hint=hint)


def _shorten(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."
