"""Google-style error bodies and the exception route handlers raise to send one."""

from __future__ import annotations

from typing import Any

#: Canonical status names Google returns for each HTTP status.
STATUS_NAMES: dict[int, str] = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    408: "DEADLINE_EXCEEDED",
    409: "ABORTED",
    412: "FAILED_PRECONDITION",
    429: "RESOURCE_EXHAUSTED",
    499: "CANCELLED",
    500: "INTERNAL",
    501: "NOT_IMPLEMENTED",
    502: "UNAVAILABLE",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}

#: gRPC code numbers (used inside operation errors) to their names.
GRPC_CODE_NAMES: dict[int, str] = {
    1: "CANCELLED",
    2: "UNKNOWN",
    3: "INVALID_ARGUMENT",
    4: "DEADLINE_EXCEEDED",
    5: "NOT_FOUND",
    7: "PERMISSION_DENIED",
    8: "RESOURCE_EXHAUSTED",
    9: "FAILED_PRECONDITION",
    10: "ABORTED",
    13: "INTERNAL",
    14: "UNAVAILABLE",
    16: "UNAUTHENTICATED",
}


def status_name(http_status: int) -> str:
    """Returns Google's status string for an HTTP status code."""
    if http_status in STATUS_NAMES:
        return STATUS_NAMES[http_status]
    return "INTERNAL" if http_status >= 500 else "FAILED_PRECONDITION"


def error_body(
    http_status: int, message: str, details: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """Builds the `{"error": {...}}` body Google APIs answer errors with."""
    error: dict[str, Any] = {"code": http_status, "message": message}
    if http_status == 429:
        # Google's 429 bodies carry the legacy `errors` list (real capture in
        # tests/emulator/real_payloads/vertex_429_rate_limit.json).
        error["errors"] = [{"message": message, "domain": "global", "reason": "rateLimitExceeded"}]
    error["status"] = status_name(http_status)
    if details:
        error["details"] = details
    return {"error": error}


class GoogleError(Exception):
    """Raised by a route handler to answer with a Google-style error.

    Attributes:
        http_status: HTTP status code of the response.
        message: Human-readable message placed in `error.message`.
        headers: Extra response headers.
        details: Optional `error.details` list.
    """

    def __init__(
        self,
        http_status: int,
        message: str,
        *,
        headers: dict[str, str] | None = None,
        details: list[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(message)
        self.http_status = http_status
        self.message = message
        self.headers = headers or {}
        self.details = details

    def body(self) -> dict[str, Any]:
        """Returns the JSON body for this error."""
        return error_body(self.http_status, self.message, self.details)


def invalid_argument(message: str) -> GoogleError:
    """Returns a 400 INVALID_ARGUMENT error."""
    return GoogleError(400, message)


def not_found(message: str) -> GoogleError:
    """Returns a 404 NOT_FOUND error."""
    return GoogleError(404, message)
