"""How an error that ends a command is worded: one line saying what happened, and a hint.

veowrap's own errors carry both. An ``OSError`` that reaches the command line is a problem of
the machine (a read-only file system, a full disk, a missing permission, a network that went
away), so it gets words and a hint of its own. Only what is left is worded as a bug.
"""

from __future__ import annotations

import errno

from veowrap._errors import VeowrapError
from veowrap.cli._exit import is_network_error

__all__ = ["describe", "os_reason"]

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


def describe(error: BaseException) -> tuple[str, str | None]:
    """The message and hint for an error that ends a command (not yet redacted)."""
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
