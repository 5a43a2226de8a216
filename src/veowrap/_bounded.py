"""Calls that cannot outlive a deadline, whatever the server does.

A socket timeout bounds one read, not a call: a server that trickles its headers a byte at a
time, or stalls between reads, holds an HTTP call open for ever. So a call with a deadline runs
where the caller can stop waiting for it: on a worker thread (sync), or under
``asyncio.timeout`` (async). When the deadline passes first, the caller gets
:class:`~veowrap._core.retrying.DeadlineReached` caused by a ``TimeoutError``, and the plan
decides what that means (a poll times out with its handle; a create in flight is uncertain).

The abandoned sync worker finishes in the background when the server lets go; its result is
dropped. That is the price of a hard deadline on a blocking client that has no total timeout.
"""

from __future__ import annotations

import asyncio
import contextvars
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

    threading.Thread(target=work, name="veowrap-call", daemon=True).start()
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
