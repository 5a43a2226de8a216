"""veowrap: dependable video generation with Google's video models.

Quick start::

    import veowrap
    gen = veowrap.VideoGenerator()
    gen.generate("a paper boat on a rainy street").save("out/")

Public names are loaded on first use, so ``import veowrap`` stays cheap; ``google.genai`` is
imported only when a backend that needs it is built.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from veowrap._version import __version__

if TYPE_CHECKING:
    from veowrap import backends, events, webhooks
    from veowrap._async import AsyncVideoGenerator
    from veowrap._batch import BatchItem, BatchSummary, summarize
    from veowrap._batch_options import BatchOptions
    from veowrap._catalog import ModelCapabilities, capabilities, check_request, models
    from veowrap._core.retrying import RetryPolicy
    from veowrap._core.schedule import AdaptiveSchedule, LearnedSchedule, PollSchedule
    from veowrap._core.status import OperationStatus
    from veowrap._cost import CostEstimate, check_budget, estimate_cost
    from veowrap._doctor import DoctorReport, doctor
    from veowrap._errors import (
        BudgetExceededError,
        ConfigurationError,
        ContentFilteredError,
        DestinationError,
        DestinationExistsError,
        DownloadError,
        JobError,
        JournalError,
        OperationCancelledError,
        OperationFailedError,
        OperationNotFoundError,
        OperationTimeoutError,
        OutputStorageRequiredError,
        QuotaExceededError,
        RequestValidationError,
        ServiceRejectedError,
        ServiceUnavailableError,
        SubmissionUncertainError,
        TransientError,
        UnsupportedCapabilityError,
        UsageError,
        VeowrapError,
        WebhookVerificationError,
    )
    from veowrap._handle import OperationHandle
    from veowrap._journal import Journal
    from veowrap._journal_postgres import PostgresJournal
    from veowrap._journals import BatchJournal, open_journal
    from veowrap._media import Image, Video
    from veowrap._request import ReferenceImage, VideoMask, VideoRequest, Webhook
    from veowrap._request_fields import RequestFields, RequestOptions
    from veowrap._request_files import load_requests
    from veowrap._result import GeneratedVideo, GenerationResult
    from veowrap._settings import GeneratorOptions, GeneratorSettings
    from veowrap._sync import VideoGenerator
    from veowrap.backends._registry import get_backend, register_backend

_EXPORTS = {
    "AsyncVideoGenerator": "veowrap._async",
    "VideoGenerator": "veowrap._sync",
    "VideoRequest": "veowrap._request",
    "ReferenceImage": "veowrap._request",
    "VideoMask": "veowrap._request",
    "Webhook": "veowrap._request",
    "Image": "veowrap._media",
    "Video": "veowrap._media",
    "OperationHandle": "veowrap._handle",
    "OperationStatus": "veowrap._core.status",
    "GenerationResult": "veowrap._result",
    "GeneratedVideo": "veowrap._result",
    "PollSchedule": "veowrap._core.schedule",
    "AdaptiveSchedule": "veowrap._core.schedule",
    "LearnedSchedule": "veowrap._core.schedule",
    "BatchItem": "veowrap._batch",
    "BatchSummary": "veowrap._batch",
    "load_requests": "veowrap._request_files",
    "summarize": "veowrap._batch",
    "Journal": "veowrap._journal",
    "PostgresJournal": "veowrap._journal_postgres",
    "BatchJournal": "veowrap._journals",
    "open_journal": "veowrap._journals",
    "CostEstimate": "veowrap._cost",
    "estimate_cost": "veowrap._cost",
    "check_budget": "veowrap._cost",
    "ModelCapabilities": "veowrap._catalog",
    "capabilities": "veowrap._catalog",
    "check_request": "veowrap._catalog",
    "models": "veowrap._catalog",
    "RetryPolicy": "veowrap._core.retrying",
    "BudgetExceededError": "veowrap._errors",
    "ConfigurationError": "veowrap._errors",
    "ContentFilteredError": "veowrap._errors",
    "DestinationError": "veowrap._errors",
    "DestinationExistsError": "veowrap._errors",
    "DownloadError": "veowrap._errors",
    "JournalError": "veowrap._errors",
    "OperationCancelledError": "veowrap._errors",
    "OperationFailedError": "veowrap._errors",
    "OperationNotFoundError": "veowrap._errors",
    "OperationTimeoutError": "veowrap._errors",
    "OutputStorageRequiredError": "veowrap._errors",
    "QuotaExceededError": "veowrap._errors",
    "RequestValidationError": "veowrap._errors",
    "ServiceUnavailableError": "veowrap._errors",
    "SubmissionUncertainError": "veowrap._errors",
    "UnsupportedCapabilityError": "veowrap._errors",
    "VeowrapError": "veowrap._errors",
    "WebhookVerificationError": "veowrap._errors",
    "JobError": "veowrap._errors",
    "ServiceRejectedError": "veowrap._errors",
    "TransientError": "veowrap._errors",
    "UsageError": "veowrap._errors",
    "BatchOptions": "veowrap._batch_options",
    "RequestFields": "veowrap._request_fields",
    "RequestOptions": "veowrap._request_fields",
    "GeneratorOptions": "veowrap._settings",
    "GeneratorSettings": "veowrap._settings",
    "DoctorReport": "veowrap._doctor",
    "doctor": "veowrap._doctor",
    "get_backend": "veowrap.backends._registry",
    "register_backend": "veowrap.backends._registry",
}
_SUBMODULES = {"backends", "events", "webhooks"}

__all__ = [
    "AdaptiveSchedule",
    "AsyncVideoGenerator",
    "BatchItem",
    "BatchJournal",
    "BatchOptions",
    "BatchSummary",
    "BudgetExceededError",
    "ConfigurationError",
    "ContentFilteredError",
    "CostEstimate",
    "DestinationError",
    "DestinationExistsError",
    "DoctorReport",
    "DownloadError",
    "GeneratedVideo",
    "GenerationResult",
    "GeneratorOptions",
    "GeneratorSettings",
    "Image",
    "JobError",
    "Journal",
    "JournalError",
    "LearnedSchedule",
    "ModelCapabilities",
    "OperationCancelledError",
    "OperationFailedError",
    "OperationHandle",
    "OperationNotFoundError",
    "OperationStatus",
    "OperationTimeoutError",
    "OutputStorageRequiredError",
    "PollSchedule",
    "PostgresJournal",
    "QuotaExceededError",
    "ReferenceImage",
    "RequestFields",
    "RequestOptions",
    "RequestValidationError",
    "RetryPolicy",
    "ServiceRejectedError",
    "ServiceUnavailableError",
    "SubmissionUncertainError",
    "TransientError",
    "UnsupportedCapabilityError",
    "UsageError",
    "VeowrapError",
    "Video",
    "VideoGenerator",
    "VideoMask",
    "VideoRequest",
    "Webhook",
    "WebhookVerificationError",
    "__version__",
    "backends",
    "capabilities",
    "check_budget",
    "check_request",
    "doctor",
    "estimate_cost",
    "events",
    "get_backend",
    "load_requests",
    "models",
    "open_journal",
    "register_backend",
    "summarize",
    "webhooks",
]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
    elif name in _SUBMODULES:
        value = importlib.import_module(f"veowrap.{name}")
    else:
        raise AttributeError(f"module 'veowrap' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
