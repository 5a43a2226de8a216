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
import itertools
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

from veowrap._catalog import load_catalog
from veowrap._core.status import VideoRef
from veowrap._errors import ConfigurationError
from veowrap._handle import OperationHandle, Platform, Route
from veowrap._request import VideoRequest
from veowrap.backends._fake_clock import VirtualClock
from veowrap.backends._fake_outcomes import (
    Failure,
    FakeCall,
    FakeHTTPError,
    Filtered,
    NeverFinishes,
    Outcome,
    QuotaExceeded,
    Success,
    UncertainSubmission,
)
from veowrap.backends._fake_wire import FakeOperation, asset_video, render
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


_SUCCESS = Success()


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
        default: Outcome | None = _SUCCESS,
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
        self._operations: dict[str, FakeOperation] = {}
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
            return render(operation, self._done(operation), self._platform, self._blobs)

    def poll(self, handle: OperationHandle) -> Any:
        """Reads the operation: done once ``latency`` virtual seconds have passed."""
        with self._lock:
            self.calls.append(FakeCall("poll", handle.name, self.clock()))
            operation = self._find(handle)
            return render(operation, self._done(operation), self._platform, self._blobs)

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
    ) -> FakeOperation:
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
        operation = FakeOperation(
            name, route, model, outcome, request, done_at=self.clock() + self.latency
        )
        self._operations[name] = operation
        self.submitted.append(request)
        return operation

    def _find(self, handle: OperationHandle) -> FakeOperation:
        operation = self._operations.get(handle.name)
        if operation is None:
            raise FakeHTTPError(404, f"Operation {handle.name} was not found.", "NOT_FOUND")
        return operation

    def _done(self, operation: FakeOperation) -> bool:
        if operation.cancelled:
            return True
        if isinstance(operation.outcome, NeverFinishes):
            return False
        return self.clock() >= operation.done_at
