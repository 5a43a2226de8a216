"""The Gemini API's webhooks management resource, as google-genai 3.6.1 calls it.

``POST/GET {ver}/webhooks``, ``GET/PATCH/DELETE {ver}/webhooks/{id}``, ``:ping`` and
``:rotateSigningSecret`` (webhooks-wire.md §1). Registered, enabled webhooks receive the
emulator's deliveries for the events they subscribe to, signed ``v1`` with every secret still
valid (two entries during a rotation's grace).
"""

from __future__ import annotations

import base64
import datetime
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ._errors import invalid_argument, not_found
from ._http import Context, Response, json_response

__all__ = ["EVENTS", "HANDLERS", "RegisteredWebhook", "WebhookRegistry"]

#: Subscribable events in APIREF and google-genai 3.6.1 (webhooks-wire.md §1).
EVENTS = frozenset(
    {
        "batch.succeeded",
        "batch.expired",
        "batch.failed",
        "interaction.requires_action",
        "interaction.completed",
        "interaction.failed",
        "video.generated",
    }
)
_STATES = frozenset({"enabled", "disabled", "disabled_due_to_failed_deliveries"})
_REVOCATION = frozenset(
    {"revoke_previous_secrets_after_h24", "revoke_previous_secrets_immediately"}
)


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


@dataclass
class RegisteredWebhook:
    """A webhook as the emulator keeps it (secrets in full; the API shows them truncated)."""

    id: str
    name: str
    uri: str
    subscribed_events: list[str]
    state: str = "enabled"
    secrets: list[str] = field(default_factory=list)
    create_time: str = field(default_factory=_now)
    update_time: str = field(default_factory=_now)

    def resource(self, new_secret: str | None = None) -> dict[str, Any]:
        """The JSON the API answers with."""
        return {
            "id": self.id,
            "name": self.name,
            "uri": self.uri,
            "subscribed_events": list(self.subscribed_events),
            "state": self.state,
            "signing_secrets": [
                {"truncated_secret": f"whsec_...{s[-4:]}", "expire_time": None}
                for s in self.secrets
            ],
            "new_signing_secret": new_secret,
            "create_time": self.create_time,
            "update_time": self.update_time,
        }


class WebhookRegistry:
    """The project's registered webhooks, shared by the server threads and the sender."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._hooks: dict[str, RegisteredWebhook] = {}
        #: Called after a webhook is created (the emulator starts its deliveries then).
        self.on_create: Callable[[], None] | None = None

    def clear(self) -> None:
        """Forgets every webhook."""
        with self._lock:
            self._hooks.clear()

    def targets(self, event_type: str) -> list[tuple[str, list[str]]]:
        """``(uri, secrets)`` of each enabled webhook subscribed to ``event_type``."""
        with self._lock:
            return [
                (h.uri, list(h.secrets))
                for h in self._hooks.values()
                if h.state == "enabled" and event_type in h.subscribed_events
            ]

    def all(self) -> list[RegisteredWebhook]:
        """Every registered webhook, in creation order."""
        with self._lock:
            return list(self._hooks.values())

    # -- handlers ---------------------------------------------------------------------------

    def create(self, ctx: Context) -> Response:
        body = ctx.body if isinstance(ctx.body, dict) else {}
        uri = body.get("uri")
        events = body.get("subscribed_events")
        if not isinstance(uri, str) or not uri:
            raise invalid_argument("uri: required.")
        self._check_events(events)
        hook = RegisteredWebhook(
            id=secrets.token_hex(18),
            name=str(body.get("name") or ""),
            uri=uri,
            subscribed_events=[str(e) for e in events or ()],
            secrets=[_new_secret()],
        )
        with self._lock:
            self._hooks[hook.id] = hook
        if self.on_create is not None:
            self.on_create()
        return json_response(hook.resource(new_secret=hook.secrets[0]))

    def list(self, ctx: Context) -> Response:
        size = int(ctx.query.get("page_size") or 50)
        start = int(ctx.query.get("page_token") or 0)
        hooks = self.all()
        page = hooks[start : start + size]
        answer: dict[str, Any] = {"webhooks": [h.resource() for h in page]}
        if start + size < len(hooks):
            answer["next_page_token"] = str(start + size)
        return json_response(answer)

    def get(self, ctx: Context) -> Response:
        return json_response(self._find(ctx).resource())

    def update(self, ctx: Context) -> Response:
        hook = self._find(ctx)
        body = ctx.body if isinstance(ctx.body, dict) else {}
        mask = [m for m in (ctx.query.get("update_mask") or "").split(",") if m]
        fields = mask or [k for k in ("uri", "state", "name", "subscribed_events") if k in body]
        with self._lock:
            for name in fields:
                value = body.get(name)
                if name == "state" and value not in _STATES:
                    raise invalid_argument(f"state: {value!r} is not a webhook state.")
                if name == "subscribed_events":
                    self._check_events(value)
                if name not in ("uri", "state", "name", "subscribed_events"):
                    raise invalid_argument(f"update_mask: unknown field {name!r}.")
                setattr(hook, name, value)
            hook.update_time = _now()
        return json_response(hook.resource())

    def delete(self, ctx: Context) -> Response:
        hook = self._find(ctx)
        with self._lock:
            self._hooks.pop(hook.id, None)
        return json_response({})

    def ping(self, ctx: Context) -> Response:
        self._find(ctx)
        return json_response({})

    def rotate(self, ctx: Context) -> Response:
        hook = self._find(ctx)
        body = ctx.body if isinstance(ctx.body, dict) else {}
        behavior = body.get("revocation_behavior") or "revoke_previous_secrets_after_h24"
        if behavior not in _REVOCATION:
            raise invalid_argument(f"revocation_behavior: {behavior!r} is not allowed.")
        secret = _new_secret()
        with self._lock:
            # The grace keeps the newest old secret valid beside the new one (24 h at Google).
            kept = hook.secrets[-1:] if behavior == "revoke_previous_secrets_after_h24" else []
            hook.secrets = [*kept, secret]
            hook.update_time = _now()
        return json_response({"secret": secret})

    def _find(self, ctx: Context) -> RegisteredWebhook:
        with self._lock:
            hook = self._hooks.get(ctx.params["hook"])
        if hook is None:
            raise not_found(f"Webhook {ctx.params['hook']} was not found.")
        return hook

    @staticmethod
    def _check_events(events: Any) -> None:
        if not isinstance(events, list) or not events:
            raise invalid_argument("subscribed_events: a non-empty list is required.")
        for event in events:
            if not isinstance(event, str) or not event:
                raise invalid_argument(f"subscribed_events: {event!r} is not an event.")


def _handler(name: str) -> Any:
    def handle(ctx: Context) -> Response:
        registry: WebhookRegistry = ctx.state.webhook_registry
        method: Any = getattr(registry, name)
        answer: Response = method(ctx)
        return answer

    handle.__name__ = f"webhooks_{name}"
    return handle


#: Route handlers by endpoint name (see ``_routes.py``).
HANDLERS = {
    name: _handler(name) for name in ("create", "list", "get", "update", "delete", "ping", "rotate")
}
