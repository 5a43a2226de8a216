"""Redaction: registered and credential-shaped secrets never survive into text veowrap makes."""

from __future__ import annotations

import logging
import traceback

import pytest

from veowrap import VeowrapError
from veowrap._redact import (
    REDACTED,
    RedactedError,
    RedactingFilter,
    redact,
    redact_chain,
    register_secrets,
)

REGISTERED = "s3cr3t-registered-value"
register_secrets([REGISTERED, None, "", "short"])

# id, text, secret that must disappear, text that must survive
TABLE: list[tuple[str, str, str, str]] = [
    ("registered", f"echo {REGISTERED} back", REGISTERED, "echo"),
    ("google-key", "key AIzaSyA1234567890abcdefghijklmnopqrstu0 bad", "AIzaSyA12345", "bad"),
    ("oauth-token", "token ya29.a0AfH6SMBxyz-_.123 expired", "ya29.a0AfH6", "expired"),
    ("bearer", "Authorization: Bearer abc.def-ghi", "abc.def-ghi", "Authorization"),
    ("bearer-lower", "authorization: bearer tok123456", "tok123456", "authorization"),
    ("api-key-header", "x-goog-api-key: hunter2hunter2", "hunter2hunter2", "x-goog-api-key"),
    ("api-key-json", '{"x-goog-api-key": "hunter2hunter2"}', "hunter2hunter2", "x-goog-api-key"),
    ("query-key", "GET /v1/files?key=zzz111&alt=media", "zzz111", "alt=media"),
    ("query-token", "url?access_token=ttt222#x", "ttt222", "url"),
    ("bare-key", "refused; key=kkk333; retry", "kkk333", "retry"),
]


@pytest.mark.parametrize(
    ("text", "secret", "kept"), [row[1:] for row in TABLE], ids=[row[0] for row in TABLE]
)
def test_redact(text: str, secret: str, kept: str) -> None:
    cleaned = redact(text)
    assert secret not in cleaned
    assert REDACTED in cleaned
    assert kept in cleaned


def test_short_values_are_not_registered() -> None:
    # Too likely to occur in ordinary text: "short" must not be blanked everywhere.
    assert redact("a short text") == "a short text"


def test_ordinary_text_is_untouched() -> None:
    text = "HTTP 400 INVALID_ARGUMENT: duration_seconds must be 4, 6 or 8 (monkey=3)"
    assert redact(text) == text


def test_veowrap_errors_redact_message_and_hint() -> None:
    error = VeowrapError(f"server said {REGISTERED}", hint=f"not {REGISTERED}")
    assert REGISTERED not in str(error)
    assert REGISTERED not in repr(error)
    assert REGISTERED not in (error.hint or "")


def test_the_chain_behind_an_error_is_redacted() -> None:
    try:
        try:
            raise RuntimeError(f"upstream echoed {REGISTERED}")
        except RuntimeError as inner:
            raise VeowrapError("wrapped") from inner
    except VeowrapError as outer:
        redact_chain(outer)
        assert isinstance(outer.__cause__, RedactedError)
        assert "RuntimeError" in str(outer.__cause__)
        assert REGISTERED not in "".join(traceback.format_exception(outer))


def test_the_logging_filter_redacts_messages_and_arguments() -> None:
    record = logging.LogRecord("veowrap", logging.INFO, __file__, 1, "got %s", (REGISTERED,), None)
    assert RedactingFilter().filter(record)
    assert REGISTERED not in record.getMessage()
