"""What can go wrong on the wire (`Fault`) and how a generation ends (`Outcome`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

FaultKind = Literal[
    "http",
    "reset_before_accept",
    "reset_after_accept",
    "stall",
    "malformed_json",
    "cut_short",
    "slow",
]

OutcomeKind = Literal[
    "success", "error", "filtered", "partially_filtered", "large", "expire_after_done"
]

_DEFAULT_FILTER_REASON = (
    "Unable to generate videos because the prompt could violate our policies. "
    "(Emulated support code 00000000)"
)


@dataclass(frozen=True)
class Fault:
    """A failure the emulator injects into one call of an endpoint.

    Build instances with the classmethods; the fields are an implementation detail that the
    server reads.
    """

    kind: FaultKind
    status: int = 0
    retry_after: float | None = None
    message: str | None = None
    seconds: float = 0.0
    after_bytes: int = 0
    bytes_per_second: int = 0

    @classmethod
    def http(
        cls, status: int, *, retry_after: float | None = None, message: str | None = None
    ) -> Fault:
        """Answers with a Google-style error body and the given HTTP status.

        Args:
            status: HTTP status code, e.g. 429 or 503.
            retry_after: If given, sent as the `Retry-After` header (seconds).
            message: `error.message`; a generic one is used when omitted.
        """
        if not 400 <= status <= 599:
            raise ValueError(f"status must be a 4xx or 5xx code, got {status}")
        return cls("http", status=status, retry_after=retry_after, message=message)

    @classmethod
    def reset_before_accept(cls) -> Fault:
        """Reads the request, then resets the TCP connection without creating anything."""
        return cls("reset_before_accept")

    @classmethod
    def reset_after_accept(cls) -> Fault:
        """Handles the request (a create is accepted), then resets without responding."""
        return cls("reset_after_accept")

    @classmethod
    def stall(cls, seconds: float) -> Fault:
        """Waits `seconds` before handling the request and responding normally."""
        if seconds < 0:
            raise ValueError("seconds must be >= 0")
        return cls("stall", seconds=seconds)

    @classmethod
    def malformed_json(cls) -> Fault:
        """Answers 200 with a body that is not valid JSON (a create is not accepted)."""
        return cls("malformed_json")

    @classmethod
    def cut_short(cls, after_bytes: int = 1024) -> Fault:
        """Sends the full Content-Length header, then only `after_bytes` bytes, then closes."""
        if after_bytes < 0:
            raise ValueError("after_bytes must be >= 0")
        return cls("cut_short", after_bytes=after_bytes)

    @classmethod
    def slow(cls, bytes_per_second: int) -> Fault:
        """Throttles the response body to `bytes_per_second`."""
        if bytes_per_second <= 0:
            raise ValueError("bytes_per_second must be > 0")
        return cls("slow", bytes_per_second=bytes_per_second)


@dataclass(frozen=True)
class Outcome:
    """How an accepted generation ends. Build instances with the classmethods."""

    kind: OutcomeKind = "success"
    code: int = 0
    message: str = ""
    reasons: tuple[str, ...] = field(default_factory=tuple)
    count: int = 0
    megabytes: int = 0

    @classmethod
    def success(cls) -> Outcome:
        """All requested videos are generated (the default)."""
        return cls("success")

    @classmethod
    def error(cls, code: int = 3, message: str = "Video generation failed.") -> Outcome:
        """The operation finishes with `error` (interactions: status `failed` with `errors`).

        Args:
            code: gRPC code number placed in the operation's `error.code`.
            message: The error message.
        """
        return cls("error", code=code, message=message)

    @classmethod
    def filtered(cls, reasons: list[str] | None = None, count: int = 1) -> Outcome:
        """Every video is removed by safety filters.

        Args:
            reasons: `raiMediaFilteredReasons`; a generic reason is used when omitted.
            count: `raiMediaFilteredCount`.
        """
        return cls("filtered", reasons=tuple(reasons or [_DEFAULT_FILTER_REASON]), count=count)

    @classmethod
    def partially_filtered(cls, reasons: list[str] | None = None) -> Outcome:
        """One video is filtered and the rest are returned (needs `sampleCount` >= 2)."""
        return cls(
            "partially_filtered", reasons=tuple(reasons or [_DEFAULT_FILTER_REASON]), count=1
        )

    @classmethod
    def large(cls, megabytes: int) -> Outcome:
        """Serves a valid MP4 of `megabytes` MiB: a real asset plus a streamed `free` box."""
        if megabytes < 1:
            raise ValueError("megabytes must be >= 1")
        return cls("large", megabytes=megabytes)

    @classmethod
    def expire_after_done(cls) -> Outcome:
        """Succeeds, but the operation answers 404 after the first poll that reports done."""
        return cls("expire_after_done")
