"""Checking a delivery's signatures: HMAC (v1), Ed25519 (v1a) and JWT.

The rules (which headers, which window, which entries, what the event says) live in
``veowrap._core.webhooks``; this module does what needs keys (fetched by ``_jwks.py``). The optional
packages (``standardwebhooks``, ``PyJWT[crypto]``) are imported on first use.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from veowrap._core import webhooks as rules
from veowrap._core.webhooks import (
    DEFAULT_TOLERANCE_SECONDS,
    MAX_BODY_BYTES,
    Delivery,
    SignatureEntry,
    WebhookEvent,
    WebhookVerificationError,
)
from veowrap.webhooks._jwks import JwksKeys, checked_jwks, keys_for, need

if TYPE_CHECKING:
    from jwt import PyJWK

__all__ = ["Secret", "verify"]

Secret = str | bytes


def verify(
    body: bytes | bytearray | memoryview | str,
    headers: Any,
    *,
    secret: Secret | Sequence[Secret] | None = None,
    jwks: str | JwksKeys | None = None,
    audience: str | None = None,
    tolerance: float = DEFAULT_TOLERANCE_SECONDS,
    max_body_bytes: int = MAX_BODY_BYTES,
    now: float | None = None,
) -> WebhookEvent:
    """Verifies a webhook delivery and returns its event.

    Each entry of ``webhook-signature`` is checked by its kind: ``v1,`` with ``secret``
    (Standard Webhooks HMAC-SHA256, static webhooks), ``v1a,`` with the Ed25519 keys of
    ``jwks`` (dynamic webhooks as delivered, googleapis/python-genai#2927), a bare JWT with the
    RS256/EdDSA keys of ``jwks`` (dynamic webhooks as documented). One matching entry is
    enough (a secret rotation sends two).

    Args:
        body: The raw request body, exactly as received (never re-serialised JSON).
        headers: The request headers: a dict, a framework's headers object or ASGI pairs.
            Names are matched in any case.
        secret: The ``whsec_…`` signing secret of a static webhook, or several (rotation).
        jwks: The key set URL (``GOOGLE_JWKS_URL``) or a :class:`JwksKeys`, for dynamic
            webhooks.
        audience: The JWT ``aud`` to require (JWT deliveries only).
        tolerance: Seconds a delivery's timestamp may be off (default 300).
        max_body_bytes: Larger bodies are refused before any cryptography.
        now: Unix time to check against (default: the system clock).

    Raises:
        WebhookVerificationError: Any check failed; ``error.check`` says which.
        RequestValidationError: ``jwks`` or ``tolerance`` is not valid.
        UnsupportedCapabilityError: The ``webhooks`` extra is not installed.
    """
    tolerance = rules.check_tolerance(tolerance)
    jwks = checked_jwks(jwks)
    secrets = rules.check_secrets(secret)
    if not secrets and jwks is None:
        raise WebhookVerificationError(
            "Nothing to verify with: give secret= (static webhooks) or jwks= (dynamic).",
            check="configuration",
            hint="webhooks.verify(body, headers, secret=os.environ['GEMINI_WEBHOOK_SECRET']).",
        )
    raw = rules.check_body(body, max_body_bytes)
    delivery = rules.read_delivery(headers)
    clock = time.time() if now is None else now
    rules.check_timestamp(delivery.timestamp, clock, tolerance)
    scheme, replay_key = _check_signatures(delivery, raw, secrets, jwks, audience, tolerance, clock)
    return rules.parse_event(raw, delivery, scheme, replay_key)


def _check_signatures(
    delivery: Delivery,
    body: bytes,
    secrets: list[Secret],
    jwks: str | JwksKeys | None,
    audience: str | None,
    tolerance: float,
    now: float,
) -> tuple[rules.Scheme, str | None]:
    """The scheme of the entry that verified, and the JWT's replay key when it was a JWT."""
    content = rules.signed_content(delivery, body)
    kinds = {entry.scheme for entry in delivery.entries}
    checkable = [
        e for e in delivery.entries if (e.scheme == "v1" and secrets) or (e.scheme != "v1" and jwks)
    ]
    if not checkable:
        needed = "secret=" if "v1" in kinds else "jwks="
        raise WebhookVerificationError(
            f"The delivery is signed with {', '.join(sorted(kinds))}, which needs {needed}.",
            check="configuration",
            hint="Static webhooks sign with v1 (secret=); dynamic ones with v1a or a JWT (jwks=).",
        )
    # Every entry is checked (no early exit on the first mismatch's position): which entry
    # failed is never told, and one good entry is enough.
    v1 = [e for e in checkable if e.scheme == "v1"]
    if v1 and _any_hmac(v1, content, secrets, delivery, body):
        return "v1", None
    v1a = [e for e in checkable if e.scheme == "v1a"]
    if v1a and jwks is not None and _any_ed25519(v1a, content, keys_for(jwks)):
        return "v1a", None
    tokens = [e.value for e in checkable if e.scheme == "jwt"]
    if tokens and jwks is not None:
        keyset = keys_for(jwks)
        refusal: WebhookVerificationError | None = None
        for token in tokens:
            # One good token suffices (a key rotation may put a stale one first); a key set
            # that cannot be fetched fails them all alike.
            try:
                claims = _check_jwt(token, body, keyset, audience)
                rules.check_token_times(claims, delivery.timestamp, now, tolerance)
            except WebhookVerificationError as error:
                if error.check == "keys":
                    raise
                refusal = refusal or error
                continue
            return "jwt", rules.token_replay_key(token, claims)
        if refusal is not None:
            raise refusal
    raise WebhookVerificationError(
        "No signature matched the body, id and timestamp.",
        check="signature",
        hint="Check the signing secret (a rotated secret?) and pass the raw body unchanged.",
    )


def _b64(value: str) -> bytes | None:
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return None


def _any_hmac(
    entries: list[SignatureEntry],
    content: bytes,
    secrets: list[Secret],
    delivery: Delivery,
    body: bytes,
) -> bool:
    standardwebhooks = need("standardwebhooks")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise WebhookVerificationError("The body is not UTF-8 text.", check="body") from None
    when = datetime.fromtimestamp(delivery.timestamp, UTC)
    expected: list[bytes] = []
    for secret in secrets:
        try:
            signer = standardwebhooks.Webhook(secret)
            sign = signer.sign(delivery.id, when, text)
        except (standardwebhooks.WebhookVerificationError, ValueError, TypeError, RuntimeError):
            # The library raises plain ValueErrors (binascii) for a malformed secret; the
            # secret itself must never reach the message.
            raise WebhookVerificationError(
                "A configured signing secret is not a valid whsec_ secret.",
                check="configuration",
                hint="Copy the secret exactly as created (whsec_ followed by base64).",
            ) from None
        expected.append(base64.b64decode(sign.split(",", 1)[1]))
    matched = False
    for entry in entries:
        given = _b64(entry.value) or b""
        for digest in expected:
            matched |= hmac.compare_digest(digest, given)
    return matched


def _any_ed25519(entries: list[SignatureEntry], content: bytes, keyset: JwksKeys) -> bool:
    signatures = [s for e in entries if (s := _b64(e.value)) is not None and len(s) == 64]
    if not signatures:
        return False
    if _ed25519_matches(signatures, content, keyset.keys()):
        return True
    # A key rotated since the set was cached: fetch once more (cooldown permitting).
    return keyset.may_refresh() and _ed25519_matches(signatures, content, keyset.keys(refresh=True))


def _ed25519_matches(signatures: list[bytes], content: bytes, keys: list[PyJWK]) -> bool:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    usable = [
        key.key
        for key in keys
        if isinstance(key.key, Ed25519PublicKey) and key.public_key_use in ("sig", None)
    ]
    for public in usable[: rules.MAX_ED25519_KEYS]:
        for signature in signatures:
            try:
                public.verify(signature, content)
                return True
            except InvalidSignature:
                continue
    return False


_JWT_ALGORITHMS = ("RS256", "EdDSA")


def _check_jwt(token: str, body: bytes, keyset: JwksKeys, audience: str | None) -> dict[str, Any]:
    """The claims of a JWT whose signature, algorithm, key and audience check out.

    Its times are checked by the caller (``rules.check_token_times``, against ``now=``).
    """
    jwt = need("jwt")
    try:
        header = jwt.get_unverified_header(token)
    except jwt.exceptions.PyJWTError:
        raise WebhookVerificationError("The JWT is malformed.", check="signature") from None
    alg, kid = header.get("alg"), header.get("kid")
    if alg not in _JWT_ALGORITHMS:
        raise WebhookVerificationError(
            f"The JWT's algorithm {str(alg)[:20]!r} is not allowed.",
            check="signature",
            hint=f"Allowed: {', '.join(_JWT_ALGORITHMS)}.",
        )
    if not isinstance(kid, str) or not kid:
        raise WebhookVerificationError("The JWT names no key id (kid).", check="signature")
    # Only the configured key set is consulted: ``jku``/``x5u``/``jwk`` headers are ignored.
    key = keyset.signing_key(kid)
    try:
        claims = jwt.decode(
            token,
            key=key,
            algorithms=list(_JWT_ALGORITHMS),
            audience=audience,
            # Times are checked in ``rules.check_token_times`` against verify's clock.
            options={
                "verify_aud": audience is not None,
                "verify_exp": False,
                "verify_nbf": False,
                "verify_iat": False,
            },
        )
    except jwt.exceptions.InvalidAudienceError:
        raise WebhookVerificationError(
            "The JWT is for another audience.",
            check="signature",
            hint="Pass the audience your webhook was configured with.",
        ) from None
    except jwt.exceptions.PyJWTError as error:
        raise WebhookVerificationError(
            f"The JWT did not verify ({type(error).__name__}).", check="signature"
        ) from None
    _check_jwt_binding(claims, body)
    return dict(claims)


def _check_jwt_binding(claims: dict[str, Any], body: bytes) -> None:
    """Refuses a body that differs from what the token vouches for, when it says.

    How Google's JWT binds the body is not documented: a third-party report says the claims
    are the event. When they carry ``type``/``data``, the body must be that event; when they
    carry a SHA-256 of the body, it must match.
    """
    for claim in ("body_sha256", "sha256"):
        if isinstance(claims.get(claim), str):
            digest = hashlib.sha256(body).hexdigest()
            if not hmac.compare_digest(claims[claim].lower(), digest):
                raise WebhookVerificationError(
                    "The body does not match the token's digest.", check="signature"
                )
            return
    if "type" in claims and "data" in claims:
        try:
            event = json.loads(body)
        except ValueError:
            event = None
        if not isinstance(event, dict) or (event.get("type"), event.get("data")) != (
            claims["type"],
            claims["data"],
        ):
            raise WebhookVerificationError(
                "The body is not the event the token signs.", check="signature"
            )
