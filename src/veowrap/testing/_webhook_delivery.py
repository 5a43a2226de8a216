"""The emulator's webhook deliveries (the receiver that takes them: ``_webhook_receiver.py``).

`WebhookDeliveries` watches the emulator's operations and interactions; when one finishes it
POSTs a signed thin-payload event (as Google's guide describes, webhooks-wire.md §3) to the
configured URL, at least once, retrying with backoff until a 2xx. Faults are scriptable:
duplicate, late, bad signature, rotated secret, out of order, never.
"""

from __future__ import annotations

import heapq
import itertools
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from ._recording import RecordingServer
from ._webhooks import SignScheme, WebhookSigner

if TYPE_CHECKING:
    from ._state import EmulatorState

__all__ = ["SentDelivery", "WebhookDeliveries", "WebhookFault"]

WebhookFault = Literal["duplicate", "never", "late", "bad_signature", "rotated", "out_of_order"]
WEBHOOK_FAULTS: frozenset[str] = frozenset(
    {"duplicate", "never", "late", "bad_signature", "rotated", "out_of_order"}
)
Payload = Literal["guide", "video_uri"]


@dataclass
class SentDelivery:
    """One delivery attempt as the emulator made it.

    Attributes:
        id: The ``webhook-id`` (the same on every attempt of one delivery).
        type: The event type.
        subject: The operation name or interaction id it is about.
        status: The receiver's HTTP status, or 0 when the connection failed.
        attempt: 1 for the first attempt.
        fault: The scripted fault applied, if any.
    """

    id: str
    type: str
    subject: str
    status: int
    attempt: int
    fault: str | None = None


@dataclass(order=True)
class _Pending:
    due: float
    order: int
    id: str = field(compare=False)
    type: str = field(compare=False)
    subject: str = field(compare=False)
    body: bytes = field(compare=False)
    fault: str | None = field(compare=False, default=None)
    attempt: int = field(compare=False, default=1)
    url: str = field(compare=False, default="")
    scheme: SignScheme = field(compare=False, default="v1")
    secrets: tuple[str, ...] = field(compare=False, default=())  # a registered webhook's


