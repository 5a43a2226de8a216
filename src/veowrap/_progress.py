"""Progress bars driven by a generator's events (``generate(..., progress=True)``).

:class:`ProgressHook` is an ``on_event`` hook that draws a ``tqdm.auto`` bar: a widget in
Jupyter, a one-line bar in a terminal. The bar measures elapsed time against the model's typical
latency from the catalog, and says how many polls and retries the job has taken. A background
thread redraws it every half second, so the clock moves between polls; the thread stops when the
job completes or fails, or when the hook is closed.

tqdm is an optional dependency (``pip install 'veowrap[cli]'``). This module imports it only
when a bar is made, so ``import veowrap`` never needs it.

Example:
    >>> with ProgressHook() as bar:                                       # doctest: +SKIP
    ...     result = gen.generate("a paper boat", on_event=combine_hooks(bar, print))
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from types import TracebackType
from typing import IO, Any

from veowrap._errors import ConfigurationError
from veowrap._events import Completed, Event, Failed, Polled, Retrying, Submitted
from veowrap._handle import OperationHandle

__all__ = [
    "ProgressHook",
    "ProgressState",
    "attach_progress",
    "combine_hooks",
    "format_range",
    "format_seconds",
]

EventHook = Callable[[Event], None]
Expected = tuple[float, float, float]

INSTALL_HINT = "pip install 'veowrap[cli]'"


def format_seconds(seconds: float) -> str:
    """A short duration: ``42s``, ``1m05s``, ``2h03m``.

    Example:
        >>> format_seconds(65.4), format_seconds(7), format_seconds(7380)
        ('1m05s', '7s', '2h03m')
    """
    whole = max(0, int(seconds))
    if whole < 60:
        return f"{whole}s"
    if whole < 3600:
        return f"{whole // 60}m{whole % 60:02d}s"
    return f"{whole // 3600}h{whole % 3600 // 60:02d}m"


def format_range(expected: Expected) -> str:
    """The typical-latency phrase: ``typically 40s–2m00s``, or ``about 3s`` for a fixed time."""
    low, _, high = expected
    if round(low) == round(high):
        return f"about {format_seconds(high)}"
    return f"typically {format_seconds(low)}–{format_seconds(high)}"


def _expected_for(handle: OperationHandle) -> Expected | None:
    if handle.model is None:
        return None
    try:
        from veowrap._catalog import latency

        return latency(handle.model, handle.platform)
    except Exception:  # a progress bar must never break a generation
        return None


class ProgressState:
    """What the events have said so far, and the one-line summary a progress display shows.

    It holds no display and does no I/O, so terminals, notebooks and tests can share it.

    Args:
        handle: The operation, when it is already known (``wait``).
        expected: Typical ``(min, median, max)`` seconds; by default read from the catalog once
            the model is known.
        clock: Monotonic seconds.
    """

    def __init__(
        self,
        handle: OperationHandle | None = None,
        *,
        expected: Expected | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._clock = clock
        self._fixed_expected = expected
        self.started = clock()
        self.handle: OperationHandle | None = None
        self.expected: Expected | None = expected
        self.phase = "submitting"
        self.polls = 0
        self.retries = 0
        self.last_retry: Retrying | None = None
        self.videos = 0
        self.filtered = 0
        self.error: str | None = None
        self.finished_at: float | None = None
        # The latest (p50, p90) time-left estimate and when it arrived (Polled events).
        self.eta: tuple[float, float] | None = None
        self._eta_at = 0.0
        if handle is not None:
            self._track(handle)
            self.phase = "waiting"

    @property
    def model(self) -> str | None:
        """The model, once the operation is known."""
        return self.handle.model if self.handle else None

    @property
    def finished(self) -> bool:
        """Whether the job completed or failed."""
        return self.finished_at is not None

    def _track(self, handle: OperationHandle) -> None:
        self.handle = handle
        if self._fixed_expected is None:
            self.expected = _expected_for(handle)

    def update(self, event: Event) -> None:
        """Takes one event into account."""
        if isinstance(event, Submitted):
            self._track(event.handle)
            self.phase = "running"
        elif isinstance(event, Polled):
            if self.handle is None:
                self._track(event.handle)
            self.polls = event.poll_count
            self.phase = "running"
            if event.eta_p50 is not None and event.eta_p90 is not None:
                self.eta, self._eta_at = (event.eta_p50, event.eta_p90), self._clock()
            elif not event.done:
                self.eta = None  # past what the distribution knows: no estimate
        elif isinstance(event, Retrying):
            self.retries += 1
            self.last_retry = event
        elif isinstance(event, Completed):
            self.phase = "done"
            self.videos, self.filtered = event.videos, event.filtered
            self.finished_at = self._clock()
        elif isinstance(event, Failed):
            self.phase = "failed"
            self.error = event.error
            self.finished_at = self._clock()

    def stop(self, phase: str) -> None:
        """Freezes the clock with a final ``phase`` (e.g. ``interrupted``)."""
        self.phase = phase
        self.finished_at = self._clock()

    def elapsed(self) -> float:
        """Seconds since the display started (frozen once the job has finished)."""
        end = self.finished_at if self.finished_at is not None else self._clock()
        return max(0.0, end - self.started)

    def eta_text(self) -> str | None:
        """``ETA 35s, 90 % within 1m40s``: the last estimate, counted down since it came."""
        if self.eta is None or self.finished:
            return None
        gone = max(0.0, self._clock() - self._eta_at)
        p50, p90 = (max(0.0, value - gone) for value in self.eta)
        return f"ETA {format_seconds(round(p50))}, 90 % within {format_seconds(round(p90))}"

    def summary(self) -> str:
        """One line, e.g. ``veo-3.1-generate-001 running 42s (typically 40s–2m00s) · 5 polls``.

        Once a poll brought an estimate: ``… running 42s (ETA 35s, 90 % within 1m40s) · …``.
        """
        parts = [self.model or "veowrap", self.phase, format_seconds(self.elapsed())]
        if (eta := self.eta_text()) is not None:
            parts.append(f"({eta})")
        elif self.expected is not None and not self.finished:
            parts.append(f"({format_range(self.expected)})")
        text = " ".join(parts)
        details = [f"{self.polls} poll" + ("" if self.polls == 1 else "s")]
        if self.retries:
            details.append(f"{self.retries} retr" + ("y" if self.retries == 1 else "ies"))
        if self.phase == "done":
            details.append(f"{self.videos} video" + ("" if self.videos == 1 else "s"))
            if self.filtered:
                details.append(f"{self.filtered} filtered")
        return " · ".join([text, *details])


def _load_tqdm() -> Any:
    try:
        from tqdm.auto import tqdm  # type: ignore[import-untyped,import-not-found,unused-ignore]
    except ImportError:
        raise ConfigurationError(
            "progress=True needs the tqdm package, which is not installed.",
            hint=f"Install it with: {INSTALL_HINT}",
        ) from None
    return tqdm


def _width(file: IO[str] | None) -> dict[str, Any]:
    # Follow the terminal's width, except where it reports none (a fresh pseudo-terminal, some
    # CI consoles): there tqdm would cut the line to nothing.
    try:
        columns = os.get_terminal_size((file or sys.stderr).fileno()).columns
    except (AttributeError, OSError, ValueError):
        return {"dynamic_ncols": True}
    return {"dynamic_ncols": True} if columns > 0 else {"ncols": 100}


class ProgressHook:
    """An ``on_event`` hook that shows a live progress bar (``tqdm.auto``).

    Use it as a context manager (or call :meth:`close`) so the bar's redraw thread stops even
    when the job is interrupted. Events after closing are ignored.

    Args:
        handle: The operation being waited for, when it is already known.
        expected: Typical ``(min, median, max)`` seconds (default: from the catalog).
        file: Where a text bar is written (default: ``sys.stderr``).
        refresh_interval: Seconds between redraws; ``0`` redraws only on events.
        tqdm_class: The tqdm class to draw with (default: ``tqdm.auto.tqdm``).
        leave: Keep the finished bar on screen.

    Raises:
        ConfigurationError: tqdm is not installed (``pip install 'veowrap[cli]'``).
    """

    def __init__(
        self,
        handle: OperationHandle | None = None,
        *,
        expected: Expected | None = None,
        file: IO[str] | None = None,
        refresh_interval: float = 0.5,
        tqdm_class: Any = None,
        leave: bool = True,
    ) -> None:
        factory = tqdm_class if tqdm_class is not None else _load_tqdm()
        self.state = ProgressState(handle, expected=expected)
        self._lock = threading.RLock()
        self._closed = False
        self._total: float | None = None
        self._bar: Any = factory(
            total=None,
            file=file,
            leave=leave,
            bar_format="{desc}",
            desc=self.state.summary(),
            **_width(file),
        )
        self._draw()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        if refresh_interval > 0:
            self._thread = threading.Thread(
                target=self._tick, args=(refresh_interval,), name="veowrap-progress", daemon=True
            )
            self._thread.start()

    def __call__(self, event: Event) -> None:
        """Takes an event and redraws the bar."""
        with self._lock:
            if self._closed:
                return
            self.state.update(event)
            self._draw()
        if self.state.finished:
            self._stop.set()

    def write(self, text: str) -> None:
        """Prints a line above the bar without garbling it."""
        with self._lock:
            self._bar.write(text, file=self._bar.fp)

    def close(self, interrupted: bool = False) -> None:
        """Stops redrawing and closes the bar (marked ``interrupted`` if the job did not end)."""
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=2)
        with self._lock:
            if self._closed:
                return
            if interrupted and not self.state.finished:
                self.state.stop("interrupted")
            self._draw()
            self._closed = True
            self._bar.close()

    def __enter__(self) -> ProgressHook:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close(interrupted=error is not None)

    def _tick(self, interval: float) -> None:
        while not self._stop.wait(interval):
            with self._lock:
                if self._closed:
                    return
                self._draw()

    def _draw(self) -> None:
        state = self.state
        bar = self._bar
        total = state.expected[2] if state.expected is not None else None
        if total != self._total:
            self._total = total
            bar.bar_format = "{desc}" if total is None else "{desc} |{bar:16}|"
            bar.reset(total=total)
        if total is not None:
            elapsed = state.elapsed()
            # Past the typical maximum the bar stays just short of full until the job ends.
            bar.n = total if state.phase == "done" else min(elapsed, total * 0.99)
        bar.set_description_str(state.summary(), refresh=False)
        bar.refresh()


def combine_hooks(*hooks: EventHook | None) -> EventHook | None:
    """One hook that calls each given hook in turn (``None`` entries are skipped).

    Returns ``None`` when no hook is given, and the hook itself when only one is.

    Example:
        >>> seen = []
        >>> hook = combine_hooks(seen.append, None, lambda event: seen.append("again"))
        >>> hook("event")
        >>> seen
        ['event', 'again']
    """
    present = [hook for hook in hooks if hook is not None]
    if not present:
        return None
    if len(present) == 1:
        return present[0]

    def combined(event: Event) -> None:
        for hook in present:
            hook(event)

    return combined


@contextlib.contextmanager
def attach_progress(on_event: EventHook | None, progress: bool) -> Iterator[EventHook | None]:
    """The hook ``generate(..., progress=True)`` runs with: a bar plus the caller's hook.

    The bar is closed when the block ends, however it ends.

    Raises:
        ConfigurationError: ``progress`` is true and tqdm is not installed.
    """
    if not progress:
        yield on_event
        return
    with ProgressHook() as bar:
        yield combine_hooks(bar, on_event)
