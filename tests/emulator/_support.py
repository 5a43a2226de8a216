"""Helpers shared by the emulator tests."""

from __future__ import annotations

import importlib
import time
from typing import Any

POLL = 0.02


def sdk_major() -> int:
    """Major version of the installed google-genai."""
    import google.genai

    return int(google.genai.__version__.split(".")[0])


def transport_errors() -> tuple[type[BaseException], ...]:
    """Connection-level errors of whichever httpx flavour the SDK uses."""
    found: list[type[BaseException]] = []
    for module_name in ("httpx2", "httpx"):
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        found += [module.RemoteProtocolError, module.ReadError, module.WriteError]
    return tuple(found)


def timeout_errors() -> tuple[type[BaseException], ...]:
    """Read-timeout errors of whichever httpx flavour the SDK uses."""
    found: list[type[BaseException]] = []
    for module_name in ("httpx2", "httpx"):
        try:
            found.append(importlib.import_module(module_name).ReadTimeout)
        except ImportError:
            continue
    return tuple(found)


def wait_done(client: Any, operation: Any, timeout: float = 10.0) -> Any:
    """Polls an operation with the real SDK until it is done."""
    deadline = time.monotonic() + timeout
    while not operation.done:
        assert time.monotonic() < deadline, "operation never finished"
        time.sleep(POLL)
        operation = client.operations.get(operation)
    return operation
