"""Every error sits in exactly one tier (one in two, for DestinationExistsError), and the CLI
maps tiers to exit codes in one place."""

from __future__ import annotations

import pytest

import veowrap
from veowrap.cli._exit import ExitCode, exit_code_for

TIERS = (veowrap.UsageError, veowrap.JobError, veowrap.TransientError)

EXPECTED = {
    "RequestValidationError": veowrap.UsageError,
    "ServiceRejectedError": veowrap.UsageError,
    "BudgetExceededError": veowrap.UsageError,
    "ConfigurationError": veowrap.UsageError,
    "UnsupportedCapabilityError": veowrap.UsageError,
    "DestinationError": veowrap.UsageError,
    "JournalError": veowrap.UsageError,
    "WebhookVerificationError": veowrap.UsageError,
    "OperationFailedError": veowrap.JobError,
    "OperationCancelledError": veowrap.JobError,
    "OutputStorageRequiredError": veowrap.JobError,
    "ContentFilteredError": veowrap.JobError,
    "OperationTimeoutError": veowrap.JobError,
    "OperationNotFoundError": veowrap.JobError,
    "QuotaExceededError": veowrap.TransientError,
    "ServiceUnavailableError": veowrap.TransientError,
    "SubmissionUncertainError": veowrap.TransientError,
    "DownloadError": veowrap.TransientError,
}


def _public_errors() -> list[type[veowrap.VeowrapError]]:
    found = []
    for name in veowrap.__all__:
        value = getattr(veowrap, name)
        if isinstance(value, type) and issubclass(value, veowrap.VeowrapError):
            found.append(value)
    return found


@pytest.mark.parametrize("cls", _public_errors(), ids=lambda cls: cls.__name__)
def test_every_public_error_has_its_tier(cls: type[veowrap.VeowrapError]) -> None:
    if cls is veowrap.VeowrapError or cls in TIERS:
        return
    tiers = [tier for tier in TIERS if issubclass(cls, tier)]
    if cls is veowrap.DestinationExistsError:
        assert tiers == [veowrap.UsageError, veowrap.TransientError]
        return
    assert tiers == [EXPECTED[cls.__name__]]


def test_request_validation_error_is_still_a_value_error() -> None:
    assert issubclass(veowrap.RequestValidationError, ValueError)
    assert not issubclass(veowrap.ServiceRejectedError, veowrap.RequestValidationError)


def _budget() -> veowrap.BudgetExceededError:
    return veowrap.BudgetExceededError("x", estimated_usd=2.0, budget_usd=1.0)


EXIT_CODES = [
    (veowrap.RequestValidationError("f", 1, "2"), ExitCode.VALIDATION),
    (veowrap.ServiceRejectedError("no", status_code=400), ExitCode.VALIDATION),
    (_budget(), ExitCode.VALIDATION),
    (veowrap.ConfigurationError("x"), ExitCode.CONFIGURATION),
    (veowrap.UnsupportedCapabilityError("x"), ExitCode.CONFIGURATION),
    (veowrap.DestinationError("x", path="p"), ExitCode.LOCAL_FILES),
    (veowrap.DestinationExistsError("x", path="p"), ExitCode.LOCAL_FILES),
    (veowrap.JournalError("x", path="p"), ExitCode.LOCAL_FILES),
    (veowrap.ContentFilteredError("x", reasons=(), filtered_count=1), ExitCode.FILTERED),
    (veowrap.OperationFailedError("x", code=13), ExitCode.FAILED),
    (veowrap.OperationCancelledError("x", code=1), ExitCode.FAILED),
    (veowrap.OperationTimeoutError("x"), ExitCode.TIMEOUT),
    (veowrap.OperationNotFoundError("x"), ExitCode.SERVICE),
    (veowrap.QuotaExceededError("x"), ExitCode.SERVICE),
    (veowrap.ServiceUnavailableError("x"), ExitCode.SERVICE),
    (veowrap.DownloadError("x"), ExitCode.SERVICE),
    (veowrap.UsageError("x"), ExitCode.VALIDATION),
    (veowrap.VeowrapError("x"), ExitCode.SERVICE),
    (KeyboardInterrupt(), ExitCode.INTERRUPTED),
    (ConnectionResetError(), ExitCode.SERVICE),
    (PermissionError(13, "denied"), ExitCode.LOCAL_FILES),
    (RuntimeError("?"), ExitCode.UNEXPECTED),
]


@pytest.mark.parametrize(
    ("error", "code"), EXIT_CODES, ids=[type(error).__name__ for error, _ in EXIT_CODES]
)
def test_exit_code_for_each_error(error: BaseException, code: int) -> None:
    assert exit_code_for(error) == code


def test_service_rejected_error_keeps_the_service_words_without_secrets() -> None:
    from veowrap._redact import register_secrets

    register_secrets(["AIzaSy-TIER-TEST-SECRET-0123456789"])
    error = veowrap.ServiceRejectedError(
        "refused", status_code=400, service_message="bad key AIzaSy-TIER-TEST-SECRET-0123456789"
    )
    assert "TIER-TEST-SECRET" not in error.service_message
    assert error.status_code == 400
