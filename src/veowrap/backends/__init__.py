"""Backends: the contracts, the registry and the built-in backends (loaded on first use).

``FakeBackend`` is the offline backend for tests; ``GenAIBackend`` talks to Google through
google-genai. Third-party backends register under the ``veowrap.backends`` entry-point group.
Importing this package does not import google-genai.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from veowrap.backends._protocol import (
    AsyncBackend,
    AsyncClosable,
    Backend,
    Closable,
    HoldsSecrets,
    VideoStream,
    VirtualClock,
)
from veowrap.backends._registry import (
    ENTRY_POINT_GROUP,
    available_backends,
    get_backend,
    register_backend,
    resolve_backend,
    unregister_backend,
)
from veowrap.backends.legacy import check_not_legacy, translate_legacy_error

if TYPE_CHECKING:
    from veowrap.backends.fake import FakeBackend
    from veowrap.backends.genai import GenAIBackend

_LAZY = {"FakeBackend": "veowrap.backends.fake", "GenAIBackend": "veowrap.backends.genai"}

__all__ = [
    "ENTRY_POINT_GROUP",
    "AsyncBackend",
    "AsyncClosable",
    "Backend",
    "Closable",
    "FakeBackend",
    "GenAIBackend",
    "HoldsSecrets",
    "VideoStream",
    "VirtualClock",
    "available_backends",
    "check_not_legacy",
    "get_backend",
    "register_backend",
    "resolve_backend",
    "translate_legacy_error",
    "unregister_backend",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'veowrap.backends' has no attribute {name!r}")
