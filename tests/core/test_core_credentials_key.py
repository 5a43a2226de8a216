"""API keys no HTTP header can carry are refused before use, without quoting them; the
redaction of an error chain ends even when the chain is a cycle."""

from __future__ import annotations

import pytest

from veowrap._core.credentials import check_api_key
from veowrap._errors import ConfigurationError
from veowrap._redact import RedactedError, redact_chain, register_secrets

KEY = "AIzaSyA-KEYCHECK-0123456789abcdefghijk"


@pytest.mark.parametrize(
    ("key", "position"),
    [
        (KEY + "\u200b", len(KEY) + 1),  # a zero-width space pasted with the key
        ("AIza\u043aey", 5),  # a Cyrillic letter
        (KEY + "\r\nX-Injected: 1", len(KEY) + 1),
        (" " + KEY, 1),
        (KEY + "\t", len(KEY) + 1),
    ],
)
def test_a_key_headers_cannot_carry_is_refused_without_quoting_it(key: str, position: int) -> None:
    with pytest.raises(ConfigurationError) as caught:
        check_api_key(key)
    text = f"{caught.value}{caught.value.hint}"
    assert f"position {position} of {len(key)}" in text
    assert "KEYCHECK" not in text


@pytest.mark.parametrize("key", [None, KEY, "test-key", "k" * 200])
def test_printable_ascii_keys_pass(key: str | None) -> None:
    check_api_key(key)


def test_redacting_a_cyclic_chain_ends_and_hides_the_secret() -> None:
    secret = "AIzaSy-CYCLE-SECRET-0123456789012345"
    register_secrets([secret])
    first, second = ValueError(f"a {secret}"), KeyError(f"b {secret}")
    first.__context__, second.__context__ = second, first
    top = RuntimeError("top")
    top.__context__ = first
    redact_chain(top)
    seen, link = 0, top.__context__
    while link is not None and seen < 10:
        assert isinstance(link, RedactedError)
        assert secret not in str(link)
        seen += 1
        link = link.__context__
    assert seen == 10  # the chain is still a cycle, now of stand-ins
