"""Running one job for ``generate`` or ``wait``: progress, the result, and every other ending.

A job that may still be running when the command ends (Ctrl-C, a timeout, a failed download)
has its handle saved next to the output and the ``veowrap wait`` command that picks it up
printed: one resume line, in command-line words.
"""

from __future__ import annotations

import contextlib
import logging
import shlex
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NoReturn

import click

from veowrap._errors import (
    ContentFilteredError,
    OperationFailedError,
    OperationNotFoundError,
    RequestValidationError,
    VeowrapError,
)
from veowrap._events import Event, Submitted
from veowrap._handle import OperationHandle
from veowrap._progress import combine_hooks
from veowrap.cli._describe import os_reason
from veowrap.cli._failing import emit_json, fail, handle_json, redact, sigint_ignored
from veowrap.cli._handles import save_handle
from veowrap.cli._options import Output, Target
from veowrap.cli._progress import Reporter, ReporterLogHandler

__all__ = ["HandleTracker", "keep_handle", "logging_to", "resume_command", "run_job"]

logger = logging.getLogger("veowrap")

OFFLINE_NOTE = (
    "note: the --offline emulator stopped with this command, so this job cannot be resumed; "
    "run `veowrap emulator` and use --emulator URL for resumable offline jobs."
)


class HandleTracker:
    """An event hook that remembers the operation once the service has accepted it.

    With ``output``, it also writes the handle file next to it at once: a paid job stays
    findable even if the command is then killed (``kill -9``, SIGTERM, a closed terminal),
    when nothing else could write it. A command that finishes removes it again.
    """

    def __init__(self, handle: OperationHandle | None = None, output: str | None = None) -> None:
        self.handle = handle
        self.handle_file: Path | None = None
        self._output = output

    def __call__(self, event: Event) -> None:
        if isinstance(event, Submitted):
            self.handle = event.handle
            if self._output is not None:
                with contextlib.suppress(OSError):  # keep_handle reports it if it matters
                    self.handle_file = save_handle(event.handle, self._output)

    def discard(self) -> None:
        """Removes the handle file written at submission (the job is done and saved)."""
        if self.handle_file is not None:
            with contextlib.suppress(OSError):
                self.handle_file.unlink()
            self.handle_file = None


@contextlib.contextmanager
def logging_to(reporter: Reporter, debug: bool) -> Iterator[None]:
    """Routes the ``veowrap`` logger to the reporter for the duration of a command."""
    handler = ReporterLogHandler(reporter, logging.DEBUG if debug else logging.WARNING)
    previous_level, previous_propagate = logger.level, logger.propagate
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG if debug else logging.WARNING)
    logger.propagate = False
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous_level)
        logger.propagate = previous_propagate


def resume_command(handle_file: Path | str, output: str, target: Target) -> str:
    """The exact shell command that resumes waiting for a saved handle (or its JSON)."""
    return shlex.join(["veowrap", "wait", str(handle_file), "-o", output, *target.flags()])


def keep_handle(
    handle: OperationHandle, output: str, handle_file: Path | None
) -> tuple[Path | None, tuple[str, ...]]:
    """Saves the handle of a job that may still be running, so that it can be picked up.

    Returns:
        The handle file (``None`` when it could not be written), and notes to print: when the
        file cannot be written (a full disk, a read-only directory), the handle itself is
        printed, since it is the only record of a paid job.
    """
    if handle_file is not None:
        return handle_file, ()
    try:
        with sigint_ignored():
            return save_handle(handle, output), ()
    except (OSError, KeyboardInterrupt) as error:
        reason = os_reason(error) if isinstance(error, OSError) else "interrupted"
        return None, (
            f"note: could not save the handle next to {output!r} ({reason}); "
            f"this is the job's handle, keep it to resume the job: {handle.to_json()}",
        )


