"""What went wrong with a call, and what to do about it: retry, give up, or declare uncertainty.

Everything here is pure: exceptions are read by duck typing (status codes, headers and class
names), so the same rules cover google-genai's ``APIError``, the interactions client's errors,
``httpx``/``httpx2``/``aiohttp`` transport errors and the standard library's, on every SDK
version, without importing any of them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, cast

from veowrap._errors import (
    ConfigurationError,
    OperationFailedError,
    OperationNotFoundError,
    OutputStorageRequiredError,
    QuotaExceededError,
    ServiceRejectedError,
    ServiceUnavailableError,
    SubmissionUncertainError,
    UnsupportedCapabilityError,
    VeowrapError,
)
from veowrap._handle import OperationHandle
from veowrap._redact import redact
from veowrap._request import VideoRequest

__all__ = ["Fault", "Phase", "Verdict", "classify", "describe"]

Phase = Literal["submit", "poll", "download", "cancel"]
FaultKind = Literal["http", "connect", "timeout", "disconnect", "malformed", "auth", "other"]

RETRYABLE_STATUS = frozenset({408, 429, 500, 502, 503, 504})
# A create is not idempotent: after it was sent, only these answers prove it was refused.
# Google's rule for non-idempotent calls (Cloud Workflows' ``default_retry_non_idempotent``):
# retry on 429, 503 and connection failures only. 500/502/504/408 may follow an accepted create.
CREATE_REFUSED_STATUS = frozenset({429, 503})

# Transport exceptions raised before any byte of the request left this machine. Names, not
# classes: httpx, httpx2 and aiohttp share them and none of them is a dependency of ours.
_NOT_SENT = frozenset(
    {
        "ConnectError",
        "ConnectTimeout",
        "PoolTimeout",
        "ConnectionRefusedError",
        "ClientConnectorError",
        "ClientConnectorDNSError",
        "gaierror",
        "CallNotStarted",  # veowrap's own: the deadline passed before the call was sent
    }
)
_TIMEOUTS = frozenset(
    {"ReadTimeout", "WriteTimeout", "TimeoutException", "TimeoutError", "ServerTimeoutError"}
)
_DISCONNECTS = frozenset(
    {
        "RemoteProtocolError",
        "ReadError",
        "WriteError",
        "NetworkError",
        "ConnectionResetError",
        "BrokenPipeError",
        "ConnectionAbortedError",
        "ServerDisconnectedError",
        "ClientOSError",
        "ClientPayloadError",
        "IncompleteRead",
        "RemoteDisconnected",
        "NoResponseError",
        "RedirectRefused",  # veowrap's own: an API call answered with a redirect
    }
)
_MALFORMED = frozenset(
    {
        "JSONDecodeError",
        "ValidationError",
        "ResponseValidationError",
        "APIResponseValidationError",
        "MalformedResponse",
        "ResponseTooLarge",  # veowrap's own: a compression bomb or an oversized answer
    }
)
_AUTH = frozenset({"RefreshError", "DefaultCredentialsError", "InvalidOperation"})
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)s\s*$")


@dataclass(frozen=True)
class Fault:
    """A neutral description of a failed call.

    Attributes:
        kind: The family of failure.
        status: The HTTP status, for ``http`` faults.
        retry_after: Seconds the server asked us to wait, if it said.
        message: The server's or the exception's message (never contains credentials: request
            headers are not part of any message read here).
        reason: The Google status string, e.g. ``RESOURCE_EXHAUSTED``.
    """

    kind: FaultKind
    status: int | None = None
    retry_after: float | None = None
    message: str = ""
    reason: str | None = None

    def describe(self) -> str:
        """A short text for logs and events, e.g. ``HTTP 429 RESOURCE_EXHAUSTED``."""
        if self.kind == "http":
            return f"HTTP {self.status} {self.reason or ''}".strip()
        return f"{self.kind}: {self.message}" if self.message else self.kind


def describe(error: BaseException) -> Fault:
    """Reads any exception raised by an SDK call into a :class:`Fault`."""
    status = _status_of(error)
    if status is not None:
        body = _body_of(error)
        return Fault(
            kind="http",
            status=status,
            retry_after=_retry_after(_headers_of(error), body),
            message=redact(_message_of(body) or _safe_str(error)),
            reason=_reason_of(body),
        )
    names = _class_names(error)
    # urllib wraps socket errors in URLError(reason); SDKs chain them as __cause__.
    reason = getattr(error, "reason", None)
    cause = reason if isinstance(reason, BaseException) else (error.__cause__ or error.__context__)
    cause_names = _class_names(cause) if cause is not None else set()
    wrapper = bool(names & {"APIConnectionError", "URLError"})
    if names & _NOT_SENT or (wrapper and cause_names & _NOT_SENT):
        return Fault(kind="connect", message=_safe_str(error))
    if names & _TIMEOUTS or "APITimeoutError" in names:
        return Fault(kind="timeout", message=_safe_str(error))
    if names & _DISCONNECTS or cause_names & _DISCONNECTS or "APIConnectionError" in names:
        return Fault(kind="disconnect", message=_safe_str(error))
    if names & _MALFORMED:
        return Fault(kind="malformed", message=_safe_str(error)[:200])
    if names & _AUTH:
        return Fault(kind="auth", message=_safe_str(error))
    return Fault(kind="other", message=f"{type(error).__name__}: {_safe_str(error)}")


@dataclass(frozen=True)
class Verdict:
    """What to do about a fault in a given phase."""

    fault: Fault
    phase: Phase
    retry: bool
    uncertain: bool = False

    def error(
        self,
        *,
        handle: OperationHandle | None = None,
        request: VideoRequest | None = None,
        model: str | None = None,
    ) -> VeowrapError:
        """The typed error to raise when the verdict is final (or retries ran out)."""
        fault, phase = self.fault, self.phase
        where = {
            "submit": "submitting the request",
            "poll": "reading the operation",
            "download": "downloading the video",
            "cancel": "cancelling the operation",
        }[phase]
        if self.uncertain and request is not None:
            return SubmissionUncertainError(
                f"The service may have accepted the request, but no answer proving a refusal "
                f"arrived ({fault.describe()}); it was not re-sent, to avoid paying twice.",
                request=request,
                hint="Before sending it again, check for an operation you did not expect (the "
                "Vertex AI console, `veowrap status`, or your billing); re-send only if none was "
                "started. The fingerprint identifies the request in veowrap's logs and journals.",
            )
        if fault.kind == "http":
            status = fault.status or 0
            text = f"HTTP {status} while {where}: {fault.message}".rstrip(": ")
            if status == 429:
                return QuotaExceededError(
                    text,
                    retry_after=fault.retry_after,
                    hint="Lower the request rate or ask for more quota; the handle, if any, "
                    "resumes the wait later.",
                    handle=handle,
                )
            if status in RETRYABLE_STATUS:
                return ServiceUnavailableError(
                    text, hint="The service is having trouble; try again later.", handle=handle
                )
            if status == 404 and phase in ("poll", "cancel", "download"):
                return OperationNotFoundError(
                    text,
                    hint="Check the operation name and project; operations and videos are kept "
                    "for about two days.",
                    handle=handle,
                )
            if status == 404:
                return UnsupportedCapabilityError(
                    text,
                    hint=f"Check the model id{f' {model!r}' if model else ''} and the platform; "
                    "veowrap.models() lists the models and where they live.",
                )
            if status in (401, 403) or (status == 400 and "api key" in fault.message.lower()):
                return ConfigurationError(
                    text,
                    hint="Check the API key or credentials and that the project may use this "
                    "model (GEMINI_API_KEY / GOOGLE_API_KEY, or `gcloud auth "
                    "application-default login` for Vertex AI).",
                    handle=handle,
                )
            if status == 400 and phase == "submit":
                field = service_field(fault.message)
                value = getattr(request, field, None) if field and request is not None else None
                named = f" {field}={value!r}" if field and value is not None else ""
                named = named or (f" {field}" if field else " the request")
                return ServiceRejectedError(
                    f"The service refused{named}{f' for {model}' if model else ''}: "
                    f"{fault.message}",
                    status_code=status,
                    model=model,
                    service_message=fault.message,
                    field=field,
                    value=value,
                    hint=f"Change {field or 'the field the message names'}; "
                    "veowrap.capabilities(model) lists what the model takes. Nothing was started "
                    "or billed.",
                )
            return VeowrapError(text, handle=handle)
        if fault.kind == "auth":
            return ConfigurationError(
                f"Could not get credentials while {where}: {fault.message}",
                hint="Run `gcloud auth application-default login` or pass credentials=.",
                handle=handle,
            )
        return ServiceUnavailableError(
            f"{fault.describe()} while {where}",
            hint="Check the network; the handle, if any, resumes the work later.",
            handle=handle,
        )


#: Wire field names the service uses in its messages, and veowrap's name for each.
_WIRE_FIELDS: dict[str, str] = {
    "durationSeconds": "duration_seconds",
    "duration": "duration_seconds",
    "aspectRatio": "aspect_ratio",
    "aspect_ratio": "aspect_ratio",
    "resolution": "resolution",
    "sampleCount": "number_of_videos",
    "negativePrompt": "negative_prompt",
    "personGeneration": "person_generation",
    "storageUri": "output_gcs_uri",
    "gcs_uri": "output_gcs_uri",
    "generateAudio": "generate_audio",
    "enhancePrompt": "enhance_prompt",
    "compressionQuality": "compression_quality",
    "resizeMode": "resize_mode",
    "seed": "seed",
    "fps": "fps",
    "lastFrame": "last_frame",
    "referenceImages": "reference_images",
    "image": "image",
    "video": "video",
    "mask": "mask",
    "prompt": "prompt",
    "labels": "labels",
}
# A name in backticks (Google's "`durationSeconds` is out of bound") or after a path prefix
# ("parameters.durationSeconds", "instances[0].lastFrame", "response_format.duration").
_NAMED_FIELD = re.compile(
    r"`([A-Za-z_]+)`|\b(?:parameters|instances\[\d+\]|response_format)\.([A-Za-z_]+)"
)


def service_field(message: str) -> str | None:
    """The request field a service error message names, in veowrap's spelling, if any.

    Args:
        message: The service's error message.

    Returns:
        For example ``"duration_seconds"`` for "The number value for `durationSeconds` is out
        of bound…", or None when the message names no field veowrap knows.
    """
    for match in _NAMED_FIELD.finditer(message):
        name = match[1] or match[2]
        if name in _WIRE_FIELDS:
            return _WIRE_FIELDS[name]
    return None


_LARGE_INLINE = "output storage uri is required"


def failed_operation(
    message: str, code: int | str | None, handle: OperationHandle | None
) -> OperationFailedError:
    """The typed error for an operation that finished with the service's error.

    Args:
        message: The operation's error message.
        code: Its error code.
        handle: The operation.
    """
    text = f"The operation failed: {message} (code {code})."
    if _LARGE_INLINE in message.lower():
        return OutputStorageRequiredError(
            text,
            code=code,
            hint="The video is too large to return inline: pass output_gcs_uri='gs://BUCKET/"
            "PREFIX/' (a bucket the service may write to) and generate again.",
            handle=handle,
        )
    return OperationFailedError(
        text,
        code=code,
        hint="Read the message: it usually names the input or parameter at fault.",
        handle=handle,
    )


def classify(
    error: BaseException | Fault, phase: Phase, *, retry_unavailable_create: bool = True
) -> Verdict:
    """Decides whether a failed call may be retried.

    Reads, polls and downloads retry on 408/429/5xx, connection errors, timeouts and malformed
    answers. A create is not idempotent, so it is retried only when it provably was not
    accepted: a connection that failed before the request was sent, or an answer of 429 or 503
    (Google's rule for non-idempotent calls). Any other failure after sending — 500, 502, 504,
    408, a timeout, a reset, an unreadable answer — is *uncertain* and never retried.

    Args:
        error: The exception a call raised (or a fault already read from one).
        phase: What the call did.
        retry_unavailable_create: Retry a create answered 503. ``False`` is the stricter rule
            (gRPC documents that even ``UNAVAILABLE`` does not prove the server saw nothing):
            such a create is then uncertain too.
    """
    fault = error if isinstance(error, Fault) else describe(error)
    if phase == "submit":
        refused = CREATE_REFUSED_STATUS if retry_unavailable_create else frozenset({429})
        if fault.kind == "connect" or (fault.kind == "http" and fault.status in refused):
            return Verdict(fault, phase, retry=True)
        uncertain = fault.kind in ("timeout", "disconnect", "malformed") or (
            fault.kind == "http" and fault.status in RETRYABLE_STATUS
        )
        return Verdict(fault, phase, retry=False, uncertain=uncertain)
    transient_http = fault.kind == "http" and fault.status in RETRYABLE_STATUS
    retry = transient_http or fault.kind in ("connect", "timeout", "disconnect", "malformed")
    return Verdict(fault, phase, retry=retry)


def _class_names(error: BaseException) -> set[str]:
    return {cls.__name__ for cls in type(error).__mro__}


def _status_of(error: BaseException) -> int | None:
    for attribute in ("status_code", "code"):
        value = getattr(error, attribute, None)
        # Only error statuses: an SDK may attach 200 to an answer it could not parse.
        if isinstance(value, int) and 400 <= value <= 599:
            return value
    return None


def _headers_of(error: BaseException) -> Mapping[str, str]:
    headers = getattr(error, "headers", None)
    if headers is None:
        response = getattr(error, "response", None) or getattr(error, "raw_response", None)
        headers = getattr(response, "headers", None)
    if isinstance(headers, Mapping):
        return cast("Mapping[str, str]", headers)
    items: Callable[[], Iterable[tuple[object, object]]] | None = getattr(
        headers, "items", None
    )  # urllib's email.message.Message is no Mapping
    return {str(key): str(value) for key, value in items()} if items is not None else {}


def _body_of(error: BaseException) -> Any:
    body = getattr(error, "details", None)
    if body is None:
        body = getattr(error, "body", None)
    if isinstance(body, (str, bytes)):
        try:
            body = json.loads(body)
        except ValueError:
            return {"error": {"message": body if isinstance(body, str) else body.decode()}}
    return body


def _error_part(body: Any) -> Mapping[str, Any]:
    if isinstance(body, Mapping):
        inner = body.get("error", body)
        if isinstance(inner, Mapping):
            return inner
    return {}


def _message_of(body: Any) -> str:
    message = _error_part(body).get("message")
    return str(message).strip() if message else ""


def _reason_of(body: Any) -> str | None:
    status = _error_part(body).get("status")
    return redact(str(status)) if status else None


def _retry_after(headers: Mapping[str, str], body: Any) -> float | None:
    value = None
    for key, header in headers.items():
        if key.lower() == "retry-after":
            value = header
            break
    if value is not None:
        # Google sends delta-seconds; an HTTP-date would need a clock, which this module has not.
        try:
            return max(0.0, float(value))
        except ValueError:
            pass
    for detail in _error_part(body).get("details") or ():
        if isinstance(detail, Mapping) and "retryDelay" in detail:
            match = _DURATION.match(str(detail["retryDelay"]))
            if match:
                return float(match[1])
    return None


def _safe_str(error: BaseException) -> str:
    try:
        return redact(str(error))
    except Exception:  # a broken __str__ must not hide the original failure
        return type(error).__name__
