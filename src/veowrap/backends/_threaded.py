"""A sync-only backend seen as an async one: each call runs in a worker thread.

The batch engine is asynchronous; ``VideoGenerator.generate_many`` hands it a sync-only backend
through this adapter, so a backend that implements only ``submit``/``poll``/``cancel`` still
runs batches. The calls are the backend's own; only the thread they run on changes.
"""

from __future__ import annotations

import asyncio
from contextlib import AbstractContextManager
from typing import Any

from veowrap._core.status import VideoRef
from veowrap._handle import OperationHandle, Platform, Route
from veowrap._request import VideoRequest
from veowrap.backends._protocol import Backend, Closable, HoldsSecrets, VideoStream

__all__ = ["ThreadedBackend"]


class ThreadedBackend:
    """Runs a sync :class:`~veowrap.backends.Backend`'s calls in worker threads for async code.

    Args:
        backend: The sync-only backend to drive.
    """

    def __init__(self, backend: Backend) -> None:
        self.wrapped = backend

    @property
    def platform(self) -> Platform:
        """The wrapped backend's platform."""
        return self.wrapped.platform

    def default_model(self) -> str:
        """The wrapped backend's default model."""
        return self.wrapped.default_model()

    def route_for(self, model: str) -> Route:
        """The wrapped backend's route for ``model``."""
        return self.wrapped.route_for(model)

    def prepare(self, request: VideoRequest, model: str) -> None:
        """The wrapped backend's own checks."""
        self.wrapped.prepare(request, model)

    def open_video(self, video: VideoRef) -> AbstractContextManager[VideoStream]:
        """The wrapped backend's download (already run from a worker thread by the driver)."""
        return self.wrapped.open_video(video)

    async def submit_async(self, request: VideoRequest, model: str) -> Any:
        """``submit`` in a worker thread."""
        return await asyncio.to_thread(self.wrapped.submit, request, model)

    async def poll_async(self, handle: OperationHandle) -> Any:
        """``poll`` in a worker thread."""
        return await asyncio.to_thread(self.wrapped.poll, handle)

    async def cancel_async(self, handle: OperationHandle) -> None:
        """``cancel`` in a worker thread."""
        await asyncio.to_thread(self.wrapped.cancel, handle)

    def secrets(self) -> tuple[str, ...]:
        """The wrapped backend's credentials, so they are redacted too."""
        return self.wrapped.secrets() if isinstance(self.wrapped, HoldsSecrets) else ()

    def close(self) -> None:
        """Closes the wrapped backend, if it has connections."""
        if isinstance(self.wrapped, Closable):
            self.wrapped.close()

    def __repr__(self) -> str:
        return f"ThreadedBackend({self.wrapped!r})"
