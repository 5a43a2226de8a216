"""Keeping credentials out of every text veowrap produces: errors, log lines and events.

Two nets, because a server may echo a credential back in an error body and SDK exceptions
quote those bodies:

* every credential veowrap holds (an API key, a bearer token) is registered here and replaced
  wherever it appears, whatever its shape;
* credential-shaped text is replaced even when it was never registered: Google API keys
  (``AIza…``), OAuth access tokens (``ya29.…``), ``Bearer …`` values, ``x-goog-api-key``
  values and ``key=``/``access_token=`` query parameters.

Pure apart from the process-wide registry (a set of strings guarded by a lock).
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable

__all__ = [
    "REDACTED",
    "RedactedError",
    "RedactingFilter",
    "redact",
    "redact_chain",
    "register_secrets",
]

REDACTED = "***"
# Shorter strings are too likely to occur by accident in ordinary text to be replaced blindly.
_MIN_SECRET_LENGTH = 6

_PATTERNS = (
    re.compile(r"AIza[0-9A-Za-z_\-]{20,}"),
    re.compile(r"ya29\.[0-9A-Za-z_\-.]+"),
    re.compile(r"(?i)(?<=bearer )[^\s\"',;}\]]+"),
    re.compile(r"(?i)(?<=x-goog-api-key)([\"']?\s*[:=]\s*[\"']?)[^\s\"',;}\]]+"),
    re.compile(r"(?i)(\b(?:key|api_key|apikey|access_token)=)[^&\s\"'#,;]+"),
)

_lock = threading.Lock()
_secrets: frozenset[str] = frozenset()


def register_secrets(values: Iterable[str | None]) -> None:
    """Remembers credentials so that :func:`redact` removes them wherever they appear."""
    global _secrets
    fresh = {value for value in values if value and len(value) >= _MIN_SECRET_LENGTH}
    if fresh <= _secrets:
        return
    with _lock:
        _secrets = _secrets | fresh


def redact(text: str) -> str:
    """``text`` with every registered or credential-shaped secret replaced by ``***``."""
    # Longest first: a secret that contains another must go whole.
    for secret in sorted(_secrets, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, REDACTED)
    for pattern in _PATTERNS:
        if pattern.groups:
            text = pattern.sub(lambda match: f"{match[1]}{REDACTED}", text)
        else:
            text = pattern.sub(REDACTED, text)
    return text


def _text_of(error: BaseException) -> str:
    # str(), repr() and args can differ: SDK errors keep the raw body in attributes and args.
    try:
        return f"{error}{error!r}{error.args!r}{''.join(getattr(error, '__notes__', ()))}"
    except Exception:  # a broken __str__ or __repr__ must not hide the original failure
        return type(error).__name__


class RedactedError(Exception):
    """Stands in, in an exception chain, for an exception whose text quoted a credential.

    Attributes:
        original_type: The qualified name of the exception it replaces.
    """

    def __init__(self, original: BaseException) -> None:
        self.original_type = f"{type(original).__module__}.{type(original).__qualname__}"
        super().__init__(f"{self.original_type}: {redact(_text_of(original))}")


def redact_chain(error: BaseException) -> BaseException:
    """Replaces the links of ``error``'s cause/context chain that quote a credential.

    ``error`` itself is returned (its own message is redacted when it is a veowrap error);
    the SDK exceptions behind it are swapped for :class:`RedactedError` stand-ins where their
    text would show a secret in a traceback.
    """
    seen: set[int] = set()
    # One stand-in per original link, so a cycle in the chain (A's context is B, B's is A)
    # closes on the stand-ins instead of making new ones forever.
    stand_ins: dict[int, RedactedError] = {}
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        for attribute in ("__cause__", "__context__"):
            link = getattr(current, attribute)
            if link is None or isinstance(link, RedactedError):
                continue
            stand_in = stand_ins.get(id(link))
            if stand_in is None:
                text = _text_of(link)
                if redact(text) == text:
                    continue
                stand_in = RedactedError(link)
                stand_ins[id(link)] = stand_in
                stand_in.__cause__ = link.__cause__
                stand_in.__context__ = link.__context__
                stand_in.__suppress_context__ = link.__suppress_context__
            setattr(current, attribute, stand_in)
        current = current.__cause__ or current.__context__
    return error


class RedactingFilter(logging.Filter):
    """A logging filter that renders each record's message once, redacted."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message or record.args:
            record.msg, record.args = cleaned, None
        if record.exc_info and record.exc_info[1] is not None:
            redact_chain(record.exc_info[1])
        return True


def install_filter(logger: logging.Logger) -> None:
    """Adds the redacting filter to ``logger`` once."""
    if not any(isinstance(existing, RedactingFilter) for existing in logger.filters):
        logger.addFilter(RedactingFilter())


# The loggers of the HTTP stack veowrap drives. At DEBUG, httpcore logs every response's
# headers, which a hostile server can fill with an echoed credential. A logger's filters apply
# only to records made by that very logger, so each is named.
_HTTPCORE_PARTS = ("connection", "http11", "http2", "proxy", "socks")
HTTP_STACK_LOGGERS = (
    *(f"{package}.{part}" for package in ("httpcore", "httpcore2") for part in _HTTPCORE_PARTS),
    "httpx",
    "httpx2",
    "google_genai._api_client",
    "google_genai.models",
    "google_genai.files",
    "google.genai",
)


def install_http_stack_filters() -> None:
    """Adds the redacting filter to the HTTP stack's loggers (idempotent)."""
    for name in HTTP_STACK_LOGGERS:
        install_filter(logging.getLogger(name))
