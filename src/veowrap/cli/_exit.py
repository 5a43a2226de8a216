"""Exit codes of the ``veowrap`` command, and which error maps to which."""

from __future__ import annotations

import socket

from veowrap._errors import (
    ConfigurationError,
    ContentFilteredError,
    DestinationError,
    DownloadError,
    JobError,
    JournalError,
    OperationFailedError,
    OperationTimeoutError,
    UnsupportedCapabilityError,
    UsageError,
    VeowrapError,
)

__all__ = ["EXIT_CODES_HELP", "ExitCode", "exit_code_for", "is_network_error"]


class ExitCode:
    """The exit statuses of ``veowrap``; each failure kind has its own."""

    OK = 0
    UNEXPECTED = 1
    USAGE = 2
    VALIDATION = 3
    FILTERED = 4
    FAILED = 5
    TIMEOUT = 6
    LOCAL_FILES = 7
    CONFIGURATION = 8
    SERVICE = 9
    INTERRUPTED = 130


EXIT_CODES_HELP = """\b
Exit codes:
  0    success
  1    unexpected error (a bug: rerun with --debug and report it)
  2    usage error (bad option or argument)
  3    request refused: by veowrap before sending (RequestValidationError,
       BudgetExceededError) or by the service (ServiceRejectedError, HTTP 400)
  4    every video withheld by safety filters (ContentFilteredError; not billed)
  5    the operation failed or was cancelled (OperationFailedError)
  6    deadline passed; the job may still run (OperationTimeoutError; handle saved)
  7    a local file cannot be used: the -o destination, a batch journal, or the
       file system refused (DestinationError, JournalError, read-only, disk full;
       handle saved when a job was submitted)
  8    configuration or unsupported capability (ConfigurationError,
       UnsupportedCapabilityError)
  9    service trouble: quota, unavailable, uncertain submission, not found,
       download (other VeowrapError)
  130  interrupted with Ctrl-C (handle saved; the job keeps running)"""


def exit_code_for(error: BaseException) -> int:
    """The exit status for an error that ended a command.

    Example:
        >>> exit_code_for(OperationTimeoutError("too slow"))
        6
    """
    if isinstance(error, KeyboardInterrupt):
        return ExitCode.INTERRUPTED
    if isinstance(error, VeowrapError):
        return _exit_code_for_tier(error)
    if is_network_error(error):
        return ExitCode.SERVICE
    if isinstance(error, OSError):
        return ExitCode.LOCAL_FILES
    return ExitCode.UNEXPECTED


def _exit_code_for_tier(error: VeowrapError) -> int:
    # Local files first: DestinationExistsError is also a (transient) DownloadError.
    if isinstance(error, DestinationError | JournalError):
        return ExitCode.LOCAL_FILES
    if isinstance(error, UsageError):
        if isinstance(error, ConfigurationError | UnsupportedCapabilityError):
            return ExitCode.CONFIGURATION
        return ExitCode.VALIDATION  # the request: ours, the budget's or the service's refusal
    if isinstance(error, JobError):
        if isinstance(error, ContentFilteredError):
            return ExitCode.FILTERED
        if isinstance(error, OperationTimeoutError):
            return ExitCode.TIMEOUT
        if isinstance(error, OperationFailedError):
            return ExitCode.FAILED
        return ExitCode.SERVICE  # not found: the service no longer knows the job
    if isinstance(error, DownloadError) and _caused_by_the_file_system(error):
        return ExitCode.LOCAL_FILES  # a full disk, not the service
    return ExitCode.SERVICE  # TransientError and any other service trouble


def _caused_by_the_file_system(error: BaseException) -> bool:
    cause = error.__cause__
    while cause is not None:
        if isinstance(cause, OSError) and not is_network_error(cause):
            return True
        cause = cause.__cause__
    return False


def is_network_error(error: BaseException) -> bool:
    """Whether an ``OSError`` that escaped the library concerns the network, not a file."""
    return isinstance(error, ConnectionError | TimeoutError | socket.gaierror | socket.herror)
