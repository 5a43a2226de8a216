"""Thread-safe state shared by the server threads and the test thread."""

from __future__ import annotations

import secrets
import threading
import time
import uuid
from dataclasses import dataclass, field, replace
from typing import Any

from ._assets import VideoSpec
from ._capabilities import Platform
from ._faults import Fault, Outcome

#: Vertex's wording for a per-minute quota 429 (real capture: tests/emulator/real_payloads/).
_QUOTA_MESSAGE = (
    "Resource exhausted. Please try again later. Please refer to "
    "https://cloud.google.com/vertex-ai/generative-ai/docs/error-code-429 for more details."
)


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the emulator received it.

    Attributes:
        method: HTTP method, e.g. `"POST"`.
        path: Path without the query string.
        query: Query parameters (last value wins; `key` is masked).
        headers: Request headers with lower-case names; secrets are `"***"`.
        body: Parsed JSON body, the raw text if it is not JSON, or None when empty.
        endpoint: Endpoint family name (as used by `VeoEmulator.inject`) or `"unknown"`.
    """

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any
    endpoint: str


@dataclass
class Operation:
    """A Veo long-running operation."""

    name: str
    model: str
    platform: Platform
    done_at: float
    outcome: Outcome
    videos: list[VideoSpec]
    filtered_count: int
    file_ids: list[str] = field(default_factory=list)
    gcs_uris: list[str] = field(default_factory=list)
    expired: bool = False


@dataclass
class StoredFile:
    """A video held by the emulator, reachable through the files API or Cloud Storage."""

    spec: VideoSpec
    ready_at: float
    active_at: float


@dataclass
class Interaction:
    """An Interactions API resource."""

    id: str
    model: str
    platform: Platform
    created: str
    done_at: float
    outcome: Outcome
    spec: VideoSpec
    delivery: str
    input_steps: list[Any]
    video_uri: str | None = None
    cancelled: bool = False
    expired: bool = False
    #: ``webhook_config`` of the create: dynamic webhook URIs and metadata (webhooks-wire.md §2).
    webhook_uris: tuple[str, ...] = ()
    user_metadata: dict[str, Any] | None = None


@dataclass
class _Injection:
    fault: Fault
    remaining: int
    call: int | None


@dataclass
class _Script:
    outcome: Outcome
    model: str | None
    remaining: int


def new_file_id() -> str:
    """Returns a lower-case alphanumeric id (the SDK only parses `[a-z0-9]+`)."""
    return secrets.token_hex(6)


def new_operation_id(platform: Platform) -> str:
    """Returns an operation id in the style of each platform."""
    return str(uuid.uuid4()) if platform == "vertex" else secrets.token_hex(6)


class EmulatorState:
    """Everything the emulator knows, guarded by one lock."""

    def __init__(self, latency: float) -> None:
        self._lock = threading.Lock()
        self._default_latency = latency
        self._latencies: dict[str, float] = {}
        self.file_processing_delay = 0.1
        self.quota: tuple[int, float] | None = None
        self.quota_retry_after = False
        #: Base URL of the media origin Files API downloads redirect to; None serves directly.
        self.media_redirect: str | None = None
        from ._webhook_api import WebhookRegistry  # here: it imports _http, which imports us

        #: Registered (static) webhooks: the ``{ver}/webhooks`` resource.
        self.webhook_registry = WebhookRegistry()
        self._clear()

    def _clear(self) -> None:
        self._requests: list[RecordedRequest] = []
        self._calls: dict[str, int] = {}
        self._injections: dict[str, list[_Injection]] = {}
        self._scripts: list[_Script] = []
        self._accepted = 0
        self._operations: dict[str, Operation] = {}
        self._interactions: dict[str, Interaction] = {}
        self._order: list[str] = []
        self._files: dict[str, StoredFile] = {}
        self._gcs: dict[str, StoredFile] = {}
        self._quota_times: list[float] = []
        self.quota_rejections = 0
        self._media_credentials = 0

    def reset(self) -> None:
        """Forgets requests, counters, faults, scripts and every resource (keeps latency)."""
        with self._lock:
            self._clear()
        self.webhook_registry.clear()

    # Request log and faults -------------------------------------------------------------

    def record(self, request: RecordedRequest) -> Fault | None:
        """Logs a request and returns the fault injected for this call, if any."""
        with self._lock:
            self._requests.append(request)
            endpoint = request.endpoint
            count = self._calls.get(endpoint, 0) + 1
            self._calls[endpoint] = count
            queue = self._injections.get(endpoint, [])
            chosen = next((i for i in queue if i.call == count), None)
            if chosen is None:
                chosen = next((i for i in queue if i.call is None), None)
            if chosen is None:
                return self._quota_fault(endpoint)
            chosen.remaining -= 1
            if chosen.remaining <= 0 or chosen.call is not None:
                queue.remove(chosen)
            return chosen.fault

    def _quota_fault(self, endpoint: str) -> Fault | None:
        """A 429 when a create would exceed the scripted quota (a sliding window)."""
        if self.quota is None or endpoint not in ("create", "interaction_create"):
            return None
        limit, window = self.quota
        now = time.monotonic()
        self._quota_times = [t for t in self._quota_times if now - t < window]
        if len(self._quota_times) < limit:
            self._quota_times.append(now)
            return None
        self.quota_rejections += 1
        wait = window - (now - self._quota_times[0])
        retry_after = round(max(wait, 0.001), 3) if self.quota_retry_after else None
        return Fault.http(429, retry_after=retry_after, message=_QUOTA_MESSAGE)

    def note_media_credentials(self) -> None:
        """Counts a request that brought a credential to the media origin."""
        with self._lock:
            self._media_credentials += 1

    @property
    def media_credentials(self) -> int:
        """Requests to the media origin that carried the API key or the token."""
        with self._lock:
            return self._media_credentials

    def inject(self, endpoint: str, fault: Fault, times: int, call: int | None) -> None:
        """Queues a fault for an endpoint (see `VeoEmulator.inject`)."""
        with self._lock:
            self._injections.setdefault(endpoint, []).append(_Injection(fault, times, call))

    @property
    def requests(self) -> list[RecordedRequest]:
        """A snapshot of the request log."""
        with self._lock:
            return list(self._requests)

    # Outcomes and latency ---------------------------------------------------------------

    def script(self, outcome: Outcome, model: str | None, times: int) -> None:
        """Queues an outcome for the next accepted creates."""
        with self._lock:
            self._scripts.append(_Script(outcome, model, times))

    @property
    def default_latency(self) -> float:
        """Seconds a job takes unless a model has its own latency."""
        return self._default_latency

    def set_latency(self, seconds: float, model: str | None) -> None:
        """Sets the create-to-done latency for one model or the default."""
        with self._lock:
            if model is None:
                self._default_latency = seconds
            else:
                self._latencies[model] = seconds

    def accept(self, model: str) -> tuple[Outcome, float]:
        """Counts an accepted create; returns its scripted outcome and its done time."""
        with self._lock:
            self._accepted += 1
            outcome = Outcome.success()
            for script in self._scripts:
                if script.model in (None, model):
                    outcome = script.outcome
                    script.remaining -= 1
                    if script.remaining <= 0:
                        self._scripts.remove(script)
                    break
            latency = self._latencies.get(model, self._default_latency)
            return outcome, time.monotonic() + latency

    @property
    def accepted(self) -> int:
        """Number of accepted creates."""
        with self._lock:
            return self._accepted

    # Resources --------------------------------------------------------------------------

    def add_operation(self, op: Operation, files: dict[str, StoredFile]) -> None:
        """Stores an accepted operation and the videos it will produce."""
        with self._lock:
            self._operations[op.name] = op
            self._order.append(op.name)
            for key, stored in files.items():
                target = self._gcs if key.startswith("gs://") else self._files
                target[key] = stored

    def add_interaction(self, it: Interaction, files: dict[str, StoredFile]) -> None:
        """Stores an accepted interaction and its video."""
        with self._lock:
            self._interactions[it.id] = it
            self._order.append(it.id)
            for key, stored in files.items():
                target = self._gcs if key.startswith("gs://") else self._files
                target[key] = stored

    def operation(self, name: str) -> Operation | None:
        """Returns a live (not expired) operation."""
        with self._lock:
            op = self._operations.get(name)
            return None if op is None or op.expired else op

    def interaction(self, interaction_id: str) -> Interaction | None:
        """Returns a live (not expired or deleted) interaction."""
        with self._lock:
            it = self._interactions.get(interaction_id)
            return None if it is None or it.expired else it

    def update_interaction(self, it: Interaction, **changes: Any) -> Interaction:
        """Replaces an interaction with a changed copy and returns it."""
        with self._lock:
            new = replace(it, **changes)
            self._interactions[it.id] = new
            return new

    def expire(self, name: str) -> bool:
        """Makes an operation or interaction answer 404; False if unknown."""
        with self._lock:
            if name in self._operations:
                self._operations[name].expired = True
                return True
            if name in self._interactions:
                self._interactions[name].expired = True
                return True
            return False

    def names(self) -> list[str]:
        """Names of accepted operations and ids of accepted interactions, in order."""
        with self._lock:
            return list(self._order)

    def file(self, file_id: str, now: float) -> StoredFile | None:
        """Returns a files-API video that exists at `now`."""
        with self._lock:
            stored = self._files.get(file_id)
            return stored if stored and stored.ready_at <= now else None

    def gcs_object(self, uri: str, now: float) -> StoredFile | None:
        """Returns a Cloud Storage object that exists at `now`."""
        with self._lock:
            stored = self._gcs.get(uri)
            return stored if stored and stored.ready_at <= now else None

    def gcs_objects(self, now: float) -> dict[str, int]:
        """All Cloud Storage objects that exist at `now`, with their sizes."""
        with self._lock:
            return {k: v.spec.size for k, v in self._gcs.items() if v.ready_at <= now}
