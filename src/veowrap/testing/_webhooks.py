"""`WebhookSigner`: signs deliveries as Google does (v1 HMAC, v1a Ed25519, JWT), for tests.

Needs the ``webhooks`` extra (``standardwebhooks``, ``PyJWT[crypto]``); imported on first use.
"""

from __future__ import annotations

import base64
import json
import secrets
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Literal

__all__ = ["WebhookSigner"]

SignScheme = Literal["v1", "v1a", "jwt"]


class WebhookSigner:
    """Test keys and a signer: a ``whsec_`` secret, Ed25519 and RSA key pairs, their JWKS.

    Example:
        >>> signer = WebhookSigner()
        >>> body = signer.body("video.generated", {"id": "models/m/operations/abc"})
        >>> headers = signer.headers(body)                       # v1 (HMAC)
        >>> event = webhooks.verify(body, headers, secret=signer.secret)

    Args:
        secret: The ``whsec_`` secret (default: a fresh random one).
    """

    def __init__(self, secret: str | None = None) -> None:
        from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

        self.secret = secret or "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()
        self.ed25519 = ed25519.Ed25519PrivateKey.generate()
        self.ed25519_kid = "ed-" + secrets.token_hex(4)
        self.rsa = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.rsa_kid = "rsa-" + secrets.token_hex(4)

    def rotate(self) -> str:
        """Replaces the secret with a new one; returns the old one."""
        old = self.secret
        self.secret = "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()
        return old

    def jwks(self) -> dict[str, Any]:
        """The public keys as a JWKS document (an OKP Ed25519 key and an RSA key)."""
        from jwt.algorithms import OKPAlgorithm, RSAAlgorithm

        okp = json.loads(OKPAlgorithm.to_jwk(self.ed25519.public_key()))
        okp.update(kid=self.ed25519_kid, use="sig", alg="EdDSA")
        rsa = json.loads(RSAAlgorithm.to_jwk(self.rsa.public_key()))
        rsa.update(kid=self.rsa_kid, use="sig", alg="RS256")
        return {"keys": [okp, rsa]}

    def jwks_bytes(self) -> bytes:
        """:meth:`jwks` as JSON bytes, ready to serve."""
        return json.dumps(self.jwks()).encode()

    @staticmethod
    def body(kind: str, data: dict[str, Any], **extra: Any) -> bytes:
        """A thin-payload envelope as the guide shows it, as raw bytes."""
        envelope = {
            "type": kind,
            "version": "v1",
            "timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "data": data,
            **extra,
        }
        return json.dumps(envelope).encode()

    def signature(
        self,
        msg_id: str,
        timestamp: int,
        body: bytes,
        scheme: SignScheme = "v1",
        *,
        secret: str | None = None,
        claims: dict[str, Any] | None = None,
    ) -> str:
        """One ``webhook-signature`` entry for ``scheme``."""
        content = f"{msg_id}.{timestamp}.".encode() + body
        if scheme == "v1":
            from standardwebhooks import Webhook

            when = datetime.fromtimestamp(timestamp, UTC)
            return str(Webhook(secret or self.secret).sign(msg_id, when, body.decode()))
        if scheme == "v1a":
            return "v1a," + base64.b64encode(self.ed25519.sign(content)).decode()
        return self.jwt(claims or {"iat": timestamp, "exp": timestamp + 300})

    def jwt(
        self, claims: dict[str, Any], *, algorithm: str = "RS256", kid: str | None = None
    ) -> str:
        """A JWT signed with the RSA key (``RS256``) or the Ed25519 key (``EdDSA``)."""
        import jwt

        key: Any = self.rsa if algorithm == "RS256" else self.ed25519
        default_kid = self.rsa_kid if algorithm == "RS256" else self.ed25519_kid
        return str(
            jwt.encode(claims, key, algorithm=algorithm, headers={"kid": kid or default_kid})
        )

    def headers(
        self,
        body: bytes,
        *,
        schemes: Sequence[SignScheme] = ("v1",),
        msg_id: str | None = None,
        timestamp: int | None = None,
        secrets: Sequence[str] | None = None,
    ) -> dict[str, str]:
        """Headers of a signed delivery of ``body``.

        Args:
            schemes: One entry per scheme, space-separated (a rotation sends two ``v1``).
            msg_id: The ``webhook-id`` (default: ``msg_<uuid>``, Google's shape).
            timestamp: Unix seconds (default: now).
            secrets: For ``v1``, sign once with each of these secrets instead of ``secret``.
        """
        msg_id = msg_id or f"msg_{uuid.uuid4()}"
        stamp = int(time.time()) if timestamp is None else timestamp
        entries: list[str] = []
        for scheme in schemes:
            if scheme == "v1" and secrets:
                entries += [self.signature(msg_id, stamp, body, secret=s) for s in secrets]
            else:
                entries.append(self.signature(msg_id, stamp, body, scheme))
        return {
            "webhook-id": msg_id,
            "webhook-timestamp": str(stamp),
            "webhook-signature": " ".join(entries),
            "content-type": "application/json",
        }