# After any other error the job may still be running or its videos still be waiting on the
# server (a failed download, a full disk, even a bug in veowrap): save the handle and print the
# command that picks it up.
def _resumable(error: BaseException) -> bool:
    return not isinstance(
        error,
        ContentFilteredError
        | OperationFailedError
        | OperationNotFoundError
        | RequestValidationError,
    )


def _finish(out: Output, result: Any, output: str, reporter: Reporter, overwrite: bool) -> None:
    paths: list[Path] = result.save(output, overwrite=overwrite)
    reporter.close()
    if out.as_json:
        emit_json(
            {
                "paths": [str(path) for path in paths],
                "handle": handle_json(result.handle),
                "model": result.model,
                "elapsed": round(result.elapsed, 3),
                "polls": result.polls,
                "filtered_count": result.filtered_count,
                "filtered_reasons": list(result.filtered_reasons),
            }
        )
        return
    if result.filtered_count:
        click.echo(
            f"note: {result.filtered_count} video(s) withheld by safety filters (not billed).",
            err=True,
        )
    for path in paths:
        click.echo(str(path))


def run_job(
    out: Output,
    *,
    target: Target,
    output: str,
    reporter: Reporter,
    tracker: HandleTracker,
    job: Callable[[Callable[[Event], None]], Any],
    cancel: Callable[[OperationHandle], None] | None,
    handle_file: Path | None = None,
    overwrite: bool = False,
) -> None:
    """Runs ``generate``/``wait`` with the display, and turns every ending into an exit."""
    hook = combine_hooks(tracker, reporter)
    assert hook is not None
    try:
        with logging_to(reporter, out.debug):
            result = job(hook)
            _finish(out, result, output, reporter, overwrite)
        tracker.discard()
    except KeyboardInterrupt as error:
        handle_file = handle_file or tracker.handle_file
        with sigint_ignored():
            reporter.close(interrupted=True)
            _interrupted(out, error, target, output, tracker.handle, cancel, handle_file)
    except Exception as error:
        reporter.close(interrupted=True)
        handle = tracker.handle
        if isinstance(error, VeowrapError) and error.handle is not None:
            handle = error.handle
        if handle is not None and not _resumable(error):
            tracker.discard()  # a job that ended (failed, filtered): nothing left to resume
        if handle is not None and _resumable(error):
            if tracker.handle_file is not None and handle == tracker.handle:
                handle_file = handle_file or tracker.handle_file
            saved, notes = keep_handle(handle, output, handle_file)
            resume = None
            if target.offline:
                notes += (OFFLINE_NOTE,)
            else:
                resume = resume_command(saved or handle.to_json(), output, target)
            fail(out, error, handle=handle, handle_file=saved, resume=resume, notes=notes)
        fail(out, error, handle=handle)


def _interrupted(
    out: Output,
    error: KeyboardInterrupt,
    target: Target,
    output: str,
    handle: OperationHandle | None,
    cancel: Callable[[OperationHandle], None] | None,
    handle_file: Path | None,
) -> NoReturn:
    if handle is None:
        fail(
            out,
            error,
            notes=(
                "note: interrupted before the service confirmed the submission. If it was "
                "accepted, a job may be running; check before submitting again.",
            ),
        )
    notes: list[str] = []
    cancelled = False
    if cancel is not None:
        try:
            cancel(handle)
            cancelled = True
            notes.append(f"note: cancelled {handle.name}.")
        except VeowrapError as cancel_error:
            notes.append(
                f"note: could not cancel: {redact(cancel_error.message)} The job keeps running."
            )
    if not cancelled:
        notes.append(
            "note: stopped waiting; the job keeps running on the server (and is billed). "
            "Use --cancel-on-interrupt to cancel where the route allows it."
        )
    saved, kept = keep_handle(handle, output, handle_file)
    notes.extend(kept)
    if target.offline:
        notes.append(OFFLINE_NOTE)
    resume = None
    if not cancelled and not target.offline:
        resume = resume_command(saved or handle.to_json(), output, target)
    fail(out, error, handle=handle, handle_file=saved, resume=resume, notes=tuple(notes))
