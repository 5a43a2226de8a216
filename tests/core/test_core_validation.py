"""`veowrap._core.validation`: the one home of the checks of public settings.

Table-driven: each row is a value and what the check must do with it. Every refusal is a
``RequestValidationError`` naming the field, the value, what is allowed and a hint.
"""

from __future__ import annotations

import math
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from veowrap._core import validation
from veowrap._core.pacing import Pacer
from veowrap._errors import RequestValidationError
from veowrap._request import VideoRequest

NAN, INF = float("nan"), float("inf")


def _refused(call: Any, field: str) -> RequestValidationError:
    with pytest.raises(RequestValidationError) as caught:
        call()
    error = caught.value
    assert error.field == field
    assert error.allowed
    assert error.hint
    assert f"{field}=" in str(error)
    return error


# -- seconds ----------------------------------------------------------------------------------

# id, value, keyword arguments, expected (None: refused)
SECONDS: list[tuple[str, Any, dict[str, Any], float | None]] = [
    ("int", 90, {}, 90.0),
    ("float", 0.25, {}, 0.25),
    ("fraction", Fraction(1, 2), {}, 0.5),
    ("max", validation.MAX_SECONDS, {}, validation.MAX_SECONDS),
    ("zero-allowed", 0, {"zero": True}, 0.0),
    ("zero", 0, {}, None),
    ("negative", -1, {}, None),
    ("negative-zero-allowed", -0.5, {"zero": True}, None),
    ("nan", NAN, {}, None),
    ("inf", INF, {}, None),
    ("minus-inf", -INF, {}, None),
    ("over-max", validation.MAX_SECONDS + 1, {}, None),
    ("huge", 1e300, {}, None),
    ("str", "5", {}, None),
    ("bool", True, {}, None),
    ("list", [5], {}, None),
    ("none-required", None, {"optional": False}, None),
]  # fmt: skip


@pytest.mark.parametrize(
    ("value", "kwargs", "expected"), [pytest.param(*row[1:], id=row[0]) for row in SECONDS]
)
def test_seconds(value: Any, kwargs: dict[str, Any], expected: float | None) -> None:
    if expected is None:
        _refused(lambda: validation.seconds("timeout", value, **kwargs), "timeout")
    else:
        result = validation.seconds("timeout", value, **kwargs)
        assert result == expected and type(result) is float


def test_seconds_none_means_no_limit() -> None:
    assert validation.seconds("timeout", None) is None


@pytest.mark.parametrize(
    ("value", "reason"), [(NAN, "NaN"), (INF, "infinite"), ("5", "a str, not a number")]
)
def test_seconds_says_why(value: Any, reason: str) -> None:
    error = _refused(lambda: validation.seconds("timeout", value), "timeout")
    assert error.reason is not None and reason in error.reason


def test_dotted_fields_hint_with_the_keyword() -> None:
    error = _refused(
        lambda: validation.seconds("PollSchedule.interval", 0), "PollSchedule.interval"
    )
    assert error.hint is not None and "interval=" in error.hint
    assert "PollSchedule.interval=" not in error.hint


# -- other numbers ----------------------------------------------------------------------------

