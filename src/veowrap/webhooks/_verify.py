"""Checking a delivery's signatures: HMAC (v1), Ed25519 (v1a) and JWT, and fetching keys.

The rules (which headers, which window, which entries, what the event says) live in
``veowrap._core.webhooks``; this module does what needs keys and the network. The optional
packages (``standardwebhooks``, ``PyJWT[crypto]``) are imported on first use.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import threading
import time
import urllib.request
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
from veowrap._errors import UnsupportedCapabilityError

if TYPE_CHECKING:
    from jwt import PyJWK, PyJWKClient

__all__ = ["JwksKeys", "verify"]

#: A key set larger than this is refused (Google's holds a handful of keys, a few KiB).
MAX_JWKS_BYTES = 64 << 10
#: Seconds a key set is reused before it is fetched again.
JWKS_LIFESPAN = 300.0
#: Seconds at least between two fetches forced by an unknown key: forged deliveries must not
#: turn this endpoint into a stream of requests to the key host.
JWKS_REFETCH_COOLDOWN = 30.0
_INSTALL_HINT = "Install the extra: pip install 'veowrap[webhooks]'."

Secret = str | bytes


def _need(module: str) -> Any:
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as error:
        raise UnsupportedCapabilityError(
            f"Verifying webhooks needs the package {module.split('.')[0]!r}, which is not "
            "installed.",
            hint=_INSTALL_HINT,
        ) from error


class JwksKeys:
    """The public keys of a JWKS URL, fetched with a bounded time and size, and cached.

    Only the configured URL is ever fetched: redirects are refused, a token's ``jku``/``x5u``
    headers are never followed, and no credential is sent (the key host needs none).

    Args:
        url: The key set's URL (HTTPS; plain HTTP only to a loopback address, for tests).
        timeout: Seconds one fetch may take.
        lifespan: Seconds a fetched set is reused.
        cooldown: Seconds at least between fetches forced by a key that is not in the set.
    """

    def __init__(
        self,
        url: str,
        *,
        timeout: float = 5.0,
        lifespan: float = JWKS_LIFESPAN,
        cooldown: float = JWKS_REFETCH_COOLDOWN,
    ) -> None:
        if (problem := rules.jwks_url_problem(url)) is not None:
            from veowrap._errors import RequestValidationError

            raise RequestValidationError(
                "jwks", url, "an https:// URL", reason=problem, hint="Use webhooks.GOOGLE_JWKS_URL."
            )
        self.url = url
        self.timeout = timeout
        self.lifespan = lifespan
        self.cooldown = cooldown
        self._lock = threading.Lock()
        self._client: PyJWKClient | None = None
        self._fetched_at: float | None = None
        self._failed_at: float | None = None
        self.fetches = 0

    def _jwt_client(self) -> PyJWKClient:
        if self._client is None:
            jwt = _need("jwt")
            keys = self

            class _Client(jwt.PyJWKClient):  # type: ignore[misc,name-defined]
                def fetch_data(self) -> Any:
                    data = keys._fetch()
                    if self.jwk_set_cache is not None:
                        self.jwk_set_cache.put(data)
                    return data

            self._client = _Client(
                self.url,
                cache_jwk_set=True,
                lifespan=self.lifespan,
                timeout=self.timeout,
                cooldown_duration=self.cooldown,
            )
        return self._client

    def _fetch(self) -> dict[str, Any]:
        """One GET of the key set: no redirects, no credentials, bounded time and size."""
        jwt_client = _need("jwt.jwks_client")
        opener = urllib.request.build_opener(jwt_client._NoRedirectHandler())
        request = urllib.request.Request(
            self.url, headers={"Accept": "application/json", "User-Agent": "veowrap-webhooks"}
        )
        try:
            with opener.open(request, timeout=self.timeout) as response:
                if response.status != 200:
                    raise OSError(f"HTTP {response.status}")
                raw = response.read(MAX_JWKS_BYTES + 1)
        except Exception as error:
            self._failed_at = time.monotonic()
            raise WebhookVerificationError(
                f"The key set at {self.url} could not be fetched ({type(error).__name__}).",
                check="keys",
                hint="Check the JWKS URL and this host's network; the delivery will be retried.",
            ) from None
        finally:
            self.fetches += 1
            self._fetched_at = time.monotonic()
        if len(raw) > MAX_JWKS_BYTES:
            raise WebhookVerificationError(
                f"The key set at {self.url} is larger than {MAX_JWKS_BYTES} bytes.", check="keys"
            )
        try:
            data = json.loads(raw)
        except ValueError:
            data = None
        if not isinstance(data, dict) or not isinstance(data.get("keys"), list):
            raise WebhookVerificationError(
                f"The key set at {self.url} is not a JWKS document.", check="keys"
            )
        self._failed_at = None
        return data

    def keys(self, refresh: bool = False) -> list[PyJWK]:
        """The usable keys (cached; ``refresh`` fetches again unless within the cooldown)."""
        jwt = _need("jwt")
        with self._lock:
            self._refuse_while_failing()
            client = self._jwt_client()
            if refresh and not self.may_refresh():
                refresh = False
            try:
                return list(client.get_jwk_set(refresh=refresh).keys)
            except jwt.exceptions.PyJWKSetError:
                raise WebhookVerificationError(
                    f"The key set at {self.url} holds no usable key.", check="keys"
                ) from None

    def _refuse_while_failing(self) -> None:
        # A key host that just failed is not asked again per delivery: a flood of forgeries
        # while it is down would otherwise each wait for a timeout.
        if self._failed_at is not None and time.monotonic() - self._failed_at < self.cooldown:
            raise WebhookVerificationError(
                f"The key set at {self.url} could not be fetched recently; not retried for "
                f"{self.cooldown:g} s.",
                check="keys",
                hint="Check the JWKS URL and this host's network; the sender retries.",
            )

    def may_refresh(self) -> bool:
        """Whether a forced fetch is allowed now (the cooldown has passed)."""
        return self._fetched_at is None or time.monotonic() - self._fetched_at >= self.cooldown

    def signing_key(self, kid: str) -> PyJWK:
        """The key with id ``kid`` (fetched again once, cooldown permitting, when unknown)."""
        jwt = _need("jwt")
        with self._lock:
            self._refuse_while_failing()
            try:
                key: PyJWK = self._jwt_client().get_signing_key(kid)
            except jwt.exceptions.PyJWKClientError:
                raise WebhookVerificationError(
                    "The token's key id is not in the key set.", check="signature"
                ) from None
            return key


_KEYSETS: dict[str, JwksKeys] = {}
_KEYSETS_LOCK = threading.Lock()


def keys_for(jwks: str | JwksKeys) -> JwksKeys:
    """One shared, cached :class:`JwksKeys` per URL."""
    if isinstance(jwks, JwksKeys):
        return jwks
    with _KEYSETS_LOCK:
        found = _KEYSETS.get(jwks)
        if found is None:
            found = _KEYSETS[jwks] = JwksKeys(jwks)
        return found


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
        UnsupportedCapabilityError: The ``webhooks`` extra is not installed.
    """
    tolerance = rules.check_tolerance(tolerance)
    secrets = _secrets(secret)
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
    scheme = _check_signatures(delivery, raw, secrets, jwks, audience, tolerance)
    return rules.parse_event(raw, delivery, scheme)


