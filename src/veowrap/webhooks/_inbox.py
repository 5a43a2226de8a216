"""`Inbox`: verified deliveries, deduplicated, filed by operation for the waits that need them."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from veowrap._core import webhooks as rules
from veowrap._core.schedule import PollSchedule
from veowrap._core.webhooks import (
    DEFAULT_BACKSTOP_SECONDS,
    DEFAULT_TOLERANCE_SECONDS,
    GOOGLE_JWKS_URL,
    WebhookEvent,
)
from veowrap.webhooks._jwks import JwksKeys, checked_jwks
from veowrap.webhooks._verify import Secret, verify

__all__ = ["Inbox"]


@dataclass
class _AsyncWaiter:
    keys: frozenset[str]
    after: int
    loop: asyncio.AbstractEventLoop
    ready: asyncio.Event


class Inbox:
    """Verified webhook deliveries, kept for the waits that listen for them.

    Your HTTP endpoint (FastAPI, Flask, Django, :func:`asgi_app`) passes each request's raw body
    and headers to :meth:`deliver`; ``generator.wait(handle, webhooks=inbox)`` returns as soon
    as a delivery for its operation arrives. Safe to share between threads and event loops.

    Deliveries are at-least-once: a repeated ``webhook-id`` is recognised and ignored. Memory
    is bounded: at most ``max_ids`` ids and ``max_events`` events are kept, the oldest
    dropped first. An event for an operation no wait has asked about yet is kept (a delivery
    can beat the submit call's answer).

    Args:
        secret: The ``whsec_…`` secret(s) of your static webhook.
        jwks: Key set for dynamic webhooks (default: Google's); ``None`` refuses them.
        audience: The JWT ``aud`` to require, for JWT-signed deliveries.
        tolerance: Seconds a delivery's timestamp may be off (default 300).
        backstop: Seconds between the polls a listening wait still makes, in case a webhook
            never arrives (default 60).
        max_ids: Delivery ids remembered for deduplication.
        max_events: Events kept for waits.

    Raises:
        RequestValidationError: ``jwks`` is not an HTTPS key-set URL without credentials
            (checked here, not per delivery), or another setting is out of range.
        WebhookVerificationError: ``secret`` is malformed or holds an empty key
            (``check="configuration"``).
    """

    def __init__(
        self,
        *,
        secret: Secret | Sequence[Secret] | None = None,
        jwks: str | JwksKeys | None = GOOGLE_JWKS_URL,
        audience: str | None = None,
        tolerance: float = DEFAULT_TOLERANCE_SECONDS,
        backstop: float = DEFAULT_BACKSTOP_SECONDS,
        max_ids: int = 10_000,
        max_events: int = 1_000,
    ) -> None:
        from veowrap._core import validation

        # Checked here, not per delivery: a malformed secret is a start-up error.
        self._secret = rules.check_secrets(secret)
        # Checked here, not per delivery: a bad key-set URL is a start-up error.
        self._jwks = checked_jwks(jwks)
        self._audience = audience
        self._tolerance = rules.check_tolerance(tolerance)
        self.backstop: float = validation.seconds("backstop", backstop, optional=False) or 0.0
        self._max_ids = validation.whole_number("max_ids", max_ids, minimum=1)
        self._max_events = validation.whole_number("max_events", max_events, minimum=1)
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._by_key: OrderedDict[str, tuple[int, WebhookEvent]] = OrderedDict()
        self._recent: deque[WebhookEvent] = deque(maxlen=self._max_events)
        self._seq = 0
        self._waiters: list[_AsyncWaiter] = []
        self.duplicates = 0

    # -- receiving --------------------------------------------------------------------------

    def deliver(
        self, body: bytes | str, headers: Any, *, max_body_bytes: int = rules.MAX_BODY_BYTES
    ) -> WebhookEvent | None:
        """Verifies a delivery and keeps its event.

        Args:
            body: The raw request body, exactly as received.
            headers: The request headers (a dict, a framework's headers object or pairs).
            max_body_bytes: Larger bodies are refused (your endpoint's own limit, if larger).

        Returns:
            The event, or ``None`` when this ``webhook-id`` was seen before (a retry or a
            replay): answer 2xx either way.

        Raises:
            WebhookVerificationError: The delivery is not authentic or not fresh: answer 4xx.
        """
        event = verify(
            body,
            headers,
            secret=self._secret,
            jwks=self._jwks,
            audience=self._audience,
            tolerance=self._tolerance,
            max_body_bytes=max_body_bytes,
        )
        return event if self.accept(event) else None

    def accept(self, event: WebhookEvent) -> bool:
        """Keeps an event verified elsewhere; ``False`` when its id was seen before."""
        # A JWT does not sign webhook-id: its token is remembered too, so a replay of one
        # captured token under fresh ids is still a repeat.
        keys = [event.id] if event.replay_key is None else [event.id, event.replay_key]
        with self._lock:
            if any(key in self._seen for key in keys):
                for key in keys:
                    if key in self._seen:
                        self._seen.move_to_end(key)
                self.duplicates += 1
                return False
            for key in keys:
                self._seen[key] = None
            while len(self._seen) > self._max_ids:
                self._seen.popitem(last=False)
            self._seq += 1
            for key in rules.event_keys(event):
                self._by_key[key] = (self._seq, event)
                self._by_key.move_to_end(key)
            # Two keys per event (full name and id).
            while len(self._by_key) > 2 * self._max_events:
                self._by_key.popitem(last=False)
            self._recent.append(event)
            self._changed.notify_all()
            woken = [w for w in self._waiters if self._latest(w.keys) > w.after]
        for waiter in woken:
            # The waiter's loop may have closed since (its task ended): nothing to wake then,
            # and the delivery must still be acknowledged.
            with contextlib.suppress(RuntimeError):
                waiter.loop.call_soon_threadsafe(waiter.ready.set)
        return True

    # -- reading ----------------------------------------------------------------------------

    @property
    def events(self) -> list[WebhookEvent]:
        """The most recent events, oldest first (at most ``max_events``)."""
        with self._lock:
            return list(self._recent)

    def event_for(self, name: str) -> WebhookEvent | None:
        """The latest event about an operation name or interaction id, if one arrived."""
        keys = rules.match_keys(name)
        with self._lock:
            found = [self._by_key[k] for k in keys if k in self._by_key]
        return max(found, key=lambda item: item[0])[1] if found else None

    def _latest(self, keys: Iterable[str]) -> int:
        return max((self._by_key[k][0] for k in keys if k in self._by_key), default=0)

    def latest(self, keys: frozenset[str]) -> int:
        """The sequence number of the newest delivery filed under ``keys`` (0: none)."""
        with self._lock:
            return self._latest(keys)

    def wait(self, keys: frozenset[str], timeout: float, after: int = 0) -> int | None:
        """Blocks until a delivery newer than ``after`` is filed under ``keys``.

        Returns:
            Its sequence number, or ``None`` when ``timeout`` seconds passed first.
        """
        end = time.monotonic() + max(0.0, timeout)
        with self._changed:
            while (seq := self._latest(keys)) <= after:
                remaining = end - time.monotonic()
                if remaining <= 0:
                    return None
                self._changed.wait(remaining)
            return seq

    async def wait_async(self, keys: frozenset[str], timeout: float, after: int = 0) -> int | None:
        """:meth:`wait` for event loops: the loop keeps running while it waits."""
        waiter = _AsyncWaiter(keys, after, asyncio.get_running_loop(), asyncio.Event())
        with self._lock:
            if (seq := self._latest(keys)) > after:
                return seq
            self._waiters.append(waiter)
        try:
            await asyncio.wait_for(waiter.ready.wait(), max(0.0, timeout))
        except TimeoutError:
            return None
        finally:
            with self._lock:
                self._waiters.remove(waiter)
        return self.latest(keys)

    def schedule(self) -> PollSchedule:
        """The backstop poll schedule of a wait that listens to this inbox."""
        return rules.backstop_schedule(self.backstop)

    def __repr__(self) -> str:
        return f"Inbox(events={len(self._recent)}, backstop={self.backstop:g})"