# id, function, value, expected (None: refused)
NUMBERS: list[tuple[str, Any, Any, Any]] = [
    ("rate", validation.rate, 10, 10.0),
    ("rate-fraction", validation.rate, 0.5, 0.5),
    ("rate-none", validation.rate, None, None),
    ("rate-zero", validation.rate, 0, "refused"),
    ("rate-negative", validation.rate, -5, "refused"),
    ("rate-nan", validation.rate, NAN, "refused"),
    ("rate-inf", validation.rate, INF, "refused"),
    ("rate-too-rare", validation.rate, 1e-9, "refused"),
    ("rate-str", validation.rate, "10", "refused"),
    ("dollars", validation.dollars, 5, 5.0),
    ("dollars-zero", validation.dollars, 0, 0.0),
    ("dollars-none", validation.dollars, None, None),
    ("dollars-negative", validation.dollars, -0.01, "refused"),
    ("dollars-nan", validation.dollars, NAN, "refused"),
    ("dollars-inf", validation.dollars, INF, "refused"),
    ("dollars-str", validation.dollars, "5", "refused"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("check", "value", "expected"), [pytest.param(*row[1:], id=row[0]) for row in NUMBERS]
)
def test_numbers(check: Any, value: Any, expected: Any) -> None:
    if expected == "refused":
        _refused(lambda: check("setting", value), "setting")
    else:
        assert check("setting", value) == expected


# id, value, keyword arguments, refused
WHOLE: list[tuple[str, Any, dict[str, Any], bool]] = [
    ("one", 1, {"minimum": 1}, False),
    ("big", 10**6, {"minimum": 1}, False),
    ("in-range", 4, {"minimum": 1, "maximum": 4}, False),
    ("zero", 0, {"minimum": 1}, True),
    ("negative", -3, {"minimum": 1}, True),
    ("above-max", 5, {"minimum": 1, "maximum": 4}, True),
    ("float", 2.0, {"minimum": 1}, True),
    ("fraction", 2.5, {"minimum": 1}, True),
    ("bool", True, {"minimum": 1}, True),
    ("str", "4", {"minimum": 1}, True),
    ("none", None, {"minimum": 1}, True),
]  # fmt: skip


@pytest.mark.parametrize(
    ("value", "kwargs", "refused"), [pytest.param(*row[1:], id=row[0]) for row in WHOLE]
)
def test_whole_number(value: Any, kwargs: dict[str, Any], refused: bool) -> None:
    if refused:
        _refused(lambda: validation.whole_number("concurrency", value, **kwargs), "concurrency")
    else:
        assert validation.whole_number("concurrency", value, **kwargs) == value


@pytest.mark.parametrize("value", [0, 0.5, 0.999])
def test_fraction_accepts(value: float) -> None:
    assert validation.fraction("jitter", value) == value


@pytest.mark.parametrize("value", [1, 1.5, -0.1, NAN, "0.1"])
def test_fraction_refuses(value: Any) -> None:
    _refused(lambda: validation.fraction("jitter", value), "jitter")


# -- paths and keys -------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["run.sqlite", Path("out/run.sqlite")])
def test_path_accepts(value: Any) -> None:
    assert validation.path("journal", value) is value


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        pytest.param("a\0b", "NUL", id="nul"),
        pytest.param(Path("a\0b"), "NUL", id="nul-path"),
        pytest.param("", "empty", id="empty"),
        pytest.param(5, "an int", id="int"),
        pytest.param(None, "None", id="none"),
        pytest.param(b"run.sqlite", "a bytes", id="bytes"),
    ],
)
def test_path_refuses(value: Any, reason: str) -> None:
    error = _refused(lambda: validation.path("journal", value), "journal")
    assert error.reason is not None and reason in error.reason


@pytest.mark.parametrize("value", ["boat", "a/b", "x" * validation.MAX_KEY_CHARS])
def test_batch_key_accepts(value: str) -> None:
    assert validation.batch_key("keys[0]", value) == value


@pytest.mark.parametrize(
    "value", [5, None, b"k", "", "   ", "x" * (validation.MAX_KEY_CHARS + 1), ["k"], "a\x00b"]
)
def test_batch_key_refuses(value: Any) -> None:
    _refused(lambda: validation.batch_key("keys[0]", value), "keys[0]")


@pytest.mark.parametrize("value", ["spring", "x" * validation.MAX_BATCH_NAME_CHARS, "a b/é"])
def test_batch_name_accepts(value: str) -> None:
    assert validation.batch_name("batch", value) == value


@pytest.mark.parametrize(
    "value", [7, None, "", "  ", "x" * (validation.MAX_BATCH_NAME_CHARS + 1), "spring\x00x"]
)
def test_batch_name_refuses(value: Any) -> None:
    _refused(lambda: validation.batch_name("batch", value), "batch")


# -- generate_many's options ---------------------------------------------------------------------

GOOD = {
    "keys": None,
    "concurrency": 4,
    "requests_per_minute": None,
    "timeout": None,
    "budget": None,
}

