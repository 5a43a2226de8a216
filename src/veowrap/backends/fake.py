"""`FakeBackend`: an offline, deterministic backend with scripted outcomes and virtual time.

For unit tests of code that uses veowrap: no network, no credentials, no real waiting.
Each submission takes the next scripted outcome; operations finish after ``latency`` seconds of
a virtual clock that only moves when the generator sleeps through the backend::

    from veowrap.backends.fake import FakeBackend, Filtered, QuotaExceeded, Success

    fake = FakeBackend(platform="vertex", latency=30.0)
    fake.script(Success(), Filtered(reasons=("unsafe content",)))
    gen = veowrap.VideoGenerator(backend=fake)
    gen.generate("a paper boat").save("out/")   # returns at once; fake.clock() == 30-ish
    with pytest.raises(veowrap.ContentFilteredError):
        gen.generate("something else")

Videos are the real MP4 files shipped in ``veowrap.testing``'s ``assets`` folder; the fake
refuses to invent bytes. Veo models are answered as long-running operations and ``gemini-*``
models as interactions (like the real backend), as plain dicts in the service's JSON shape,
which veowrap reads like SDK objects.
"""

from __future__ import annotations

import asyncio
import base64
import importlib.resources
import itertools
import threading
import time
from collections import deque
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeAlias

from veowrap._catalog import load_catalog
from veowrap._core.status import VideoRef
from veowrap._errors import ConfigurationError
from veowrap._handle import OperationHandle, Platform, Route
from veowrap._request import VideoRequest
from veowrap.backends._http import BytesStream
from veowrap.backends._protocol import VideoStream

__all__ = [
    "Failure",
    "FakeBackend",
    "FakeCall",
    "FakeHTTPError",
    "Filtered",
    "NeverFinishes",
    "Outcome",
    "QuotaExceeded",
    "Success",
    "UncertainSubmission",
    "VirtualClock",
    "asset_video",
]

_DURATIONS = (4, 5, 6, 7, 8)
_MIME = "video/mp4"


# -- scripted outcomes ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Success:
    """The operation finishes with ``videos`` real MP4 files.

    Attributes:
        videos: How many videos (default: the request's ``number_of_videos`` or 1).
        inline: Return the bytes inside the operation (like Vertex AI without
            ``output_gcs_uri``) instead of a URI that :meth:`FakeBackend.open_video` serves.
        filtered: How many further videos were withheld by safety filters.
    """

    videos: int | None = None
    inline: bool = False
    filtered: int = 0


@dataclass(frozen=True)
class Failure:
    """The operation finishes with an error (google.rpc ``code``, ``message``).

    Veowrap raises :class:`~veowrap.OperationFailedError`.
    """

    code: int = 13
    message: str = "Internal error encountered."


@dataclass(frozen=True)
class Filtered:
    """Every video is withheld by safety filters: :class:`~veowrap.ContentFilteredError`.

    On the interactions route (``gemini-*`` models) the interaction completes without a video,
    which carries no reasons.
    """

    reasons: tuple[str, ...] = (
        "Your prompt was blocked by our safety filters. Try rephrasing it.",
    )
    count: int | None = None


@dataclass(frozen=True)
class NeverFinishes:
    """The operation never finishes: the wait ends with :class:`~veowrap.OperationTimeoutError`."""


@dataclass(frozen=True)
class QuotaExceeded:
    """The submission is refused with HTTP 429 ``RESOURCE_EXHAUSTED`` and a ``Retry-After``.

    Veowrap retries it (the service provably did not accept it), so script it as many times
    as the retry policy has attempts to see :class:`~veowrap.QuotaExceededError`; the next
    outcome answers the retry otherwise. Nothing is recorded in ``submitted``.
    """

    retry_after: float = 30.0
    message: str = "Quota exceeded for aiplatform.googleapis.com/online_prediction_requests."


@dataclass(frozen=True)
class UncertainSubmission:
    """The service accepts the submission but the connection breaks before the answer.

    The request is recorded in ``submitted`` and its operation exists (it proceeds to ``then``;
    find it in :attr:`FakeBackend.operations`), then ``submit`` raises
    :class:`ConnectionResetError`: veowrap raises :class:`~veowrap.SubmissionUncertainError`
    and does not re-send.
    """

    then: Success | Failure | Filtered | NeverFinishes = field(default_factory=Success)


Outcome: TypeAlias = (
    Success | Failure | Filtered | NeverFinishes | QuotaExceeded | UncertainSubmission
)


