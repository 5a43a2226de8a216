"""Gemini API webhooks: verify deliveries, and let waits complete on push instead of polling.

Example::

    from veowrap import webhooks

    inbox = webhooks.Inbox(secret=os.environ["GEMINI_WEBHOOK_SECRET"])
    # in your HTTP endpoint, with the raw body and the headers:
    inbox.deliver(body, headers)
    # elsewhere:
    result = gen.wait(handle, webhooks=inbox, timeout=600)

Static (project) webhooks sign with Standard Webhooks ``v1`` (HMAC-SHA256, ``whsec_``
secret); dynamic (per-request) ones with ``v1a`` Ed25519 or, as Google's guide documents, a
JWT, both against :data:`GOOGLE_JWKS_URL`. Verification needs ``pip install
'veowrap[webhooks]'``. See ``docs/webhooks.md``.
"""

from __future__ import annotations

from veowrap._core.webhooks import (
    DEFAULT_BACKSTOP_SECONDS,
    DEFAULT_TOLERANCE_SECONDS,
    GOOGLE_JWKS_URL,
    MAX_BODY_BYTES,
    WebhookEvent,
    WebhookVerificationError,
)
from veowrap.webhooks._asgi import asgi_app
from veowrap.webhooks._inbox import Inbox
from veowrap.webhooks._jwks import JwksKeys
from veowrap.webhooks._verify import verify

__all__ = [
    "DEFAULT_BACKSTOP_SECONDS",
    "DEFAULT_TOLERANCE_SECONDS",
    "GOOGLE_JWKS_URL",
    "MAX_BODY_BYTES",
    "Inbox",
    "JwksKeys",
    "WebhookEvent",
    "WebhookVerificationError",
    "asgi_app",
    "verify",
]
