"""The contracts a backend fulfils for the generators."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:  # annotations only: a runtime-checkable protocol checks names, not types
    from veowrap._core.status import VideoRef
    from veowrap._handle import OperationHandle, Platform, Route
    from veowrap._request import VideoRequest

__all__ = [
    "AsyncBackend",
    "AsyncClosable",
    "Backend",
    "Closable",
    "HoldsSecrets",
    "VideoStream",
    "VirtualClock",
]


class VideoStream(Protocol):
    """An open download: its size if the server said, and its bytes in chunks."""

    @property
    def length(self) -> int | None:
        """The number of bytes the server announced, if it did."""
        ...

    def chunks(self, size: int) -> Iterator[bytes]:
        """Yields the content in chunks of at most ``size`` bytes."""
        ...


class _Common(Protocol):
    @property
    def platform(self) -> Platform:
        """Which platform this backend talks to."""
        ...

    def default_model(self) -> str:
        """The model used when a request names none."""
        ...

    def route_for(self, model: str) -> Route:
        """Which route (operations or interactions) serves ``model`` here."""
        ...

    def prepare(self, request: VideoRequest, model: str) -> None:
        """Refuses, before any call, a request this backend cannot send."""
        ...

    def open_video(self, video: VideoRef) -> AbstractContextManager[VideoStream]:
        """Opens a finished video stored remotely (used from a worker thread in async code)."""
        ...


@runtime_checkable
class Backend(_Common, Protocol):
    """A synchronous backend. Calls raise the SDK's own exceptions; the core reads them."""

    def submit(self, request: VideoRequest, model: str) -> Any:
        """Starts a generation; returns the SDK's operation or interaction object, or a
        neutral :class:`~veowrap.OperationStatus` (``name`` set, ``done`` usually False)."""
        ...

    def poll(self, handle: OperationHandle) -> Any:
        """Reads the operation or interaction once (an SDK object or an OperationStatus)."""
        ...

    def cancel(self, handle: OperationHandle) -> None:
        """Asks the service to cancel the operation."""
        ...


@runtime_checkable
class AsyncBackend(_Common, Protocol):
    """An asynchronous backend, the same contract with awaitable calls."""

    async def submit_async(self, request: VideoRequest, model: str) -> Any:
        """Starts a generation and returns the SDK's operation or interaction object."""
        ...

    async def poll_async(self, handle: OperationHandle) -> Any:
        """Reads the operation or interaction once."""
        ...

    async def cancel_async(self, handle: OperationHandle) -> None:
        """Asks the service to cancel the operation."""
        ...


# Optional abilities. A generator checks for each once, when it is built.


@runtime_checkable
class VirtualClock(Protocol):
    """A backend that keeps its own time (the fake backend's virtual clock).

    A generator driving one reads this clock and sleeps through it, so tests of long waits
    finish at once; calls are then not bounded on real time.
    """

    def clock(self) -> float:
        """Seconds on the backend's clock (monotonic)."""
        ...

    def sleep(self, seconds: float) -> None:
        """Lets ``seconds`` pass on the backend's clock."""
        ...

    async def sleep_async(self, seconds: float) -> None:
        """Lets ``seconds`` pass on the backend's clock, from async code."""
        ...


@runtime_checkable
class HoldsSecrets(Protocol):
    """A backend that can name the credentials it sends, so they are redacted everywhere."""

    def secrets(self) -> tuple[str, ...]:
        """The API keys and tokens in use now (tokens are refreshed)."""
        ...


@runtime_checkable
class Closable(Protocol):
    """A backend with connections to release."""

    def close(self) -> None:
        """Releases the backend's connections."""
        ...


@runtime_checkable
class AsyncClosable(Protocol):
    """A backend with async connections to release."""

    async def aclose(self) -> None:
        """Releases the backend's async connections."""
        ...
