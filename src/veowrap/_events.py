"""Typed events a generator reports while it works (the hook behind progress bars)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, TypeAlias

if TYPE_CHECKING:
    from veowrap._handle import OperationHandle

__all__ = [
    "Completed",
    "Event",
    "Failed",
    "Polled",
    "Retrying",
    "Submitted",
]


@dataclass(frozen=True)
class Submitted:
    """The service accepted the request; ``handle`` resumes it from now on."""

    handle: OperationHandle
    kind: Literal["submitted"] = "submitted"


@dataclass(frozen=True)
class Polled:
    """One status read; ``done`` tells whether the operation has finished.

    ``elapsed`` counts from the start of this wait; ``age`` from the job's submission, when it
    is known. ``eta_p50`` and ``eta_p90`` are the median and 90th percentile of the time left,
    given that the job has not finished after ``age`` seconds (from the model's latency
    distribution: the catalog's, refined by history); ``None`` once done, or when unknown.
    """

    handle: OperationHandle
    poll_count: int
    elapsed: float
    done: bool
    next_poll_in: float | None
    age: float | None = None
    eta_p50: float | None = None
    eta_p90: float | None = None
    kind: Literal["polled"] = "polled"


@dataclass(frozen=True)
class Retrying:
    """A call failed with a transient fault and will be retried after ``delay`` seconds."""

    phase: str
    attempt: int
    delay: float
    cause: str
    handle: OperationHandle | None = None
    kind: Literal["retrying"] = "retrying"


@dataclass(frozen=True)
class Completed:
    """The operation finished with ``videos`` videos (``filtered`` more were withheld)."""

    handle: OperationHandle
    videos: int
    filtered: int
    elapsed: float
    kind: Literal["completed"] = "completed"


@dataclass(frozen=True)
class Failed:
    """The generation ended with ``error``."""

    error: str
    handle: OperationHandle | None
    kind: Literal["failed"] = "failed"


Event: TypeAlias = Submitted | Polled | Retrying | Completed | Failed
