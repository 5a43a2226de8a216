"""How an error that ends a command is worded: one line saying what happened, and a hint.

veowrap's own errors carry both, written for Python callers (``client=``,
``VideoGenerator(vertexai=True, ...)``, ``generator.wait(handle)``). This module is the one
place where that advice becomes command-line advice (``--vertex --project P --location L``,
``--offline``, ``veowrap doctor``, the ``veowrap wait`` command); a hint it cannot translate is
replaced by the resume command's hint, or left out, never shown in Python words. An ``OSError``
that reaches the command line is a problem of the machine (a read-only file system, a full
disk, a missing permission, a network that went away), so it gets words and a hint of its own.
Only what is left is worded as a bug.
"""

from __future__ import annotations

import errno
import re

from veowrap._environment import CLI_SETUP_HELP, NOTHING_PASSED, SETUP_HELP
from veowrap._errors import DownloadError, VeowrapError
from veowrap.cli._exit import is_network_error

__all__ = ["describe", "in_command_line_words", "os_reason", "speaks_python"]

BUG_HINT = "This is a bug in veowrap; rerun with --debug and report the traceback."

_REASONS = {
    errno.EROFS: "the file system is read-only",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is exhausted",
    errno.ENOENT: "no such file or directory",
    errno.ENOTDIR: "a part of the path is a file, not a directory",
    errno.EISDIR: "it is a directory",
    errno.ENAMETOOLONG: "the name is too long",
    errno.EEXIST: "it already exists",
    errno.EIO: "input/output error",
    errno.EMFILE: "too many open files",
    errno.EFBIG: "the file is too large",
    errno.ELOOP: "too many symbolic links",
    errno.EPIPE: "the output pipe was closed",
    errno.EADDRINUSE: "the address is already in use",
}

_HINTS = {
    errno.EROFS: "Choose a location on a writable file system (-o).",
    errno.EACCES: "Choose a location you may write to (-o), or fix the permissions.",
    errno.EPERM: "Choose a location you may write to (-o), or fix the permissions.",
    errno.ENOSPC: "Free some disk space, or choose another location (-o).",
    errno.EDQUOT: "Free some space within your quota, or choose another location (-o).",
    errno.ENOENT: "Check the path.",
    errno.ENOTDIR: "Check the path: a part of it is a file.",
    errno.ENAMETOOLONG: "Use a shorter path.",
    errno.EMFILE: "Raise the open-file limit (ulimit -n) or lower --concurrency.",
    errno.EPIPE: "The program reading veowrap's output stopped early.",
    errno.EADDRINUSE: "Choose another --port (0 picks a free one).",
}


def os_reason(error: OSError) -> str:
    """A short, lower-case reason for an ``OSError`` ("the disk is full")."""
    reason = _REASONS.get(error.errno or 0)
    if reason is None:
        reason = (error.strerror or type(error).__name__).rstrip(".")
        reason = reason[:1].lower() + reason[1:]
    return reason


