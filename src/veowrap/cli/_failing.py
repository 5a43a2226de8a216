"""How a command ends on an error: one line and a hint (or JSON), and its exit code.

The wording itself (library advice turned into command-line advice) lives in
:mod:`veowrap.cli._describe`; this module prints it, redacted, and exits.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NoReturn

import click

from veowrap._errors import VeowrapError
from veowrap._handle import OperationHandle
from veowrap.cli._describe import describe
from veowrap.cli._exit import exit_code_for
from veowrap.cli._options import Output

__all__ = ["emit_json", "fail", "guard", "handle_json", "redact", "sigint_ignored"]

_SECRET_VARIABLES = ("GEMINI_API_KEY", "GOOGLE_API_KEY")
_UNSAFE = "".join(chr(code) for code in range(32) if code not in (9, 10))


def redact(text: str) -> str:
    """Removes the values of API-key variables and control characters from ``text``.

    veowrap's own messages never contain credentials; this guards what third-party exceptions
    might say.
    """
    from veowrap._redact import redact as redact_registered

    for name in _SECRET_VARIABLES:
        value = os.environ.get(name)
        if value and len(value) >= 6:
            text = text.replace(value, "***")
    text = redact_registered(text)  # e.g. a --journal URL's password, registered on sight
    return text.translate({ord(char): None for char in _UNSAFE})


def emit_json(data: Any) -> None:
    """Prints ``data`` as indented JSON on stdout."""
    click.echo(json.dumps(data, indent=2, default=str))


def handle_json(handle: OperationHandle | None) -> dict[str, Any] | None:
    """A handle as the JSON object ``--json`` prints (``None`` stays ``None``)."""
    return None if handle is None else handle.model_dump(mode="json", exclude_none=True)


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
    message, hint = describe(error, resumable=resume is not None)
    if isinstance(error, VeowrapError):
        handle = handle or error.handle
    message, hint = redact(message), redact(hint) if hint else None
    if out.debug and not isinstance(error, KeyboardInterrupt):
        lines = traceback.format_exception(error)
        click.echo(redact("".join(lines)).rstrip(), err=True)
    if out.as_json:
        emit_json(
            {
                "error": {
                    "type": type(error).__name__,
                    "message": message,
                    "hint": hint,
                    "exit_code": code,
                    "handle": handle_json(handle),
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


def guard(out: Output, body: Callable[[], None]) -> None:
    """Runs a command body; errors outside a job become one line and an exit code."""
    try:
        body()
    except (SystemExit, click.exceptions.Exit, click.ClickException):
        raise
    except (Exception, KeyboardInterrupt) as error:
        fail(out, error)