class FakeHTTPError(Exception):
    """An HTTP error shaped like google-genai's ``APIError``, read by veowrap's fault rules.

    Attributes:
        status_code: The HTTP status.
        code: The same, as google-genai spells it.
        headers: The response headers (``Retry-After`` for quota errors).
        details: The Google error body ``{"error": {"code", "message", "status"}}``.
    """

    def __init__(
        self,
        status_code: int,
        message: str,
        status: str,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.status_code = status_code
        self.code = status_code
        self.headers = dict(headers or {})
        self.details = {"error": {"code": status_code, "message": message, "status": status}}
        super().__init__(f"{status_code} {status}. {message}")


@dataclass(frozen=True)
class FakeCall:
    """One call the backend received: ``op`` is ``submit``, ``poll`` or ``cancel``."""

    op: str
    name: str | None
    at: float


# -- virtual time --------------------------------------------------------------------------------


class VirtualClock:
    """A monotonic clock that only moves when something sleeps on it (or :meth:`advance`).

    Concurrent sleepers each move it by their own delay: virtual time is an approximation
    that keeps sequential tests exact and concurrent ones fast.
    """

    def __init__(self, start: float = 0.0) -> None:
        self._now = start
        self._lock = threading.Lock()

    def __call__(self) -> float:
        """The current virtual time in seconds."""
        return self._now

    def advance(self, seconds: float) -> None:
        """Moves the clock forward by ``seconds`` (negative values are ignored)."""
        with self._lock:
            self._now += max(0.0, seconds)


# -- the backend ---------------------------------------------------------------------------------


@dataclass
class _Operation:
    name: str
    route: Route
    model: str
    outcome: Success | Failure | Filtered | NeverFinishes
    request: VideoRequest
    done_at: float
    cancelled: bool = False


class FakeBackend:
    """An offline backend implementing both ``Backend`` and ``AsyncBackend``.

    Args:
        platform: ``"vertex"`` or ``"gemini"``; decides operation names, URIs and which
            request fields are refused (the same rules as the real backend).
        latency: Virtual seconds from submission to a finished operation.
        default: The outcome used when the script is exhausted (``None``: raise instead).
        model: The model used when a request names none.
        virtual_time: Use the virtual clock (default). ``False`` makes :meth:`clock` and
            :meth:`sleep` real, for code that runs the fake with real waits.

    Attributes:
        submitted: Every request the service "received", in order (quota refusals excluded,
            uncertain submissions included).
        calls: Every call made, with its virtual time.
    """

    name = "fake"

    def __init__(
        self,
        platform: Platform = "vertex",
        latency: float = 30.0,
        *,
        default: Outcome | None = Success(),
        model: str | None = None,
        virtual_time: bool = True,
    ) -> None:
        if platform not in ("vertex", "gemini"):
            raise ConfigurationError(
                f"FakeBackend platform must be 'vertex' or 'gemini', not {platform!r}."
            )
        if latency < 0:
            raise ConfigurationError(f"FakeBackend latency must be >= 0, got {latency}.")
        self._platform: Platform = platform
        self.latency = latency
        self.default = default
        self._model = model
        self._virtual = virtual_time
        self._time = VirtualClock()
        self._script: deque[Outcome] = deque()
        self._operations: dict[str, _Operation] = {}
        self._blobs: dict[str, bytes] = {}
        self._ids = itertools.count(1)
        self._lock = threading.RLock()
        self.submitted: list[VideoRequest] = []
        self.calls: list[FakeCall] = []

    # -- scripting ----------------------------------------------------------------------------

    def script(self, *outcomes: Outcome) -> FakeBackend:
        """Appends outcomes, consumed one per submission; returns ``self`` for chaining."""
        for outcome in outcomes:
            if not isinstance(
                outcome,
                Success | Failure | Filtered | NeverFinishes | QuotaExceeded | UncertainSubmission,
            ):
                raise TypeError(f"not a FakeBackend outcome: {outcome!r}")
        with self._lock:
            self._script.extend(outcomes)
        return self

    @property
    def remaining(self) -> tuple[Outcome, ...]:
        """The scripted outcomes not consumed yet."""
        with self._lock:
            return tuple(self._script)

    @property
    def operations(self) -> tuple[str, ...]:
        """The names of the operations created so far, in order."""
        with self._lock:
            return tuple(self._operations)

    # -- virtual time -------------------------------------------------------------------------

    def clock(self) -> float:
        """The backend's monotonic clock: virtual seconds (or ``time.monotonic()``)."""
        if not self._virtual:
            return time.monotonic()
        return self._time()

    def sleep(self, seconds: float) -> None:
        """Sleeps on the backend's clock: advances virtual time at once (or really sleeps)."""
        if not self._virtual:
            time.sleep(seconds)
            return
        self._time.advance(seconds)

    async def sleep_async(self, seconds: float) -> None:
        """Like :meth:`sleep` for async code; yields to the event loop either way."""
        if not self._virtual:
            await asyncio.sleep(seconds)
            return
        self._time.advance(seconds)
        await asyncio.sleep(0)

    def advance(self, seconds: float) -> None:
        """Moves virtual time forward (a test pretending time passed between calls)."""
        self._time.advance(seconds)

    # -- the Backend protocol -----------------------------------------------------------------

    @property
    def platform(self) -> Platform:
        """The platform the fake pretends to be."""
        return self._platform

    def default_model(self) -> str:
        """``model=`` if given, else the real backend's default for the platform."""
        if self._model:
            return self._model
        return load_catalog().default_model(self._platform)

    def route_for(self, model: str) -> Route:
        """The catalog's route for ``model``, as the real backend."""
        return load_catalog().route_for(model)

    def prepare(self, request: VideoRequest, model: str) -> None:
        """Nothing to add: the fake has no SDK of its own (the catalog checks the rest)."""

    def submit(self, request: VideoRequest, model: str) -> Any:
        """Consumes the next outcome and returns the new operation (not done)."""
        with self._lock:
            outcome = self._next_outcome()
            self.calls.append(FakeCall("submit", None, self.clock()))
            if isinstance(outcome, QuotaExceeded):
                raise FakeHTTPError(
                    429,
                    outcome.message,
                    "RESOURCE_EXHAUSTED",
                    headers={"Retry-After": f"{outcome.retry_after:g}"},
                )
            final = outcome.then if isinstance(outcome, UncertainSubmission) else outcome
            operation = self._create(request, model, final)
            if isinstance(outcome, UncertainSubmission):
                raise ConnectionResetError(
                    104, "Connection reset by peer (FakeBackend: the submission was accepted)"
                )
            return self._wire(operation)

    def poll(self, handle: OperationHandle) -> Any:
        """Reads the operation: done once ``latency`` virtual seconds have passed."""
        with self._lock:
            self.calls.append(FakeCall("poll", handle.name, self.clock()))
            return self._wire(self._find(handle))

    def cancel(self, handle: OperationHandle) -> None:
        """Cancels a running job: an operation ends with error code 1, an interaction cancelled."""
        with self._lock:
            self.calls.append(FakeCall("cancel", handle.name, self.clock()))
            operation = self._find(handle)
            if not self._done(operation):
                operation.cancelled = True
                operation.done_at = self.clock()

    async def submit_async(self, request: VideoRequest, model: str) -> Any:
        """:meth:`submit`, awaitable."""
        await asyncio.sleep(0)
        return self.submit(request, model)

    async def poll_async(self, handle: OperationHandle) -> Any:
        """:meth:`poll`, awaitable."""
        await asyncio.sleep(0)
        return self.poll(handle)

    async def cancel_async(self, handle: OperationHandle) -> None:
        """:meth:`cancel`, awaitable."""
        await asyncio.sleep(0)
        self.cancel(handle)

    def open_video(self, video: VideoRef) -> AbstractContextManager[VideoStream]:
        """Serves a finished video's bytes (inline, or by the URI the operation gave)."""
        return self._open(video)

    @contextmanager
    def _open(self, video: VideoRef) -> Iterator[VideoStream]:
        if video.data is not None:
            yield BytesStream(video.data)
            return
        with self._lock:
            data = self._blobs.get(video.uri or "")
        if data is None:
            raise FakeHTTPError(404, f"No such object: {video.uri}", "NOT_FOUND")
        yield BytesStream(data)

    def __repr__(self) -> str:
        return (
            f"FakeBackend(platform={self._platform!r}, latency={self.latency!r}, "
            f"remaining={len(self._script)})"
        )

    # -- internals ----------------------------------------------------------------------------

    def _next_outcome(self) -> Outcome:
        if self._script:
            return self._script.popleft()
        if self.default is None:
            raise ConfigurationError(
                "FakeBackend: the script is exhausted and default=None.",
                hint="Script one outcome per submission (retried quota refusals included).",
            )
        return self.default

    def _create(
        self,
        request: VideoRequest,
        model: str,
        outcome: Success | Failure | Filtered | NeverFinishes,
    ) -> _Operation:
        number = next(self._ids)
        route = self.route_for(model)
        vertex = "projects/fake-project/locations/us-central1"
        if route == "interactions":
            op_id = f"fakeinteraction{number:06d}"
            name = f"{vertex}/interactions/{op_id}" if self._platform == "vertex" else op_id
        elif self._platform == "vertex":
            name = f"{vertex}/publishers/google/models/{model}/operations/fake-{number:06d}"
        else:
            name = f"models/{model}/operations/fake-{number:06d}"
        operation = _Operation(
            name, route, model, outcome, request, done_at=self.clock() + self.latency
        )
        self._operations[name] = operation
        self.submitted.append(request)
        return operation

    def _find(self, handle: OperationHandle) -> _Operation:
        operation = self._operations.get(handle.name)
        if operation is None:
            raise FakeHTTPError(404, f"Operation {handle.name} was not found.", "NOT_FOUND")
        return operation

    def _done(self, operation: _Operation) -> bool:
        if operation.cancelled:
            return True
        if isinstance(operation.outcome, NeverFinishes):
            return False
        return self.clock() >= operation.done_at

    def _wire(self, operation: _Operation) -> dict[str, Any]:
        if operation.route == "interactions":
            return self._interaction(operation)
        wire: dict[str, Any] = {"name": operation.name, "done": self._done(operation)}
        if not wire["done"]:
            return wire
        outcome = operation.outcome
        if operation.cancelled:
            wire["error"] = {"code": 1, "message": "The operation was cancelled."}
        elif isinstance(outcome, Failure):
            wire["error"] = {"code": outcome.code, "message": outcome.message}
        elif isinstance(outcome, Filtered):
            wire["response"] = {
                "videos": [],
                "raiMediaFilteredCount": outcome.count or len(outcome.reasons) or 1,
                "raiMediaFilteredReasons": list(outcome.reasons),
            }
        elif isinstance(outcome, Success):
            wire["response"] = self._success(operation, outcome)
        return wire

    def _interaction(self, operation: _Operation) -> dict[str, Any]:
        wire: dict[str, Any] = {
            "id": operation.name,
            "object": "interaction",
            "model": operation.model,
            "status": "in_progress",
        }
        outcome = operation.outcome
        if not self._done(operation):
            return wire
        if operation.cancelled:
            wire["status"] = "cancelled"
        elif isinstance(outcome, Failure):
            wire["status"] = "failed"
            wire["errors"] = [{"code": outcome.code, "message": outcome.message}]
        else:
            content: list[dict[str, Any]] = []
            if isinstance(outcome, Success):
                for video in self._videos(operation, outcome):
                    if "bytesBase64Encoded" in video:
                        content.append({"type": "video", "data": video["bytesBase64Encoded"]})
                    else:
                        content.append(
                            {"type": "video", "uri": video.get("gcsUri", video.get("uri"))}
                        )
                    content[-1]["mime_type"] = _MIME
            wire["status"] = "completed"
            wire["steps"] = [{"type": "model_output", "content": content}]
        return wire

    def _success(self, operation: _Operation, outcome: Success) -> dict[str, Any]:
        response: dict[str, Any] = {"videos": self._videos(operation, outcome)}
        if outcome.filtered:
            response["raiMediaFilteredCount"] = outcome.filtered
            response["raiMediaFilteredReasons"] = ["A video was withheld by safety filters."]
        return response

    def _videos(self, operation: _Operation, outcome: Success) -> list[dict[str, Any]]:
        request = operation.request
        count = outcome.videos or request.number_of_videos or 1
        data = asset_video(request.aspect_ratio or "16:9", request.duration_seconds or 8)
        videos: list[dict[str, Any]] = []
        for index in range(count):
            if outcome.inline:
                videos.append({"bytesBase64Encoded": _b64(data), "mimeType": _MIME})
                continue
            uri = self._uri(operation, index)
            self._blobs[uri] = data
            key = "gcsUri" if self._platform == "vertex" else "uri"
            videos.append({key: uri, "mimeType": _MIME})
        return videos

    def _uri(self, operation: _Operation, index: int) -> str:
        op_id = operation.name.rsplit("/", 1)[-1]
        if self._platform == "vertex":
            base = (operation.request.output_gcs_uri or "gs://fake-bucket/").rstrip("/")
            return f"{base}/{op_id}/sample_{index}.mp4"
        return (
            "https://generativelanguage.googleapis.com/v1beta/files/"
            f"{op_id.replace('-', '')}{index}:download?alt=media"
        )


def asset_video(aspect_ratio: str = "16:9", duration_seconds: int = 8) -> bytes:
    """A real MP4 from ``veowrap.testing``'s assets, the closest to the asked shape.

    Args:
        aspect_ratio: ``"9:16"`` for portrait; anything else is landscape.
        duration_seconds: The nearest of the 4–8 s assets is used.

    Raises:
        ConfigurationError: The assets are not installed (veowrap never invents video bytes).
    """
    shape = "9x16" if aspect_ratio == "9:16" else "16x9"
    duration = min(_DURATIONS, key=lambda d: (abs(d - duration_seconds), d))
    try:
        resource = importlib.resources.files("veowrap.testing") / "assets"
        return (resource / f"veo_{shape}_{duration}s.mp4").read_bytes()
    except (ModuleNotFoundError, FileNotFoundError, NotADirectoryError) as error:
        raise ConfigurationError(
            "FakeBackend needs the MP4 assets of veowrap.testing, which are not installed.",
            hint="Install veowrap from a complete wheel or source checkout "
            "(veowrap/testing/assets/*.mp4).",
        ) from error


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
