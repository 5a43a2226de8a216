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
    "accept_then_http",
    "trickle_headers",
    "trickle_body",
    "wrong_content",
    "echo_credentials",
    "compression_bomb",
    "redirect",
]

WrongContentKind = Literal["html", "json", "gzip", "empty"]
_WRONG_CONTENT_KINDS = ("html", "json", "gzip", "empty")
_REDIRECT_STATUSES = (301, 302, 303, 307, 308)

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
    interval: float = 0.0
    content_length: bool = True
    content: str = ""
    megabytes: int = 0
    location: str = ""

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
    def cut_short(cls, after_bytes: int = 1024, *, content_length: bool = True) -> Fault:
        """Sends only the first `after_bytes` bytes of the body, then closes the connection.

        Args:
            after_bytes: How many body bytes arrive before the connection closes.
            content_length: True sends the full `Content-Length`, so the client can tell the
                body is short (a premature EOF). False sends no `Content-Length` at all
                (`Connection: close` framing) and closes cleanly: the short body looks
                complete on the wire, and only the content can tell it is truncated.
        """
        if after_bytes < 0:
            raise ValueError("after_bytes must be >= 0")
        return cls("cut_short", after_bytes=after_bytes, content_length=content_length)

    @classmethod
    def slow(cls, bytes_per_second: int) -> Fault:
        """Throttles the response body to `bytes_per_second`."""
        if bytes_per_second <= 0:
            raise ValueError("bytes_per_second must be > 0")
        return cls("slow", bytes_per_second=bytes_per_second)

    @classmethod
    def accept_then_http(cls, status: int, message: str | None = None) -> Fault:
        """Handles the request normally (a create IS accepted), then answers an error.

        This is the worst case for a client that retries on 5xx: the job exists and is
        billed, but the answer says it failed.

        Args:
            status: HTTP status code of the Google-style error, e.g. 500, 502, 504 or 408.
            message: `error.message`; a generic one is used when omitted.
        """
        if not 400 <= status <= 599:
            raise ValueError(f"status must be a 4xx or 5xx code, got {status}")
        return cls("accept_then_http", status=status, message=message)

    @classmethod
    def trickle_headers(cls, interval: float = 0.1) -> Fault:
        """Handles the request (a create IS accepted), then trickles the response head.

        The status line and headers go out one byte every `interval` seconds, without end
        (an endless header follows the real ones), until the client hangs up or the emulator
        stops. Each byte resets a naive per-read timeout, so only an overall deadline ends it.

        Args:
            interval: Seconds between bytes.
        """
        if interval <= 0:
            raise ValueError("interval must be > 0")
        return cls("trickle_headers", interval=interval)

    @classmethod
    def trickle_body(cls, interval: float = 0.1, after_bytes: int = 0) -> Fault:
        """Sends the headers promptly (with the true `Content-Length`), then trickles the body.

        The first `after_bytes` body bytes go out at once, then one byte every `interval`
        seconds until the body is complete, the client hangs up or the emulator stops.

        Args:
            interval: Seconds between bytes after the first `after_bytes`.
            after_bytes: Body bytes sent at once before the trickle starts.
        """
        if interval <= 0:
            raise ValueError("interval must be > 0")
        if after_bytes < 0:
            raise ValueError("after_bytes must be >= 0")
        return cls("trickle_body", interval=interval, after_bytes=after_bytes)

    @classmethod
    def wrong_content(cls, kind: WrongContentKind) -> Fault:
        """Answers 200 with content that is not what was asked for (meant for downloads).

        The request is not handled (nothing is created). Kinds:

        * `"html"`: an HTML error page, `Content-Type: text/html` (a captive portal or proxy).
        * `"json"`: a JSON object, `Content-Type: application/json`.
        * `"gzip"`: gzip-compressed bytes, `Content-Type: application/gzip` (no
          `Content-Encoding`, so a client does not inflate them).
        * `"empty"`: an empty body with `Content-Type: video/mp4` and `Content-Length: 0`.

        Args:
            kind: One of `"html"`, `"json"`, `"gzip"`, `"empty"`.
        """
        if kind not in _WRONG_CONTENT_KINDS:
            raise ValueError(f"kind must be one of {_WRONG_CONTENT_KINDS}, got {kind!r}")
        return cls("wrong_content", content=kind)

    @classmethod
    def echo_credentials(cls, status: int = 500) -> Fault:
        """Answers a Google-style error whose message echoes the request's credentials.

        The message (and an `ErrorInfo` detail's metadata) contain, verbatim, the
        `x-goog-api-key` header value, the full `Authorization` header and the `key` query
        parameter, whichever the request carried. Use it to check that a client never puts
        an error body into a log line, exception text or event. The request is not handled.

        Args:
            status: HTTP status code of the error (4xx or 5xx).
        """
        if not 400 <= status <= 599:
            raise ValueError(f"status must be a 4xx or 5xx code, got {status}")
        return cls("echo_credentials", status=status)

    @classmethod
    def compression_bomb(cls, megabytes: int = 1024) -> Fault:
        """Answers 200 with `Content-Encoding: gzip` and a body that inflates enormously.

        About 1 KiB on the wire per MiB inflated: `megabytes` MiB of zeros (NUL bytes for
        media endpoints; for JSON endpoints a `{"name": "` prefix followed by ASCII `0`
        digits, so the text stays plausible JSON until the very end). The request is not
        handled. The compressed body is built once per size and cached.

        Args:
            megabytes: Inflated size in MiB.
        """
        if megabytes < 1:
            raise ValueError("megabytes must be >= 1")
        return cls("compression_bomb", megabytes=megabytes)

    @classmethod
    def redirect(cls, location: str, status: int = 302) -> Fault:
        """Answers `status` with `Location: location` and an empty body.

        The request is not handled. Point it at a `RecordingServer` (another origin) to see
        what a client sends to a host it was redirected to.

        Args:
            location: An absolute URL, or a path relative to the emulator.
            status: 301, 302, 303, 307 or 308.
        """
        if status not in _REDIRECT_STATUSES:
            raise ValueError(f"status must be one of {_REDIRECT_STATUSES}, got {status}")
        if not location:
            raise ValueError("location must not be empty")
        return cls("redirect", status=status, location=location)


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
        """Serves a valid MP4 of `megabytes` MiB: a real asset plus a streamed `free` box.

        On Vertex AI without `storageUri`, a video over 32 MiB is not inlined: like Google,
        the operation fails with code 3, "Generated video is large, an output storage uri is
        required."
        """
        if megabytes < 1:
            raise ValueError("megabytes must be >= 1")
        return cls("large", megabytes=megabytes)

    @classmethod
    def expire_after_done(cls) -> Outcome:
        """Succeeds, but the operation answers 404 after the first poll that reports done."""
        return cls("expire_after_done")