# id, requests, changed options, field at fault
BATCHES: list[tuple[str, Any, dict[str, Any], str]] = [
    ("str", "abc", {}, "requests"),
    ("bytes", b"abc", {}, "requests"),
    ("one-request", VideoRequest(prompt="a"), {}, "requests"),
    ("dict", {"prompt": "a"}, {}, "requests"),
    ("none", None, {}, "requests"),
    ("int", 5, {}, "requests"),
    ("keys-str", ["a"], {"keys": "k"}, "keys"),
    ("keys-int", ["a"], {"keys": [5]}, "keys[0]"),
    ("keys-blank", ["a", "b"], {"keys": ["k", " "]}, "keys[1]"),
    ("keys-set", ["a"], {"keys": {"k"}}, "keys"),
    ("concurrency-zero", ["a"], {"concurrency": 0}, "concurrency"),
    ("concurrency-float", ["a"], {"concurrency": 2.5}, "concurrency"),
    ("rpm-zero", ["a"], {"requests_per_minute": 0}, "requests_per_minute"),
    ("rpm-negative", ["a"], {"requests_per_minute": -5}, "requests_per_minute"),
    ("rpm-nan", ["a"], {"requests_per_minute": NAN}, "requests_per_minute"),
    ("timeout-negative", ["a"], {"timeout": -1}, "timeout"),
    ("timeout-nan", ["a"], {"timeout": NAN}, "timeout"),
    ("timeout-str", ["a"], {"timeout": "5"}, "timeout"),
    ("budget-nan", ["a"], {"budget": NAN}, "budget"),
    ("budget-negative", ["a"], {"budget": -1}, "budget"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("requests", "changed", "field"), [pytest.param(*row[1:], id=row[0]) for row in BATCHES]
)
def test_batch_options_refuse(requests: Any, changed: dict[str, Any], field: str) -> None:
    options = {**GOOD, **changed}
    _refused(lambda: validation.batch_options(requests, **options), field)


@pytest.mark.parametrize(
    "requests",
    [
        pytest.param(["a", "b"], id="list"),
        pytest.param(("a",), id="tuple"),
        pytest.param([VideoRequest(prompt="a")], id="requests"),
        pytest.param(iter(["a"]), id="iterator"),
        pytest.param((p for p in ["a"]), id="generator"),
    ],
)
def test_batch_options_accept_iterables_without_consuming_them(requests: Any) -> None:
    validation.batch_options(
        requests, keys=["k"], concurrency=1, requests_per_minute=10, timeout=60, budget=5
    )
    assert len(list(requests)) >= 1  # still all there


def test_pacer_refuses_what_would_hang() -> None:
    for value in (0, -1, NAN, INF):
        _refused(lambda value=value: Pacer(value), "requests_per_minute")
    assert Pacer(None).rate is None
    assert math.isclose(Pacer(60).reserve(0.0), 0.0)


# -- operation names ------------------------------------------------------------------------------

VERTEX = "projects/p/locations/us-central1/publishers/google/models/veo-3.1-generate-001"

SAFE_NAMES = [
    "models/veo-3.0-generate-preview/operations/abc123",
    f"{VERTEX}/operations/1234567890",
    f"{VERTEX}/operations/0b7c5b8e-5d6f-4c1e-9b1e-2f8f5c2a9d11",
    "publishers/google/models/m/operations/42",
    "projects/p/locations/us-central1/interactions/int-42",
    "v1_ChdpbnRlcmFjdGlvbi0xMjM",
    "projects/p/operations/op1",
    "op.v2~x",
]


@pytest.mark.parametrize("name", SAFE_NAMES)
def test_safe_operation_names(name: str) -> None:
    assert validation.operation_name_problem(name) is None
    assert validation.operation_name("handle", name) == name


# id, name, words of the reason
UNSAFE_NAMES: list[tuple[str, Any, str]] = [
    ("traversal", f"{VERTEX}/operations/../../../../x", "'..'"),
    ("dot-segment", "models/m/./operations/x", "'.'"),
    ("absolute-url", "http://127.0.0.1:9/steal", "':'"),
    ("scheme-less-url", "//evil.example/x", "empty"),
    ("leading-slash", "/models/m/operations/x", "empty"),
    ("trailing-slash", "models/m/operations/x/", "empty"),
    ("double-slash", "models/m//operations/x", "empty"),
    ("query", "models/veo/operations/x?alt=media&key=zzz", "'?'"),
    ("fragment", "models/veo/operations/x#y", "'#'"),
    ("percent", "models/veo/operations/%2e%2e", "'%'"),
    ("crlf", "models/veo/operations/x\r\nX-Injected: 1", "'\\r'"),
    ("space", "models/veo/operations/x y", "' '"),
    ("backslash", "models\\..\\x", "'\\\\'"),
    ("nul", "models/veo/operations/x\0", "'\\x00'"),
    ("unicode", "models/veo/operations/ｘ", "'ｘ'"),
    ("empty", "", "empty"),
    ("too-long", "a" * (validation.MAX_OPERATION_NAME_CHARS + 1), "characters long"),
    ("not-a-string", 5, "an int"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "words"), [pytest.param(*row[1:], id=row[0]) for row in UNSAFE_NAMES]
)
def test_unsafe_operation_names(name: Any, words: str) -> None:
    problem = validation.operation_name_problem(name)
    assert problem is not None and words in problem
    error = _refused(lambda: validation.operation_name("handle.name", name), "handle.name")
    assert "models/M/operations/ID" in error.allowed


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("a boat", None),
        ("ünïcödé ✓ 🎬", None),
        ("a \ud800 b", "lone surrogate U+D800 at position 3"),
        ("\udfff", "lone surrogate U+DFFF at position 1"),
    ],
)
def test_text_problem_names_a_lone_surrogate(text: str, problem: str | None) -> None:
    from veowrap._core.validation import text_problem

    found = text_problem(text)
    assert (found is None) if problem is None else (found is not None and problem in found)


def test_a_key_with_a_lone_surrogate_is_refused() -> None:
    from veowrap._core.validation import batch_key

    with pytest.raises(RequestValidationError) as caught:
        batch_key("keys[0]", "k\ud800")
    assert "UTF-8" in caught.value.allowed