# Library advice and what the command line says instead: whole texts, then phrases (each
# phrase occurs in the library's sources or catalog; a test keeps the table in step).
_WHOLE_TEXTS = {SETUP_HELP: CLI_SETUP_HELP}
_PHRASES = (
    (NOTHING_PASSED, "no --vertex, --emulator or --offline option was given"),
    (" (settings passed in code are not visible here)", ""),
    (
        "Use Vertex AI (VideoGenerator(vertexai=True, project=..., location=...))",
        "Use Vertex AI (--vertex --project P --location L)",
    ),
    ("pass overwrite=True (CLI: --overwrite)", "pass --overwrite"),
    ("-o / output_dir", "-o"),
    ("Raise max_cost_usd / budget=", "Raise --max-cost"),
    ("Lower requests_per_minute", "Lower --rpm"),
    ("veowrap.models() lists", "`veowrap models` lists"),
    (
        "veowrap.capabilities(model) lists what the model takes",
        "`veowrap models` lists what each model takes",
    ),
    (" or pass credentials=", ""),
    (
        "rerun with the same journal and retry_failed=True",
        "rerun the same command with --retry-failed",
    ),
    ("pass resend_uncertain=True to send it again", "rerun with --resend-uncertain to send it"),
    # A webhook: the command line always polls.
    ("or poll with wait().", "or leave out webhook: veowrap polls until the job is done."),
    (
        "Poll with wait(), or use the Gemini API (api_key=...) for webhooks.",
        "Leave out webhook: veowrap polls until it is done.",
    ),
)
# "drop seed=", "Pass image=": a request field named as a Python keyword argument.
_FIELD_ARGUMENT = re.compile(r"\b(drop|[Pp]ass) ([a-z_]+)=(?=[\s.,;)]|$)")
_OPTIONS = {
    "model": "-m",
    "image": "--image",
    "last_frame": "--last-frame",
    "duration_seconds": "--duration",
    "aspect_ratio": "--aspect",
    "resolution": "--resolution",
    "number_of_videos": "-n",
    "negative_prompt": "--negative-prompt",
    "seed": "--seed",
}
# What only Python understands: a keyword argument (``client=``) or a call (``save()``).
# (``seed=5`` is a field and its value, as messages name them; ``seed=`` alone is Python.)
_PYTHON = re.compile(r"\b[a-z_]+=(?=[\s,.;/)]|$|True\b|False\b)|\b[A-Za-z_][\w.]*\(")

_RESUME_HINT = "The job may still be running; the command below picks it up."
_DOWNLOAD_RESUME_HINT = (
    "Nothing partial was left there. The videos wait on the server (about two days): fix the "
    "destination, then run the command below (or change its -o)."
)


def _field_in_words(match: re.Match[str]) -> str:
    verb, field = match[1], match[2]
    verb = {"drop": "leave out"}.get(verb, verb)
    option = _OPTIONS.get(field)
    return f"{verb} {field} ({option})" if option else f"{verb} {field}"


def in_command_line_words(text: str) -> str:
    """``text`` (a library message, hint or doctor fix) with its Python advice translated."""
    text = _WHOLE_TEXTS.get(text, text)
    for python, command_line in _PHRASES:
        text = text.replace(python, command_line)
    return _FIELD_ARGUMENT.sub(_field_in_words, text)


def speaks_python(text: str) -> bool:
    """Whether ``text`` still names Python arguments or calls (``client=``, ``save()``)."""
    return _PYTHON.search(text) is not None


def describe(error: BaseException, *, resumable: bool = False) -> tuple[str, str | None]:
    """The message and hint for an error that ends a command (not yet redacted).

    Args:
        error: What ended the command.
        resumable: The command prints a resume command below the hint; a hint in Python
            words then points at it instead.
    """
    message, hint = _words(error)
    message = in_command_line_words(message)
    if hint is not None:
        hint = in_command_line_words(hint)
        if speaks_python(hint):
            if not resumable:
                hint = None
            elif isinstance(error, DownloadError):
                hint = _DOWNLOAD_RESUME_HINT
            else:
                hint = _RESUME_HINT
    return message, hint


def _words(error: BaseException) -> tuple[str, str | None]:
    if isinstance(error, VeowrapError):
        return error.message, error.hint
    if isinstance(error, KeyboardInterrupt):
        return "Interrupted by Ctrl-C.", None
    if isinstance(error, OSError) and is_network_error(error):
        return (
            f"A network error ended the command: {os_reason(error)}.",
            "Check the connection and rerun; a job already submitted keeps running (use its "
            "handle with `veowrap wait`).",
        )
    if isinstance(error, OSError):
        hint = _HINTS.get(error.errno or 0, "Check the path and the file system, then rerun.")
        if error.filename is None:
            return f"The operating system refused: {os_reason(error)}.", hint
        return f"Cannot use {str(error.filename)[:200]!r}: {os_reason(error)}.", hint
    return f"unexpected {type(error).__name__}: {str(error)[:500]}", BUG_HINT
