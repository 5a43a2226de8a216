"""Rules for webhook deliveries: headers, timestamps, signature entries, events, matching.

Pure: no network, no clock, no cryptography. ``veowrap.webhooks`` performs the checks that need
keys (HMAC, Ed25519, JWT) and asks here everything else. Wire facts and their sources:
``shared/reference/webhooks-wire.md`` (Gemini API webhooks guide, Standard Webhooks spec,
googleapis/python-genai#2927).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal
from urllib.parse import urlsplit

from veowrap._core.schedule import PollSchedule
from veowrap._errors import WebhookVerificationError

__all__ = [
    "DEFAULT_BACKSTOP_SECONDS",
    "DEFAULT_TOLERANCE_SECONDS",
    "GOOGLE_JWKS_URL",
    "MAX_BODY_BYTES",
    "MAX_ED25519_KEYS",
    "MAX_SIGNATURE_ENTRIES",
    "Delivery",
    "SignatureEntry",
    "WebhookEvent",
    "WebhookVerificationError",
    "backstop_schedule",
    "check_secrets",
    "check_timestamp",
    "check_token_times",
    "check_url",
    "check_urls",
    "endpoint_url_problem",
    "event_keys",
    "jwks_url_problem",
    "match_keys",
    "parse_event",
    "read_delivery",
    "redact_url",
    "signed_content",
    "token_replay_key",
]

#: Google's key set for dynamic (per-request) webhooks (GUIDE "Verify dynamic signatures").
GOOGLE_JWKS_URL = "https://generativelanguage.googleapis.com/.well-known/jwks.json"
#: Deliveries older or newer than this are refused (GUIDE best practices; Standard Webhooks).
DEFAULT_TOLERANCE_SECONDS = 300.0
#: Thin payloads are pointers (ids, URIs), well under a kilobyte; 256 KiB is generous.
MAX_BODY_BYTES = 256 << 10
#: More entries than any rotation needs: bounds the work one forged header can cause.
MAX_SIGNATURE_ENTRIES = 8
#: Ed25519 keys tried per ``v1a`` entry (Google's set held three, #2927): with the entry cap,
#: at most 8 × 16 signature checks per delivery, however large the key set.
MAX_ED25519_KEYS = 16
#: Seconds between backstop polls while a wait also listens for webhooks.
DEFAULT_BACKSTOP_SECONDS = 60.0
_MAX_ID_CHARS = 256
_MAX_HEADER_CHARS = 8 * 1024
# Standard Webhooks: "msg_..." ids; Google's are ``msg_<uuid>`` (#2927). Printable, no spaces.
_ID = re.compile(r"^[\x21-\x7e]+$")
_JWT = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$")
_LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})

Scheme = Literal["v1", "v1a", "jwt"]


@dataclass(frozen=True)
class SignatureEntry:
    """One entry of a ``webhook-signature`` header: ``v1,<b64>``, ``v1a,<b64>`` or a JWT."""

    scheme: Scheme
    value: str


@dataclass(frozen=True)
class Delivery:
    """The signed parts of a delivery, read from its headers."""

    id: str
    timestamp: int
    timestamp_text: str
    entries: tuple[SignatureEntry, ...]


def _fail(check: str, message: str, hint: str | None = None) -> WebhookVerificationError:
    return WebhookVerificationError(message, check=check, hint=hint)


_HEADERS_HINT = (
    "Pass the request's headers as received: a dict, a framework's headers object, or "
    "(name, value) pairs."
)


def _header_items(headers: Any) -> Iterable[tuple[Any, Any]]:
    # A dict, an ASGI list of (bytes, bytes) pairs, or a framework's headers object
    # (Starlette, Werkzeug, Django's HttpHeaders all have ``items()``). Anything else is a
    # caller's mistake, refused with a typed error rather than a stray ValueError/TypeError.
    if headers is None or isinstance(headers, str | bytes | bytearray | memoryview):
        raise _fail(
            "headers",
            f"headers must be a mapping or pairs, not {type(headers).__name__}.",
            hint=_HEADERS_HINT,
        )
    try:
        items = list(headers.items()) if hasattr(headers, "items") else list(headers)
    except (TypeError, ValueError):
        raise _fail("headers", "headers are not a mapping or pairs.", hint=_HEADERS_HINT) from None
    for item in items:
        if not isinstance(item, tuple | list) or len(item) != 2:
            raise _fail("headers", "each header must be a (name, value) pair.", hint=_HEADERS_HINT)
        if not all(isinstance(part, str | bytes) for part in item):
            raise _fail(
                "headers", "header names and values must be str or bytes.", hint=_HEADERS_HINT
            )
    return items


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("latin-1")
    return str(value)


def read_delivery(headers: Any) -> Delivery:
    """Reads ``webhook-id``, ``webhook-timestamp`` and ``webhook-signature`` (any case).

    A name sent twice with different values is refused: which one was signed would be
    ambiguous, and a dedupe on the wrong id lets a replay through.

    Raises:
        WebhookVerificationError: A header is missing, repeated differently or malformed.
    """
    found: dict[str, str] = {}
    for raw_name, raw_value in _header_items(headers):
        name = _text(raw_name).strip().lower()
        if name not in ("webhook-id", "webhook-timestamp", "webhook-signature"):
            continue
        value = _text(raw_value).strip()
        if len(value) > _MAX_HEADER_CHARS:
            raise _fail("headers", f"The {name} header is longer than {_MAX_HEADER_CHARS} chars.")
        if name in found and found[name] != value:
            if name != "webhook-signature":
                raise _fail("headers", f"The {name} header was sent twice with different values.")
            value = f"{found[name]} {value}"  # repeated signature headers: a list of entries
        found[name] = value
    missing = [
        n for n in ("webhook-id", "webhook-timestamp", "webhook-signature") if not found.get(n)
    ]
    if missing:
        raise _fail(
            "headers",
            f"Missing required header(s): {', '.join(missing)}.",
            hint="Pass the request's headers as received (webhook-id, webhook-timestamp, "
            "webhook-signature), and the raw body.",
        )
    msg_id = found["webhook-id"]
    if len(msg_id) > _MAX_ID_CHARS or not _ID.match(msg_id):
        raise _fail("headers", "The webhook-id header is not a printable id without spaces.")
    stamp = found["webhook-timestamp"]
    # Unix seconds, as the sender signed them: digits only, no sign, no fraction, no leading
    # zero (the HMAC library signs the canonical form; one spelling per instant).
    if not stamp.isascii() or not stamp.isdigit() or len(stamp) > 12 or stamp != str(int(stamp)):
        raise _fail("headers", "The webhook-timestamp header is not Unix seconds.")
    return Delivery(msg_id, int(stamp), stamp, parse_signatures(found["webhook-signature"]))


def parse_signatures(header: str) -> tuple[SignatureEntry, ...]:
    """The entries of a ``webhook-signature`` header that veowrap can check.

    Space-separated ``version,signature`` entries (Standard Webhooks); a bare three-part
    token is a JWT (GUIDE's dynamic-webhook section). Unknown versions are skipped, as the
    Standard Webhooks spec asks; an entry without a comma is skipped too (``standardwebhooks``
    1.1.0 raises a plain ``ValueError`` there).

    Raises:
        WebhookVerificationError: No entry veowrap knows, or too many entries.
    """
    parts = header.split()
    if len(parts) > MAX_SIGNATURE_ENTRIES:
        raise _fail("signature", f"More than {MAX_SIGNATURE_ENTRIES} signature entries.")
    entries: list[SignatureEntry] = []
    for part in parts:
        version, comma, value = part.partition(",")
        if comma and version in ("v1", "v1a") and value:
            entries.append(SignatureEntry(version, value))  # type: ignore[arg-type]
        elif not comma and _JWT.match(part):
            entries.append(SignatureEntry("jwt", part))
    if not entries:
        raise _fail(
            "signature",
            "The webhook-signature header has no v1, v1a or JWT entry.",
            hint="veowrap checks Standard Webhooks v1 (HMAC), v1a (Ed25519) and JWT signatures.",
        )
    return tuple(entries)


def check_timestamp(timestamp: int, now: float, tolerance: float) -> None:
    """Refuses a delivery signed more than ``tolerance`` seconds before or after ``now``.

    Raises:
        WebhookVerificationError: Outside the window (a replay or a badly wrong clock).
    """
    if not math.isfinite(now) or abs(now - timestamp) > tolerance:
        when = "old" if timestamp < now else "far in the future"
        raise _fail(
            "timestamp",
            f"The delivery's timestamp is too {when}: {abs(now - timestamp):.0f} s away "
            f"(tolerance {tolerance:g} s).",
            hint="A replayed delivery, or a wrong system clock on this host.",
        )


def _claim_time(claims: Mapping[str, Any], name: str) -> float | None:
    value = claims.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _fail("signature", f"The JWT's {name} claim is not a number of seconds.")
    return float(value)


def check_token_times(
    claims: Mapping[str, Any], timestamp: int, now: float, tolerance: float
) -> None:
    """Refuses a JWT whose own times (``iat``, ``nbf``, ``exp``) are outside the window.

    The ``webhook-timestamp`` header is not covered by a JWT's signature: an old token
    replayed under a fresh header would pass :func:`check_timestamp`. So the token's signed
    times are held to the same ``tolerance``: ``iat`` within it of ``now`` and of the header's
    timestamp, ``nbf`` not later than ``now`` by more, ``exp`` not earlier than ``now`` (or the
    header's timestamp) by more.

    Raises:
        WebhookVerificationError: ``check="timestamp"`` when a time is out of the window;
            ``check="signature"`` when a time claim is not a number.
    """
    issued = _claim_time(claims, "iat")
    start = _claim_time(claims, "nbf")
    expires = _claim_time(claims, "exp")
    hint = "A replayed token, or a wrong system clock on this host."
    if issued is not None:
        if abs(now - issued) > tolerance:
            when = "old" if issued < now else "far in the future"
            raise _fail(
                "timestamp",
                f"The JWT was issued too {when}: {abs(now - issued):.0f} s away "
                f"(tolerance {tolerance:g} s).",
                hint=hint,
            )
        if abs(timestamp - issued) > tolerance:
            raise _fail(
                "timestamp",
                "The webhook-timestamp header does not match the JWT's iat "
                f"({abs(timestamp - issued):.0f} s apart; tolerance {tolerance:g} s).",
                hint=hint,
            )
    if start is not None and start - tolerance > now:
        raise _fail("timestamp", "The JWT is not valid yet (nbf).", hint=hint)
    if expires is not None and (expires + tolerance < now or expires + tolerance < timestamp):
        raise _fail("timestamp", "The JWT has expired.", hint=hint)


def token_replay_key(token: str, claims: Mapping[str, Any]) -> str:
    """The key under which a JWT delivery is deduplicated, besides its ``webhook-id``.

    A JWT does not sign ``webhook-id``: one captured token replayed under fresh ids would
    otherwise be a new delivery each time. The token's ``jti`` names it when given (a resend
    may carry a fresh token with the same ``jti``), else the token itself (by digest).
    """
    jti = claims.get("jti")
    if isinstance(jti, str) and jti:
        return f"jwt-jti:{jti[:_MAX_ID_CHARS]}"
    return "jwt-sha256:" + hashlib.sha256(token.encode()).hexdigest()


_SECRET_PREFIX = "whsec_"
_SECRET_HINT = "Copy the secret exactly as created (whsec_ followed by base64)."


def check_secrets(secret: object) -> list[str | bytes]:
    """``secret=`` as a list of signing secrets, each checked to hold a non-empty key.

    A ``whsec_`` string (the key is the base64 after the prefix, padding optional, as
    ``standardwebhooks`` reads it) or raw key bytes; or a list of them (a rotation). A
    malformed secret is a configuration error, found before any delivery; the message never
    quotes it.

    Raises:
        WebhookVerificationError: ``check="configuration"``: not a secret or a list of them,
            or one holds no key.
    """
    if secret is None:
        return []
    if isinstance(secret, str | bytes):
        secrets: list[object] = [secret]
    elif isinstance(secret, list | tuple):
        secrets = list(secret)
    else:
        raise _fail(
            "configuration",
            f"secret= must be a whsec_ string or a list of them, not {type(secret).__name__}.",
            hint=_SECRET_HINT,
        )
    checked: list[str | bytes] = []
    for position, item in enumerate(secrets, 1):
        which = "The signing secret" if len(secrets) == 1 else f"Signing secret #{position}"
        if isinstance(item, bytes):
            key = item
        elif isinstance(item, str):
            text = item.removeprefix(_SECRET_PREFIX)
            try:
                key = base64.b64decode(text + "==")
            except (binascii.Error, ValueError):
                raise _fail(
                    "configuration", f"{which} is not a valid whsec_ secret.", hint=_SECRET_HINT
                ) from None
        else:
            raise _fail(
                "configuration",
                f"{which} is a {type(item).__name__}, not a whsec_ string.",
                hint=_SECRET_HINT,
            )
        if not key:
            raise _fail("configuration", f"{which} holds an empty key.", hint=_SECRET_HINT)
        checked.append(item)
    return checked


def check_tolerance(tolerance: float) -> float:
    """The timestamp tolerance, checked: seconds in (0, 1 day]."""
    if (
        isinstance(tolerance, bool)
        or not isinstance(tolerance, int | float)
        or not 0 < tolerance <= 86400
    ):
        from veowrap._errors import RequestValidationError

        raise RequestValidationError(
            "tolerance", tolerance, "seconds > 0 and at most 86400", hint="The default is 300."
        )
    return float(tolerance)


def check_body(body: bytes | bytearray | memoryview | str, limit: int) -> bytes:
    """The raw body as bytes, exactly as received; refused when over ``limit`` bytes."""
    raw = body.encode() if isinstance(body, str) else bytes(body)
    if len(raw) > limit:
        raise _fail("body", f"The body is larger than {limit} bytes.")
    return raw


def signed_content(delivery: Delivery, body: bytes) -> bytes:
    """What the sender signed: ``{webhook-id}.{webhook-timestamp}.{raw body}`` (v1 and v1a)."""
    return f"{delivery.id}.{delivery.timestamp_text}.".encode() + body


_NOT_A_URL = "it is not a URL"


def endpoint_url_problem(url: object) -> str | None:
    """Why ``url`` cannot be a webhook endpoint or key set, or ``None``.

    HTTPS (Google delivers only to HTTPS endpoints, webhooks-wire.md §3), or plain HTTP to a
    loopback address for tests; never with credentials in the URL.
    """
    if not isinstance(url, str):
        return _NOT_A_URL
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 - an unreadable port (a raw '/' in a password) is no URL
    except ValueError:
        return _NOT_A_URL
    if "@" in parts.netloc:
        return "it carries credentials (user:password@); they would be sent and logged"
    if parts.scheme == "https" and host:
        return None
    if parts.scheme == "http" and host in _LOOPBACK:
        return None
    return "it must be an https:// URL (plain http:// only to a loopback address, for tests)"


def jwks_url_problem(url: object) -> str | None:
    """Why ``url`` cannot serve keys, or ``None`` (the same rule as endpoints)."""
    return endpoint_url_problem(url)


_USERINFO = re.compile(r"^((?:[A-Za-z][A-Za-z0-9+.-]*:)?//)([^/?#]*)@")


def redact_url(url: object) -> object:
    """``url`` for messages: any ``user:password@`` part replaced by ``***``.

    Non-strings are returned as they are (they carry no URL to hide).
    """
    if not isinstance(url, str):
        return url
    shown = _USERINFO.sub(r"\1***@", url, count=1)
    if "@" in shown and endpoint_url_problem(url) == _NOT_A_URL:
        # Unreadable, with an '@' past a '/', '?' or '#' (a password holding a raw '/'):
        # which part is a credential cannot be told, so nothing after the scheme is shown.
        return shown.split("//", 1)[0] + "//***"
    return shown


_URL_ALLOWED = "an https:// URL without credentials (plain http:// only to a loopback address)"


def check_url(field: str, url: object, *, hint: str | None = None) -> str:
    """``url`` if it may be a webhook endpoint or key set (:func:`endpoint_url_problem`).

    The one home of the rule for ``webhook=``, ``jwks=`` and ``veowrap webhooks create
    --uri``; a refusal shows the URL with its credentials replaced by ``***``.

    Raises:
        RequestValidationError: The URL is refused.
    """
    problem = endpoint_url_problem(url)
    if problem is None:
        return str(url)
    from veowrap._errors import RequestValidationError

    raise RequestValidationError(field, redact_url(url), _URL_ALLOWED, reason=problem, hint=hint)


def check_urls(field: str, urls: tuple[str, ...], *, hint: str | None = None) -> tuple[str, ...]:
    """:func:`check_url` for a list of URLs; a refusal shows them all, credentials masked.

    Raises:
        RequestValidationError: One of the URLs is refused (``reason`` says which and why).
    """
    for url in urls:
        problem = endpoint_url_problem(url)
        if problem is not None:
            from veowrap._errors import RequestValidationError

            raise RequestValidationError(
                field,
                tuple(redact_url(u) for u in urls),
                _URL_ALLOWED,
                reason=f"{str(redact_url(url))[:80]!r}: {problem}",
                hint=hint,
            )
    return urls


# -- events -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class WebhookEvent:
    """A verified delivery.

    Attributes:
        id: The ``webhook-id`` (the same across retries of one delivery: dedupe on it).
        type: The event type, e.g. ``video.generated``, ``interaction.completed``,
            ``batch.succeeded``; unknown types are kept as sent.
        timestamp: When the event happened (the body's ``timestamp``, else the header's).
        data: The event's ``data`` object as sent.
        scheme: Which signature verified it: ``v1``, ``v1a`` or ``jwt``.
        operation_name: The operation a ``video.generated`` event is about, when given.
        interaction_id: The interaction an ``interaction.*`` event is about.
        batch_id: The batch a ``batch.*`` event is about.
        output_uri: ``data.output_file_uri`` or ``data.video_uri`` (sources differ).
        file_name: ``data.file_name``, when given.
        error_code: ``data.error_code`` of a failed event.
        error_message: ``data.error_message`` of a failed event.
        user_metadata: The ``user_metadata`` of a dynamic webhook, when echoed.
        replay_key: A second dedupe key for a scheme that does not sign ``webhook-id``
            (JWT: the token's ``jti`` or digest), else ``None``.
    """

    id: str
    type: str
    timestamp: datetime
    data: Mapping[str, Any]
    scheme: Scheme
    version: str | None = None
    operation_name: str | None = None
    interaction_id: str | None = None
    batch_id: str | None = None
    output_uri: str | None = None
    file_name: str | None = None
    error_code: int | str | None = None
    error_message: str | None = None
    user_metadata: Mapping[str, Any] | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False)
    replay_key: str | None = field(default=None, repr=False)

    @property
    def failed(self) -> bool:
        """Whether the event reports a failure (``*.failed``, ``*.expired``, ``*.cancelled``)."""
        return self.type.rsplit(".", 1)[-1] in ("failed", "expired", "cancelled")


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def parse_event(
    body: bytes, delivery: Delivery, scheme: Scheme, replay_key: str | None = None
) -> WebhookEvent:
    """Reads a verified body into a :class:`WebhookEvent`; unknown types parse generically.

    Raises:
        WebhookVerificationError: The body is not a JSON object (``check="body"``).
    """
    try:
        envelope = json.loads(body)
    except (ValueError, RecursionError):
        raise _fail("body", "The body is not JSON.") from None
    if not isinstance(envelope, dict):
        raise _fail("body", "The body is not a JSON object.")
    data = envelope.get("data")
    data = data if isinstance(data, dict) else {}
    kind = _str(envelope.get("type")) or "unknown"
    family = kind.split(".", 1)[0]
    ident = _str(data.get("id"))
    operation = interaction = batch = None
    if family == "interaction":
        interaction = ident
    elif family == "batch":
        batch = ident
    else:
        # video.generated: GUIDE gives ``id``; ``name``/``operation`` are accepted in case the
        # live payload names the operation that way (no delivery has been captured).
        operation = _str(data.get("operation")) or _str(data.get("name")) or ident
    code = data.get("error_code")
    metadata = data.get("user_metadata", envelope.get("user_metadata"))
    return WebhookEvent(
        id=delivery.id,
        type=kind,
        timestamp=_when(envelope.get("timestamp"), delivery.timestamp),
        data=data,
        scheme=scheme,
        version=_str(envelope.get("version")),
        operation_name=operation,
        interaction_id=interaction,
        batch_id=batch,
        output_uri=_str(data.get("output_file_uri")) or _str(data.get("video_uri")),
        file_name=_str(data.get("file_name")),
        error_code=code if isinstance(code, int | str) and not isinstance(code, bool) else None,
        error_message=_str(data.get("error_message")),
        user_metadata=metadata if isinstance(metadata, dict) else None,
        raw=envelope,
        replay_key=replay_key,
    )


def _when(text: Any, fallback: int) -> datetime:
    if isinstance(text, str):
        try:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
        except ValueError:
            pass
    return datetime.fromtimestamp(fallback, UTC)


# -- matching deliveries to waits -------------------------------------------------------------


def match_keys(name: str) -> frozenset[str]:
    """The keys under which a delivery for operation or interaction ``name`` is filed.

    The full name and its last path segment: an event may carry ``models/M/operations/ID``
    or only ``ID``, ``interactions/ID`` or ``ID``. Ids are random, so the segment is unique.
    """
    name = name.strip()
    if not name:
        return frozenset()
    return frozenset({name, name.rstrip("/").rsplit("/", 1)[-1]})


def event_keys(event: WebhookEvent) -> frozenset[str]:
    """The keys a verified event answers (see :func:`match_keys`)."""
    keys: set[str] = set()
    for name in (event.operation_name, event.interaction_id, event.batch_id):
        if name:
            keys |= match_keys(name)
    return frozenset(keys)


def backstop_schedule(interval: float = DEFAULT_BACKSTOP_SECONDS) -> PollSchedule:
    """How a wait that listens for webhooks still polls: once per ``interval`` seconds.

    A webhook may never arrive (google-gemini/cookbook#1297 reports dynamic webhooks that never
    fire for Omni video jobs), so the wait never depends on one: at worst it finds the job one
    ``interval`` late. A delivery wakes the wait at once, which then reads the status.
    """
    return PollSchedule(
        first_delay=interval, interval=interval, growth=1.0, max_interval=interval, jitter=0.1
    )
