"""The ``veowrap`` commands (click).

Results go to stdout (paths, one per line, or JSON with ``--json``); progress, warnings and
errors go to stderr. Errors are one line and a hint, never a traceback unless ``--debug``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import os
import shlex
import signal
import sys
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, NoReturn, TypeVar

import click

from veowrap._errors import (
    ContentFilteredError,
    DownloadError,
    OperationFailedError,
    OperationNotFoundError,
    RequestValidationError,
    VeowrapError,
)
from veowrap._events import Event, Submitted
from veowrap._handle import OperationHandle
from veowrap._progress import Expected, combine_hooks
from veowrap._version import __version__
from veowrap.cli._describe import describe, os_reason
from veowrap.cli._destinations import check_output
from veowrap.cli._exit import EXIT_CODES_HELP, ExitCode, exit_code_for
from veowrap.cli._handles import load_handle, save_handle
from veowrap.cli._progress import Reporter, ReporterLogHandler, make_reporter

__all__ = ["cli"]

F = TypeVar("F", bound=Callable[..., Any])

CONTEXT_SETTINGS: dict[str, Any] = {"help_option_names": ["-h", "--help"], "max_content_width": 100}
DEFAULT_EMULATOR_KEY = "test-key"
OFFLINE_POLL_INTERVAL = 0.5
_SECRET_VARIABLES = ("GEMINI_API_KEY", "GOOGLE_API_KEY")
_UNSAFE = "".join(chr(code) for code in range(32) if code not in (9, 10))

logger = logging.getLogger("veowrap")


# -- shared options -------------------------------------------------------------------------


@dataclass
class Target:
    """Where the service is: the environment, Vertex AI settings, or an emulator URL."""

    vertex: bool = False
    project: str | None = None
    location: str | None = None
    emulator: str | None = None

    def flags(self) -> list[str]:
        """The command-line flags that select this target again (for resume commands)."""
        flags: list[str] = []
        if self.emulator:
            flags += ["--emulator", self.emulator]
        if self.vertex:
            flags.append("--vertex")
        if self.project:
            flags += ["--project", self.project]
        if self.location:
            flags += ["--location", self.location]
        return flags


@dataclass
class Output:
    """How results and errors are shown."""

    as_json: bool = False
    debug: bool = False
    quiet: bool = False

    @property
    def stderr(self) -> IO[str]:
        """Where progress goes."""
        return sys.stderr


def target_options(function: F) -> F:
    """Adds ``--vertex``, ``--project``, ``--location`` and ``--emulator``."""
    options = [
        click.option(
            "--vertex",
            is_flag=True,
            help="Use Vertex AI (default: GOOGLE_GENAI_USE_VERTEXAI, as genai.Client() does).",
        ),
        click.option("--project", metavar="P", help="Google Cloud project (Vertex AI)."),
        click.option("--location", metavar="L", help="Google Cloud region (Vertex AI)."),
        click.option(
            "--emulator",
            metavar="URL",
            envvar="VEOWRAP_EMULATOR_URL",
            help="Talk to a running `veowrap emulator` (Vertex AI express mode) at URL.",
        ),
    ]
    for option in reversed(options):
        function = option(function)
    return function


def output_options(function: F) -> F:
    """Adds ``--json``, ``-q/--quiet`` and ``--debug``."""
    options = [
        click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON."),
        click.option("-q", "--quiet", is_flag=True, help="Show no progress on stderr."),
        click.option(
            "--debug", is_flag=True, help="Show tracebacks and veowrap's debug log (no secrets)."
        ),
    ]
    for option in reversed(options):
        function = option(function)
    return function


# -- helpers --------------------------------------------------------------------------------


def redact(text: str) -> str:
    """Removes the values of API-key variables and control characters from ``text``.

    veowrap's own messages never contain credentials; this guards what third-party exceptions
    might say.
    """
    for name in _SECRET_VARIABLES:
        value = os.environ.get(name)
        if value and len(value) >= 6:
            text = text.replace(value, "***")
    return text.translate({ord(char): None for char in _UNSAFE})


def _emit_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, default=str))


def _handle_json(handle: OperationHandle | None) -> dict[str, Any] | None:
    return None if handle is None else handle.model_dump(mode="json", exclude_none=True)


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


def check_numbers(
    *,
    timeout: float | None = None,
    poll_interval: float | None = None,
    max_cost: float | None = None,
    offline_latency: float | None = None,
) -> None:
    """Refuses an absurd number option (0, negative, NaN, infinite) before anything else runs.

    The library refuses the same values with the same rules (``veowrap._core.validation``)
    before any network call; checking first here also puts them before the configuration and
    the output path, so a typo is reported as itself (exit 3).

    Raises:
        RequestValidationError: The first option at fault.
    """
    from veowrap._core import validation

    validation.seconds("timeout", timeout, none="the default (900 s)")
    validation.seconds("poll_interval", poll_interval, none="the default schedule", example=10)
    validation.dollars("budget", max_cost)
    if offline_latency is not None:  # an infinite one would never finish the job
        validation.seconds("offline_latency", offline_latency, optional=False, zero=True, example=3)


def build_generator(
    target: Target,
    *,
    client: Any = None,
    poll_interval: float | None = None,
) -> Any:
    """A ``VideoGenerator`` for the target (environment variables fill in the rest).

    Raises:
        RequestValidationError: ``--poll-interval`` is not a number of seconds > 0.
    """
    from veowrap._core.schedule import PollSchedule
    from veowrap._sync import VideoGenerator

    settings: dict[str, Any] = {}
    check_numbers(poll_interval=poll_interval)
    if poll_interval is not None:
        settings["poll_schedule"] = PollSchedule.fixed(poll_interval)
    if client is None and target.emulator:
        from google import genai
        from google.genai import types

        client = genai.Client(
            vertexai=True,
            api_key=DEFAULT_EMULATOR_KEY,
            http_options=types.HttpOptions(base_url=target.emulator.rstrip("/")),
        )
    if client is not None:
        return VideoGenerator(client=client, **settings)
    # Only an explicit --vertex: passing vertexai=True makes google-genai ignore
    # GOOGLE_GEMINI_BASE_URL, which express-mode set-ups (and the emulator) rely on.
    return VideoGenerator(
        vertexai=True if target.vertex else None,
        project=target.project,
        location=target.location,
        **settings,
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


@contextlib.contextmanager
def sigint_ignored() -> Iterator[None]:
    """Ignores further Ctrl-C while the handle is being saved (main thread only)."""
    try:
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    except ValueError:  # not the main thread
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def fail(
    out: Output,
    error: BaseException,
    *,
    handle: OperationHandle | None = None,
    handle_file: Path | None = None,
    resume: str | None = None,
    notes: tuple[str, ...] = (),
) -> NoReturn:
    """Reports ``error`` (one line and a hint, or JSON) and exits with its exit code."""
    code = exit_code_for(error)
    message, hint = describe(error)
    if isinstance(error, VeowrapError):
        handle = handle or error.handle
    if resume and hint and any(api in hint for api in _PYTHON_API_WORDS):
        # The library's hints speak Python; on the command line the resume command is the way.
        if isinstance(error, DownloadError):
            hint = (
                "Nothing partial was left there. The videos wait on the server (about two "
                "days): fix the destination, then run the command below (or change its -o)."
            )
        else:
            hint = "The job may still be running; the command below picks it up."
    message, hint = redact(message), redact(hint) if hint else None
    if out.debug and not isinstance(error, KeyboardInterrupt):
        lines = traceback.format_exception(error)
        click.echo(redact("".join(lines)).rstrip(), err=True)
    if out.as_json:
        _emit_json(
            {
                "error": {
                    "type": type(error).__name__,
                    "message": message,
                    "hint": hint,
                    "exit_code": code,
                    "handle": _handle_json(handle),
                    "handle_file": str(handle_file) if handle_file else None,
                    "resume": resume,
                    "notes": list(notes),
                }
            }
        )
    else:
        click.echo(f"error: {message}", err=True)
        if hint:
            click.echo(f"hint: {hint}", err=True)
        for note in notes:
            click.echo(note, err=True)
        if handle_file is not None:
            click.echo(f"handle saved to {handle_file}", err=True)
        if resume:
            click.echo(f"resume with: {resume}", err=True)
    raise SystemExit(code)


_PYTHON_API_WORDS = ("error.handle", "save()", "generator.", "wait(handle")


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


def _finish(
    out: Output,
    result: Any,
    output: str,
    reporter: Reporter,
    overwrite: bool,
) -> list[Path]:
    # GenerationResult.save(overwrite=) comes with the downloads branch; without the flag the
    # default (no clobbering) applies, and check_output refused an existing file before the job.
    paths: list[Path] = result.save(output, overwrite=True) if overwrite else result.save(output)
    reporter.close()
    if out.as_json:
        _emit_json(
            {
                "paths": [str(path) for path in paths],
                "handle": _handle_json(result.handle),
                "model": result.model,
                "elapsed": round(result.elapsed, 3),
                "polls": result.polls,
                "filtered_count": result.filtered_count,
                "filtered_reasons": list(result.filtered_reasons),
            }
        )
    else:
        if result.filtered_count:
            click.echo(
                f"note: {result.filtered_count} video(s) withheld by safety filters (not billed).",
                err=True,
            )
        for path in paths:
            click.echo(str(path))
    return paths


def _run_job(
    out: Output,
    *,
    target: Target,
    output: str,
    reporter: Reporter,
    tracker: HandleTracker,
    job: Callable[[Callable[[Event], None]], Any],
    cancel: Callable[[OperationHandle], None] | None,
    handle_file: Path | None = None,
    offline: bool = False,
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
            _interrupted(out, error, target, output, tracker.handle, cancel, handle_file, offline)
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
            if offline:
                notes += (_OFFLINE_NOTE,)
            resume = None if offline else resume_command(saved or handle.to_json(), output, target)
            fail(out, error, handle=handle, handle_file=saved, resume=resume, notes=notes)
        fail(out, error, handle=handle)


_OFFLINE_NOTE = (
    "note: the --offline emulator stopped with this command, so this job cannot be resumed; "
    "run `veowrap emulator` and use --emulator URL for resumable offline jobs."
)


def _interrupted(
    out: Output,
    error: KeyboardInterrupt,
    target: Target,
    output: str,
    handle: OperationHandle | None,
    cancel: Callable[[OperationHandle], None] | None,
    handle_file: Path | None,
    offline: bool,
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
    if offline:
        notes.append(_OFFLINE_NOTE)
    resume = None
    if not cancelled and not offline:
        resume = resume_command(saved or handle.to_json(), output, target)
    fail(out, error, handle=handle, handle_file=saved, resume=resume, notes=tuple(notes))


def _guard(out: Output, body: Callable[[], None]) -> None:
    """Runs a command body; errors outside a job become one line and an exit code."""
    try:
        body()
    except (SystemExit, click.exceptions.Exit, click.ClickException):
        raise
    except KeyboardInterrupt as error:
        fail(out, error)
    except Exception as error:
        fail(out, error)


# -- the commands ---------------------------------------------------------------------------


@click.group("veowrap", context_settings=CONTEXT_SETTINGS, epilog=EXIT_CODES_HELP)
@click.version_option(__version__, "-V", "--version", prog_name="veowrap")
def cli() -> None:
    """Generate videos with Google's Veo and Gemini video models.

    \b
    Try it with no account:   veowrap generate --offline "a paper boat on a rainy street"
    Real run (Vertex AI):     veowrap generate --vertex --project P --location us-central1 \\
                                  -m veo-3.1-generate-001 -o boat.mp4 "a paper boat"

    Credentials come from the same environment variables as genai.Client()
    (GEMINI_API_KEY/GOOGLE_API_KEY, GOOGLE_GENAI_USE_VERTEXAI, GOOGLE_CLOUD_PROJECT,
    GOOGLE_CLOUD_LOCATION, GOOGLE_GEMINI_BASE_URL). `veowrap doctor` shows what is set.
    """


@cli.command(epilog=EXIT_CODES_HELP)
@click.argument("prompt")
@click.option("-m", "--model", help="Model id (default: the platform's default model).")
@click.option(
    "-o",
    "--output",
    default=".",
    show_default=True,
    metavar="PATH",
    help="File or directory to save to (several videos: name-1.mp4, name-2.mp4…).",
)
@click.option(
    "--overwrite",
    is_flag=True,
    help="Replace existing video files at -o (default: refuse before submitting; exit 7).",
)
@click.option("--image", metavar="PATH", help="First frame (path or gs:// URI).")
@click.option("--last-frame", metavar="PATH", help="Last frame (path or gs:// URI).")
@click.option("--duration", type=int, metavar="S", help="Video length in seconds.")
@click.option("--aspect", metavar="RATIO", help="Aspect ratio: 16:9 or 9:16.")
@click.option("--resolution", metavar="RES", help="720p, 1080p, 4k…")
@click.option("-n", "--count", type=int, metavar="N", help="Number of videos (Vertex AI: 1-4).")
@click.option("--negative-prompt", metavar="TEXT", help="What to keep out of the video.")
@click.option("--seed", type=int, help="Seed, for repeatable results (Vertex AI).")
@click.option(
    "--max-cost", type=float, metavar="USD", help="Refuse to submit if the estimate is higher."
)
@click.option(
    "--timeout",
    type=float,
    metavar="S",
    help="Seconds to wait in all (default 900). On expiry the handle is saved; exit 6.",
)
@click.option(
    "--poll-interval", type=float, metavar="S", help="Poll every S seconds (default: tuned)."
)
@click.option(
    "--cancel-on-interrupt",
    is_flag=True,
    help="On Ctrl-C, cancel the job where the route allows it (default: keep it running).",
)
@click.option(
    "--cancel-on-timeout", is_flag=True, help="Cancel the job when --timeout passes, if possible."
)
@click.option(
    "--offline",
    is_flag=True,
    help="Run against a built-in emulator: no account, nothing billed, a real MP4.",
)
@click.option(
    "--offline-latency",
    type=float,
    default=3.0,
    show_default=True,
    metavar="S",
    help="Seconds the --offline emulator takes per job.",
)
@target_options
@output_options
def generate(
    prompt: str,
    model: str | None,
    output: str,
    overwrite: bool,
    image: str | None,
    last_frame: str | None,
    duration: int | None,
    aspect: str | None,
    resolution: str | None,
    count: int | None,
    negative_prompt: str | None,
    seed: int | None,
    max_cost: float | None,
    timeout: float | None,
    poll_interval: float | None,
    cancel_on_interrupt: bool,
    cancel_on_timeout: bool,
    offline: bool,
    offline_latency: float,
    vertex: bool,
    project: str | None,
    location: str | None,
    emulator: str | None,
    as_json: bool,
    quiet: bool,
    debug: bool,
) -> None:
    """Generate video(s) from PROMPT, save them, and print their paths.

    A live progress line on stderr shows the elapsed time against the model's typical
    latency. Ctrl-C stops waiting (the job keeps running unless --cancel-on-interrupt), saves
    the handle to <output>.handle.json and prints the `veowrap wait` command that resumes it.
    """
    out = Output(as_json=as_json, debug=debug, quiet=quiet)
    target = Target(vertex=vertex, project=project, location=location, emulator=emulator)
    fields: dict[str, Any] = {
        name: value
        for name, value in {
            "model": model,
            "image": image,
            "last_frame": last_frame,
            "duration_seconds": duration,
            "aspect_ratio": aspect,
            "resolution": resolution,
            "number_of_videos": count,
            "negative_prompt": negative_prompt,
            "seed": seed,
        }.items()
        if value is not None
    }

    def body() -> None:
        check_numbers(
            timeout=timeout,
            poll_interval=poll_interval,
            max_cost=max_cost,
            offline_latency=offline_latency if offline else None,
        )
        check_output(output, overwrite=overwrite, videos=count or 1)
        with contextlib.ExitStack() as stack:
            client = None
            expected: Expected | None = None
            if offline:
                from veowrap.testing import VeoEmulator

                emulator_ = stack.enter_context(VeoEmulator(latency=offline_latency))
                client = emulator_.client(vertex=True)
                expected = (offline_latency, offline_latency, offline_latency)
            interval = poll_interval
            if interval is None and offline:
                interval = OFFLINE_POLL_INTERVAL
            generator = build_generator(target, client=client, poll_interval=interval)
            stack.callback(generator.close)
            if offline and not quiet:
                click.echo(
                    "offline: a local emulator answers (no account, nothing billed, "
                    f"{offline_latency:g}s per job)",
                    err=True,
                )
            reporter = make_reporter(out.stderr, quiet=quiet, expected=expected)
            stack.callback(reporter.close)
            # The handle file is written at submission, except offline (that emulator ends
            # with the command, so its jobs cannot be resumed).
            tracker = HandleTracker(output=None if offline else output)
            _run_job(
                out,
                target=target,
                output=output,
                reporter=reporter,
                tracker=tracker,
                job=lambda hook: generator.generate(
                    prompt,
                    timeout=timeout,
                    on_event=hook,
                    cancel_on_timeout=cancel_on_timeout,
                    budget=max_cost,
                    **fields,
                ),
                cancel=generator.cancel if cancel_on_interrupt else None,
                offline=offline,
                overwrite=overwrite,
            )

    _guard(out, body)


@cli.command(epilog=EXIT_CODES_HELP)
@click.argument("handle")
@click.option(
    "-o", "--output", default=".", show_default=True, metavar="PATH", help="File or directory."
)
@click.option(
    "--overwrite",
    is_flag=True,
    help="Replace existing video files at -o (default: refuse before waiting; exit 7).",
)
@click.option("--timeout", type=float, metavar="S", help="Seconds to wait (default 900).")
@click.option(
    "--poll-interval", type=float, metavar="S", help="Poll every S seconds (default: tuned)."
)
@click.option(
    "--cancel-on-interrupt", is_flag=True, help="On Ctrl-C, cancel the job where possible."
)
@target_options
@output_options
def wait(
    handle: str,
    output: str,
    overwrite: bool,
    timeout: float | None,
    poll_interval: float | None,
    cancel_on_interrupt: bool,
    vertex: bool,
    project: str | None,
    location: str | None,
    emulator: str | None,
    as_json: bool,
    quiet: bool,
    debug: bool,
) -> None:
    """Wait for a submitted job, save its video(s) and print their paths.

    HANDLE is a .handle.json file (as `veowrap generate` saves on Ctrl-C or timeout), a
    handle's JSON, or an operation name.
    """
    out = Output(as_json=as_json, debug=debug, quiet=quiet)
    target = Target(vertex=vertex, project=project, location=location, emulator=emulator)

    def body() -> None:
        check_numbers(timeout=timeout, poll_interval=poll_interval)
        operation, source = load_handle(handle)
        check_output(
            output, overwrite=overwrite, videos=operation.expected_videos or 1, handle=operation
        )
        generator = build_generator(target, poll_interval=poll_interval)
        try:
            reporter = make_reporter(out.stderr, quiet=quiet, handle=operation)
            try:
                _run_job(
                    out,
                    target=target,
                    output=output,
                    reporter=reporter,
                    tracker=HandleTracker(operation),
                    job=lambda hook: generator.wait(operation, timeout=timeout, on_event=hook),
                    cancel=generator.cancel if cancel_on_interrupt else None,
                    handle_file=source,
                    overwrite=overwrite,
                )
            finally:
                reporter.close()
        finally:
            generator.close()

    _guard(out, body)


@cli.command(epilog=EXIT_CODES_HELP)
@click.argument("handle")
@target_options
@output_options
def status(
    handle: str,
    vertex: bool,
    project: str | None,
    location: str | None,
    emulator: str | None,
    as_json: bool,
    quiet: bool,
    debug: bool,
) -> None:
    """Show a job's state with one status read (exit 0 whatever the state).

    HANDLE is a .handle.json file, a handle's JSON, or an operation name.
    """
    out = Output(as_json=as_json, debug=debug, quiet=quiet)
    target = Target(vertex=vertex, project=project, location=location, emulator=emulator)

    def body() -> None:
        operation, _ = load_handle(handle)
        with build_generator(target) as generator:
            current = generator.status(operation)
        state = current.state
        if current.done and state == "succeeded" and not current.videos and current.filtered_count:
            state = "filtered"
        error = None
        if current.error_code is not None or current.error_message:
            error = {"code": current.error_code, "message": current.error_message}
        if out.as_json:
            _emit_json(
                {
                    "name": current.name,
                    "done": current.done,
                    "state": state,
                    "videos": len(current.videos),
                    "filtered_count": current.filtered_count,
                    "filtered_reasons": list(current.filtered_reasons),
                    "error": error,
                    "handle": _handle_json(operation),
                }
            )
            return
        rows = [
            ("operation", current.name),
            ("platform", f"{operation.platform} ({operation.route})"),
            ("model", operation.model or "unknown"),
            ("state", state),
        ]
        if current.done:
            rows.append(("videos", str(len(current.videos))))
        if current.filtered_count:
            rows.append(
                ("filtered", f"{current.filtered_count}: " + "; ".join(current.filtered_reasons))
            )
        if error:
            rows.append(("error", f"{error['code']}: {error['message']}"))
        for label, value in rows:
            click.echo(f"{label:<10} {redact(str(value))}")

    _guard(out, body)


@cli.command(epilog=EXIT_CODES_HELP)
@click.argument("handle")
@target_options
@output_options
def cancel(
    handle: str,
    vertex: bool,
    project: str | None,
    location: str | None,
    emulator: str | None,
    as_json: bool,
    quiet: bool,
    debug: bool,
) -> None:
    """Cancel a job where its route allows it (Gemini interactions; not Veo operations).

    HANDLE is a .handle.json file, a handle's JSON, or an operation name. Cancelling a Veo
    operation exits 8: google-genai cannot cancel those; the job finishes on its own.
    """
    out = Output(as_json=as_json, debug=debug, quiet=quiet)
    target = Target(vertex=vertex, project=project, location=location, emulator=emulator)

    def body() -> None:
        operation, _ = load_handle(handle)
        with build_generator(target) as generator:
            generator.cancel(operation)
        if out.as_json:
            _emit_json({"cancelled": True, "handle": _handle_json(operation)})
        else:
            click.echo(f"cancelled {operation.name}")

    _guard(out, body)


@cli.command()
@click.option(
    "--platform",
    type=click.Choice(["vertex", "gemini"]),
    help="Only models offered on this platform.",
)
@click.option("--all", "show_all", is_flag=True, help="Include models that have shut down.")
@click.option("--json", "as_json", is_flag=True, help="Print the catalog entries as JSON.")
def models(platform: str | None, show_all: bool, as_json: bool) -> None:
    """List the models: seconds, resolutions, status, typical latency and price.

    One row per model and platform, from the catalog packaged with veowrap.
    """
    import datetime

    from veowrap._catalog import models as catalog_models

    today = datetime.date.today()
    entries = [
        (info, caps)
        for info in catalog_models()
        for name, caps in info.platforms.items()
        if (platform is None or name == platform) and (show_all or caps.is_live(today))
    ]
    if as_json:
        _emit_json(
            [
                {"id": info.id, "display_name": info.display_name, **caps.model_dump(mode="json")}
                for info, caps in entries
            ]
        )
        return
    header = ("MODEL", "PLATFORM", "ROUTE", "SECONDS", "RESOLUTIONS", "STATUS", "TYPICAL", "USD/S")
    rows: list[tuple[str, ...]] = [header]
    for info, caps in entries:
        lifecycle = caps.lifecycle
        if lifecycle.is_shut_down(today):
            state = f"shut down {lifecycle.shutdown}"
        elif lifecycle.shutdown:
            state = f"{lifecycle.stage} until {lifecycle.shutdown}"
        else:
            state = lifecycle.stage
        prices = [p.usd_per_second for p in caps.prices if p.usd_per_second is not None]
        price = (
            "?"
            if not prices
            else f"{min(prices):.2f}"
            + (f"-{max(prices):.2f}" if max(prices) != min(prices) else "")
        )
        from veowrap._progress import format_seconds

        rows.append(
            (
                info.id,
                caps.platform,
                caps.route,
                ",".join(str(d) for d in caps.durations),
                ",".join(caps.resolutions),
                state,
                format_seconds(caps.latency.median_s),
                price,
            )
        )
    widths = [max(len(row[column]) for row in rows) for column in range(len(header))]
    for row in rows:
        click.echo(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        )


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def doctor(as_json: bool) -> None:
    """Show what veowrap sees here: packages, platform, credentials (names only), routes.

    Makes no network call and prints no secret. Exits 8 when a problem is an error.
    """
    try:
        from veowrap._doctor import doctor as run_doctor
    except ImportError:
        text = f"veowrap {__version__}: the doctor is not available in this version."
        if as_json:
            _emit_json({"ok": None, "veowrap_version": __version__, "note": text})
        else:
            click.echo(text)
        return
    report = run_doctor()
    if as_json:
        data = dataclasses.asdict(report) if dataclasses.is_dataclass(report) else {}
        _emit_json({"ok": report.ok, **data})
    else:
        click.echo(str(report))
    if not report.ok:
        raise SystemExit(ExitCode.CONFIGURATION)


@cli.command()
@click.option("--port", type=int, default=8765, show_default=True, help="Port (0: any free).")
@click.option(
    "--latency", type=float, default=2.0, show_default=True, help="Seconds from create to done."
)
@click.option("--api-key", default="test-key", show_default=True, help="API key to accept.")
@click.option("--token", default="test-token", show_default=True, help="Bearer token to accept.")
def emulator(port: int, latency: float, api_key: str, token: str) -> None:
    """Run the local Veo emulator until Ctrl-C (for offline work and tests).

    Point other commands at it with --emulator http://127.0.0.1:PORT, or with the environment
    variables it prints.
    """
    from veowrap.testing.__main__ import main as emulator_main

    _guard(
        Output(),
        lambda: emulator_main(
            ["--port", str(port), "--latency", str(latency), "--api-key", api_key, "--token", token]
        ),
    )


# Commands defined in their own modules register themselves on `cli` when imported.
from veowrap.cli import _batch_command  # noqa: E402, F401