def _secrets(secret: Secret | Sequence[Secret] | None) -> list[Secret]:
    if secret is None:
        return []
    if isinstance(secret, str | bytes):
        return [secret]
    return list(secret)


def _check_signatures(
    delivery: Delivery,
    body: bytes,
    secrets: list[Secret],
    jwks: str | JwksKeys | None,
    audience: str | None,
    tolerance: float,
) -> rules.Scheme:
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
        return "v1"
    v1a = [e for e in checkable if e.scheme == "v1a"]
    if v1a and jwks is not None and _any_ed25519(v1a, content, keys_for(jwks)):
        return "v1a"
    for entry in checkable:
        if entry.scheme == "jwt" and jwks is not None:
            _check_jwt(entry.value, body, keys_for(jwks), audience, tolerance)
            return "jwt"
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
    standardwebhooks = _need("standardwebhooks")
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


def _check_jwt(
    token: str, body: bytes, keyset: JwksKeys, audience: str | None, tolerance: float
) -> None:
    jwt = _need("jwt")
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
            leeway=tolerance,
            options={"verify_aud": audience is not None},
        )
    except jwt.exceptions.InvalidAudienceError:
        raise WebhookVerificationError(
            "The JWT is for another audience.",
            check="signature",
            hint="Pass the audience your webhook was configured with.",
        ) from None
    except jwt.exceptions.ExpiredSignatureError:
        raise WebhookVerificationError("The JWT has expired.", check="timestamp") from None
    except jwt.exceptions.PyJWTError as error:
        raise WebhookVerificationError(
            f"The JWT did not verify ({type(error).__name__}).", check="signature"
        ) from None
    _check_jwt_binding(claims, body)


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
