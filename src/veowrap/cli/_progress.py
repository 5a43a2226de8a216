"""What ``veowrap`` shows on stderr while a job runs.

On a terminal, a live line (a :class:`veowrap._progress.ProgressHook` drawn with tqdm) that
redraws twice a second: model, state, elapsed time against the catalog's typical latency, polls
and retries. Elsewhere (a pipe, a CI log), one plain line per notable event, with no carriage
returns. ``--quiet`` shows nothing. ``batch`` shows a bar counting finished items on a terminal,
and nothing elsewhere (each item's path or failure is already a line of its own).
"""

from __future__ import annotations

import logging
import sys
import time
from types import TracebackType
from typing import IO, Any, Self

from veowrap._events import Completed, Event, Polled, Retrying, Submitted
from veowrap._handle import RESUME_NOTE, OperationHandle
from veowrap._progress import Expected, ProgressHook, ProgressState, format_range, format_seconds

__all__ = [
    "BatchProgress",
    "LiveReporter",
    "PlainReporter",
    "Reporter",
    "ReporterLogHandler",
    "make_reporter",
]

_PLAIN_POLL_EVERY = 15.0  # seconds between "still running" lines in plain mode


class Reporter:
    """Shows a job's progress; this base class shows nothing (``--quiet``)."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream

    def __call__(self, event: Event) -> None:
        """Takes one generator event."""

    def message(self, text: str) -> None:
        """Prints a line on stderr without garbling the progress display."""
        print(text, file=self.stream, flush=True)

    def close(self, interrupted: bool = False) -> None:
        """Ends the display."""

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close(interrupted=error is not None)


class PlainReporter(Reporter):
    """One line per event that matters, for logs and pipes."""

    def __init__(
        self,
        stream: IO[str],
        handle: OperationHandle | None = None,
        expected: Expected | None = None,
    ) -> None:
        super().__init__(stream)
        self.state = ProgressState(handle, expected=expected)
        self._last_line = time.monotonic()
        if handle is not None:
            self.message(f"waiting for {handle.name}{self._typically()}")

    def _typically(self) -> str:
        state = self.state
        parts = [state.model] if state.model else []
        if state.expected is not None:
            parts.append(format_range(state.expected))
        return f" ({', '.join(parts)})" if parts else ""

    def __call__(self, event: Event) -> None:
        state = self.state
        state.update(event)
        now = time.monotonic()
        if isinstance(event, Submitted):
            self.message(f"submitted {event.handle.name}{self._typically()}")
        elif isinstance(event, Retrying):
            self.message(
                f"retrying {event.phase} after {event.cause} "
                f"(attempt {event.attempt}, in {event.delay:.1f}s)"
            )
        elif isinstance(event, Polled) and not event.done:
            if now - self._last_line >= _PLAIN_POLL_EVERY:
                eta = state.eta_text()
                self.message(
                    f"still running after {format_seconds(state.elapsed())} ({state.polls} polls"
                    + (f"; {eta})" if eta else ")")
                )
            else:
                return
        elif isinstance(event, Completed):
            filtered = f", {event.filtered} filtered" if event.filtered else ""
            self.message(
                f"completed in {format_seconds(state.elapsed())} after {state.polls} polls: "
                f"{event.videos} video{'' if event.videos == 1 else 's'}{filtered}"
            )
        else:
            return
        self._last_line = now


class LiveReporter(Reporter):
    """A live progress line for terminals."""

    def __init__(
        self,
        stream: IO[str],
        handle: OperationHandle | None = None,
        expected: Expected | None = None,
    ) -> None:
        super().__init__(stream)
        from tqdm.std import tqdm  # type: ignore[import-untyped,import-not-found,unused-ignore]

        self.hook = ProgressHook(handle, expected=expected, file=stream, tqdm_class=tqdm)

    def __call__(self, event: Event) -> None:
        self.hook(event)

    def message(self, text: str) -> None:
        self.hook.write(text)

    def close(self, interrupted: bool = False) -> None:
        self.hook.close(interrupted=interrupted)


def is_terminal(stream: IO[str]) -> bool:
    """Whether ``stream`` is a terminal, where carriage returns redraw a line (not a log)."""
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(callable(isatty) and isatty())
    except (OSError, ValueError):  # a closed or detached stream
        return False


def make_reporter(
    stream: IO[str],
    *,
    quiet: bool = False,
    handle: OperationHandle | None = None,
    expected: Expected | None = None,
) -> Reporter:
    """The display that suits ``stream``: live on a terminal, plain lines elsewhere."""
    if quiet:
        return Reporter(stream)
    if is_terminal(stream):
        try:
            return LiveReporter(stream, handle, expected)
        except ImportError:
            pass
    return PlainReporter(stream, handle, expected)


class ReporterLogHandler(logging.Handler):
    """Shows the ``veowrap`` logger's warnings through the reporter, above the live line."""

    def __init__(self, reporter: Reporter, level: int = logging.WARNING) -> None:
        super().__init__(level)
        self.reporter = reporter

    def emit(self, record: logging.LogRecord) -> None:
        # The library's own "resume it with generator.wait(...)" note is Python advice; the
        # command prints its one resume line (`veowrap wait ...`, or "rerun") instead.
        if getattr(record, RESUME_NOTE, False):
            return
        try:
            self.reporter.message(f"{record.levelname.lower()}: {record.getMessage()}")
        except Exception:  # a broken display must not end the job
            self.handleError(record)


class BatchProgress(Reporter):
    """``batch``'s display: a bar of finished items on a terminal; elsewhere plain lines only.

    Lines printed while the bar is shown (an item's path on stdout, a failure or a warning on
    stderr) go above it, so the bar is never garbled.
    """

    def __init__(self, stream: IO[str], total: int, *, hidden: bool = False) -> None:
        super().__init__(stream)
        self._total = total
        self._show = not hidden and is_terminal(stream)
        self._bar: Any = None

    def start(self) -> None:
        """Shows the bar (once the batch has passed its checks and started)."""
        if not self._show or self._bar is not None:
            return
        try:
            from tqdm.std import tqdm  # type: ignore[import-untyped,import-not-found,unused-ignore]
        except ImportError:
            return
        self._bar = tqdm(
            total=self._total, unit="video", desc="batch", leave=False, file=self.stream
        )

    def advance(self) -> None:
        """Counts one finished item."""
        if self._bar is not None:
            self._bar.update(1)

    def echo(self, text: str) -> None:
        """Prints a result line on stdout."""
        self._write(text, sys.stdout)

    def message(self, text: str) -> None:
        self._write(text, self.stream)

    def _write(self, text: str, stream: IO[str]) -> None:
        import click

        if self._bar is None:
            click.echo(text, file=stream)
            return
        with self._bar.external_write_mode(file=stream):
            click.echo(text, file=stream)

    def close(self, interrupted: bool = False) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
