"""Calls that cannot outlive a deadline, whatever the server does.

A socket timeout bounds one read, not a call: a server that trickles its headers a byte at a
time, or stalls between reads, holds an HTTP call open for ever. So a call with a deadline runs
where the caller can stop waiting for it: on a worker thread (sync), or under
``asyncio.timeout`` (async). When the deadline passes first, the caller gets
:class:`~veowrap._core.retrying.DeadlineReached` caused by a ``TimeoutError``, and the plan
decides what that means (a poll times out with its handle; a create in flight is uncertain).

The abandoned sync worker finishes in the background when the server lets go; its result is
dropped. That is the price of a hard deadline on a blocking client that has no total timeout.

Workers are reused: starting a thread costs about ten times handing a call to an idle one, and
a job makes a call per poll. A worker busy with an abandoned call is simply not idle, so the
next call gets another; idle workers exit after a while.
"""

from __future__ import annotations

import asyncio
import contextvars
import os
import queue
import threading
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from veowrap._core.retrying import DeadlineReached

__all__ = ["CallNotStarted", "call_within", "call_within_async"]

T = TypeVar("T")


class CallNotStarted(Exception):
    """The deadline had passed before the call was sent: nothing reached the server."""


class CallAbandoned(TimeoutError):
    """The deadline passed while the call was in flight; it was abandoned, not answered."""


#: Seconds an idle worker waits for another call before its thread exits.
IDLE_SECONDS = 30.0


class _Worker:
    """A daemon thread that runs handed-over calls one at a time."""

    def __init__(self, pool: _Workers) -> None:
        self._pool = pool
        self._calls: queue.SimpleQueue[Callable[[], None]] = queue.SimpleQueue()
        threading.Thread(target=self._serve, name="veowrap-call", daemon=True).start()

    def give(self, call: Callable[[], None]) -> None:
        self._calls.put(call)

    def _serve(self) -> None:
        while True:
            try:
                call = self._calls.get(timeout=IDLE_SECONDS)
            except queue.Empty:
                if self._pool.retire(self):
                    return
                continue  # taken from the idle list just now: a call is on its way
            call()  # never raises: the call stores its outcome for the waiting caller
            del call  # an idle worker must not keep the last answer (maybe a video) alive
            self._pool.rest(self)


class _Workers:
    """Idle workers, most recently used first."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._idle: list[_Worker] = []

    def run(self, call: Callable[[], None]) -> None:
        with self._lock:
            worker = self._idle.pop() if self._idle else None
        (worker or _Worker(self)).give(call)

    def rest(self, worker: _Worker) -> None:
        with self._lock:
            self._idle.append(worker)

    def retire(self, worker: _Worker) -> bool:
        with self._lock:
            if worker in self._idle:
                self._idle.remove(worker)
                return True
            return False

    def forget(self) -> None:
        # After fork() the child has none of the parent's threads.
        self._lock = threading.Lock()
        self._idle = []


_WORKERS = _Workers()
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_WORKERS.forget)


def _too_late(remaining: float) -> DeadlineReached:
    error = DeadlineReached("the deadline passed before the call was sent")
    error.__cause__ = CallNotStarted(f"{-remaining:.3f} s past the deadline")
    return error


def call_within(function: Callable[[], T], deadline: float, clock: Callable[[], float]) -> T:
    """Runs ``function`` on a worker thread and waits for it until ``deadline`` at most.

    Raises:
        DeadlineReached: The deadline passed first (caused by :class:`CallAbandoned`), or had
            passed before the call started (caused by :class:`CallNotStarted`).
    """
    remaining = deadline - clock()
    if remaining <= 0:
        raise _too_late(remaining)
    outcome: dict[str, Any] = {}
    finished = threading.Event()
    context = contextvars.copy_context()

    def work() -> None:
        try:
            outcome["value"] = context.run(function)
        except BaseException as error:  # handed to the waiting caller, re-raised there
            outcome["error"] = error
        finally:
            finished.set()

    _WORKERS.run(work)
    if not finished.wait(remaining):
        raise DeadlineReached("the deadline passed while the call was in flight") from (
            CallAbandoned(f"no answer within {remaining:.2f} s (the deadline)")
        )
    if "error" in outcome:
        raise outcome["error"]
    value: T = outcome["value"]
    return value


async def call_within_async(
    function: Callable[[], Awaitable[T]], deadline: float, clock: Callable[[], float]
) -> T:
    """Awaits ``function()`` until ``deadline`` at most; cancels it when the deadline passes.

    Raises:
        DeadlineReached: As :func:`call_within`.
    """
    remaining = deadline - clock()
    if remaining <= 0:
        raise _too_late(remaining)
    scope = asyncio.timeout(remaining)
    try:
        async with scope:
            return await function()
    except TimeoutError as error:
        # Only our own expiry means "deadline": an SDK's read timeout is a TimeoutError too.
        if not scope.expired():
            raise
        abandoned = CallAbandoned(f"no answer within {remaining:.2f} s (the deadline)")
        abandoned.__cause__ = error
        raise DeadlineReached("the deadline passed while the call was in flight") from abandoned