class WebhookDeliveries:
    """Signed webhook deliveries from an emulator to one URL (see `VeoEmulator.webhooks`).

    Args:
        state: The emulator's state (read only).
        signer: Keys and secret (default: fresh ones).
    """

    def __init__(self, state: EmulatorState, signer: WebhookSigner | None = None) -> None:
        self._state = state
        self.signer = signer or WebhookSigner()
        self.url: str | None = None
        self.scheme: SignScheme = "v1"
        self.dynamic_scheme: SignScheme = "v1a"
        self.payload: Payload = "guide"
        self.max_attempts = 6
        self.backoff = 0.05
        #: Seconds an ``out_of_order`` delivery waits for the next one before going anyway.
        self.hold_seconds = 2.0
        self._lock = threading.Condition()
        self._faults: list[str] = []
        self._handled: set[str] = set()
        self._queue: list[_Pending] = []
        self._held: _Pending | None = None
        self._order = itertools.count()
        self._sent: list[SentDelivery] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._jwks: RecordingServer | None = None

    # -- set-up -----------------------------------------------------------------------------

    def configure(
        self,
        url: str | None = None,
        *,
        scheme: SignScheme = "v1",
        dynamic_scheme: SignScheme = "v1a",
        payload: Payload = "guide",
    ) -> None:
        """Starts delivering finished jobs' events.

        An interaction created with ``webhook_config`` is announced to its own ``uris`` only
        (they replace the project's webhooks for that job), signed with ``dynamic_scheme``
        and carrying its ``user_metadata`` in ``data``; every other job goes to ``url``.

        Args:
            url: The project-level (static) webhook's URL, or ``None`` for none.
            scheme: How static deliveries are signed: ``v1`` (HMAC with ``signer.secret``),
                ``v1a`` (Ed25519; keys at `jwks_url`) or ``jwt`` (RS256; keys at `jwks_url`).
            dynamic_scheme: How dynamic deliveries are signed (live reports: ``v1a``,
                googleapis/python-genai#2927; Google's guide: a JWT).
            payload: ``guide`` puts ``output_file_uri``/``file_name`` in ``video.generated``
                (Google's guide); ``video_uri`` uses ``video_uri`` (its Cloud Run sample).
        """
        with self._lock:
            self.url, self.scheme, self.payload = url, scheme, payload
            self.dynamic_scheme = dynamic_scheme
        self.start()

    def start(self) -> None:
        """Starts delivering (jobs already finished are not announced); safe to call twice."""
        with self._lock:
            if self._thread is not None:
                return
            self._handled.update(self._state.names())
            self._thread = threading.Thread(
                target=self._run, name="veo-emulator-webhooks", daemon=True
            )
            self._thread.start()

    @property
    def jwks_url(self) -> str:
        """A loopback URL serving the signer's public keys as a JWKS (started on first use)."""
        if self._jwks is None:
            self._jwks = RecordingServer(
                body=self.signer.jwks_bytes(), content_type="application/json"
            )
        return self._jwks.url("/.well-known/jwks.json")

    @property
    def secret(self) -> str:
        """The ``whsec_`` secret ``v1`` deliveries are signed with."""
        return self.signer.secret

    def script(self, fault: WebhookFault, *, times: int = 1) -> None:
        """Applies ``fault`` to the next ``times`` deliveries.

        ``duplicate``: sent twice with the same id. ``never``: not sent. ``late``: signed with
        a timestamp ten minutes old (a receiver refuses it; retries are late too).
        ``bad_signature``: signed with another secret or key. ``rotated``: two ``v1``
        entries, an unknown old secret's and the current one. ``out_of_order``: held back
        until the next delivery has gone out (or ``hold_seconds``, default 2).
        """
        if fault not in WEBHOOK_FAULTS:
            raise ValueError(f"unknown fault {fault!r}; expected one of {sorted(WEBHOOK_FAULTS)}")
        if times < 1:
            raise ValueError("times must be >= 1")
        with self._lock:
            self._faults += [fault] * times

    @property
    def sent(self) -> list[SentDelivery]:
        """Every attempt so far, oldest first."""
        with self._lock:
            return list(self._sent)

    def stop(self) -> None:
        """Stops delivering and the key server."""
        self._stop.set()
        with self._lock:
            self._lock.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        if self._jwks is not None:
            self._jwks.stop()
            self._jwks = None

    # -- the delivery loop ------------------------------------------------------------------

    def _run(self) -> None:
        while not self._stop.is_set():
            self._collect(time.monotonic())
            with self._lock:
                due = self._queue[0] if self._queue else None
                if due is None or due.due > time.monotonic():
                    wait = 0.005 if due is None else min(0.005, due.due - time.monotonic())
                    self._lock.wait(max(wait, 0.0))
                    continue
                heapq.heappop(self._queue)
            self._attempt(due)

    def _collect(self, now: float) -> None:
        """Queues an event for each job that finished since the last look."""
        for name in self._state.names():
            if name in self._handled:
                continue
            event = self._event_for(name, now)
            if event is None:
                continue
            kind, body = event
            it = self._state.interaction(name)
            targets: list[tuple[str, SignScheme, tuple[str, ...]]]
            if it is not None and it.webhook_uris:
                targets = [(uri, self.dynamic_scheme, ()) for uri in it.webhook_uris]
            else:
                targets = [(self.url, self.scheme, ())] if self.url else []
                registered = self._state.webhook_registry.targets(kind)
                for uri, valid in registered:  # signed v1 with the webhook's own secrets
                    targets.append((uri, "v1", tuple(valid)))
            with self._lock:
                self._handled.add(name)
                fault = self._faults.pop(0) if self._faults else None
                if fault == "never":
                    continue
                for target, scheme, keys in targets:
                    msg_id = f"msg_{uuid.uuid4()}"
                    copies = 2 if fault == "duplicate" else 1
                    for _ in range(copies):
                        pending = _Pending(now, next(self._order), msg_id, kind, name, body, fault)
                        pending.url, pending.scheme, pending.secrets = target, scheme, keys
                        heapq.heappush(self._queue, pending)

    def _event_for(self, name: str, now: float) -> tuple[str, bytes] | None:
        op = self._state.operation(name)
        if op is not None:
            if now < op.done_at:
                return None
            if op.outcome.kind == "error":
                return "video.generated", self.signer.body(
                    "video.generated",
                    {
                        "id": name,
                        "error_code": op.outcome.code,
                        "error_message": op.outcome.message,
                    },
                )
            uri = op.gcs_uris[0] if op.gcs_uris else (op.file_ids[0] if op.file_ids else None)
            data: dict[str, Any] = {"id": name}
            if uri is not None:
                if self.payload == "video_uri":
                    data["video_uri"] = uri
                else:
                    data.update(output_file_uri=uri, file_name=uri)
            return "video.generated", self.signer.body("video.generated", data)
        it = self._state.interaction(name)
        if it is None or now < it.done_at:
            return None
        if it.cancelled:
            kind, extra = "interaction.cancelled", {}
        elif it.outcome.kind == "error":
            kind = "interaction.failed"
            extra = {"error_code": it.outcome.code, "error_message": it.outcome.message}
        else:
            kind, extra = "interaction.completed", {}
        if it.user_metadata is not None:
            # Where Google puts it is undocumented; veowrap reads data's and the envelope's.
            extra["user_metadata"] = it.user_metadata
        return kind, self.signer.body(kind, {"id": name, **extra})

    def _attempt(self, pending: _Pending) -> None:
        if not pending.id:  # the timer that releases a held delivery
            self._release()
            return
        if pending.fault == "out_of_order" and pending.attempt == 1:
            with self._lock:
                if self._held is None:
                    # Held back until the next delivery has gone out, or hold_seconds.
                    self._held = pending
                    due = time.monotonic() + self.hold_seconds
                    timer = _Pending(due, next(self._order), "", "", "", b"")
                    heapq.heappush(self._queue, timer)
                    return
        self._post(pending)
        self._release()

    def _release(self) -> None:
        with self._lock:
            held, self._held = self._held, None
        if held is not None:
            self._post(held)

    def _post(self, pending: _Pending) -> None:
        url = pending.url
        host = urllib.parse.urlsplit(url).hostname if url else None
        if host not in ("127.0.0.1", "localhost", "::1"):
            # The emulator never reaches beyond this machine (a test's example.com URI).
            with self._lock:
                self._sent.append(
                    SentDelivery(pending.id, pending.type, pending.subject, 0, 1, "not loopback")
                )
            return
        headers = self._headers(pending)
        request = urllib.request.Request(url, data=pending.body, headers=headers, method="POST")
        status = 0
        try:
            with urllib.request.urlopen(request, timeout=2) as response:
                status = response.status
        except urllib.error.HTTPError as error:
            status = error.code
            error.close()
        except OSError:
            status = 0
        with self._lock:
            self._sent.append(
                SentDelivery(
                    pending.id,
                    pending.type,
                    pending.subject,
                    status,
                    pending.attempt,
                    pending.fault,
                )
            )
            if not 200 <= status < 300 and pending.attempt < self.max_attempts:
                # At-least-once: retried with exponential backoff, same id, fresh timestamp.
                pending.attempt += 1
                pending.due = time.monotonic() + self.backoff * 2 ** (pending.attempt - 2)
                pending.order = next(self._order)
                heapq.heappush(self._queue, pending)
                self._lock.notify_all()

    def _headers(self, pending: _Pending) -> dict[str, str]:
        stamp = int(time.time())
        fault = pending.fault
        if fault == "late":
            stamp -= 600
        signer = self.signer
        if fault == "bad_signature":
            signer = WebhookSigner()
        if pending.secrets and fault != "bad_signature":
            # A registered webhook: one v1 entry per valid secret (two during a rotation).
            return signer.headers(
                pending.body, msg_id=pending.id, timestamp=stamp, secrets=pending.secrets
            )
        if fault == "rotated" and pending.scheme == "v1":
            secrets = [WebhookSigner().secret, self.signer.secret]
            return signer.headers(pending.body, msg_id=pending.id, timestamp=stamp, secrets=secrets)
        return signer.headers(
            pending.body, schemes=[pending.scheme], msg_id=pending.id, timestamp=stamp
        )
