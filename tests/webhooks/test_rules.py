"""The pure webhook rules (veowrap._core.webhooks) and the plan's wake-up, table-driven."""

from __future__ import annotations

import json
from typing import Any

import pytest

from veowrap._core import webhooks as rules
from veowrap._core.plan import Call, Sleep, wait_plan
from veowrap._core.status import OperationStatus
from veowrap._errors import WebhookVerificationError
from veowrap._handle import OperationHandle

H = {"webhook-id": "msg_1", "webhook-timestamp": "1700000000", "webhook-signature": "v1,AAAA"}


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("v1,abc", [("v1", "abc")]),
        ("v1,abc v1,def", [("v1", "abc"), ("v1", "def")]),
        ("v1a,sig", [("v1a", "sig")]),
        ("v2,zzz v1,abc", [("v1", "abc")]),  # unknown versions are skipped
        ("nocomma v1,abc", [("v1", "abc")]),  # standardwebhooks would raise ValueError here
        ("aaa.bbb.ccc", [("jwt", "aaa.bbb.ccc")]),
        ("  v1,abc   v1a,x ", [("v1", "abc"), ("v1a", "x")]),
    ],
)
def test_signature_entries(header: str, expected: list[tuple[str, str]]) -> None:
    assert [(e.scheme, e.value) for e in rules.parse_signatures(header)] == expected


@pytest.mark.parametrize("header", ["", "v2,abc", "v1,", "nocomma", "a.b", "v1," + "a " * 9])
def test_signature_headers_without_a_usable_entry(header: str) -> None:
    with pytest.raises(WebhookVerificationError) as info:
        rules.parse_signatures(header)
    assert info.value.check == "signature"


def test_too_many_entries_are_refused_before_any_work() -> None:
    with pytest.raises(WebhookVerificationError):
        rules.parse_signatures(" ".join(["v1,abc"] * (rules.MAX_SIGNATURE_ENTRIES + 1)))


@pytest.mark.parametrize(
    ("headers", "ok"),
    [
        (H, True),
        ({k.upper(): v for k, v in H.items()}, True),
        ([(k.encode(), v.encode()) for k, v in H.items()], True),
        ({**H, "webhook-timestamp": "01700000000"}, False),  # one spelling per instant
        ({**H, "webhook-timestamp": "+1700000000"}, False),
        ({**H, "webhook-timestamp": "1700000000.5"}, False),
        ({**H, "webhook-id": ""}, False),
        ({**H, "webhook-id": "a\x00b"}, False),
        ({k: v for k, v in H.items() if k != "webhook-id"}, False),
    ],
)
def test_read_delivery(headers: Any, ok: bool) -> None:
    if ok:
        delivery = rules.read_delivery(headers)
        assert delivery.id == "msg_1" and delivery.entries
    else:
        with pytest.raises(WebhookVerificationError):
            rules.read_delivery(headers)


def test_repeated_signature_headers_are_one_list() -> None:
    pairs = [(b"webhook-id", b"m"), (b"webhook-timestamp", b"1"), (b"webhook-signature", b"v1,a")]
    pairs.append((b"Webhook-Signature", b"v1,b"))
    assert [e.value for e in rules.read_delivery(pairs).entries] == ["a", "b"]


@pytest.mark.parametrize(
    ("timestamp", "now", "tolerance", "ok"),
    [
        (1000, 1000.0, 300, True),
        (1000, 1300.0, 300, True),
        (1000, 1301.0, 300, False),
        (1000, 699.0, 300, False),
        (1000, 1500.0, 600, True),
        (1000, float("nan"), 300, False),
    ],
)
def test_timestamp_window(timestamp: int, now: float, tolerance: float, ok: bool) -> None:
    if ok:
        rules.check_timestamp(timestamp, now, tolerance)
    else:
        with pytest.raises(WebhookVerificationError) as info:
            rules.check_timestamp(timestamp, now, tolerance)
        assert info.value.check == "timestamp"


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        (rules.GOOGLE_JWKS_URL, True),
        ("http://127.0.0.1:8080/jwks.json", True),
        ("http://localhost/jwks.json", True),
        ("http://example.com/jwks.json", False),
        ("http://127.0.0.1.evil.com/jwks.json", False),
        ("https://u:p@example.com/jwks.json", False),
        ("file:///etc/passwd", False),
        ("https:///nohost", False),
    ],
)
def test_jwks_url(url: str, ok: bool) -> None:
    assert (rules.jwks_url_problem(url) is None) is ok


def delivery() -> rules.Delivery:
    return rules.read_delivery(H)


@pytest.mark.parametrize(
    ("envelope", "fields"),
    [
        (
            {"type": "video.generated", "data": {"id": "models/m/operations/o", "video_uri": "u"}},
            {"operation_name": "models/m/operations/o", "output_uri": "u"},
        ),
        (
            {"type": "video.generated", "data": {"id": "x", "output_file_uri": "gs://b/o"}},
            {"operation_name": "x", "output_uri": "gs://b/o"},
        ),
        (
            {"type": "interaction.failed", "data": {"id": "v1_a", "error_code": 3}},
            {"interaction_id": "v1_a", "error_code": 3, "failed": True},
        ),
        (
            {"type": "batch.succeeded", "data": {"id": "batches/1"}},
            {"batch_id": "batches/1", "failed": False},
        ),
        (
            {"type": "interaction.completed", "data": {"id": "i", "user_metadata": {"job": "j"}}},
            {"interaction_id": "i", "user_metadata": {"job": "j"}},
        ),
        ({"type": "something.new", "data": "not an object"}, {"type": "something.new"}),
        ({"data": {"id": 5}}, {"type": "unknown", "operation_name": None}),
    ],
)
def test_events_parse_every_documented_variant(
    envelope: dict[str, Any], fields: dict[str, Any]
) -> None:
    event = rules.parse_event(json.dumps(envelope).encode(), delivery(), "v1")
    for name, value in fields.items():
        assert getattr(event, name) == value, name
    assert event.timestamp.year == 2023  # the header's, when the body has none


def test_match_keys_and_event_keys_meet() -> None:
    name = "models/veo/operations/abc"
    assert rules.match_keys(name) == {name, "abc"}
    event = rules.parse_event(
        json.dumps({"type": "video.generated", "data": {"id": "abc"}}).encode(), delivery(), "v1"
    )
    assert rules.event_keys(event) & rules.match_keys(name)


# -- the plan: a delivery ends the sleep, and only a newer one -------------------------------

HANDLE = OperationHandle.from_name("v1_abc")
RUNNING = OperationStatus(name="v1_abc", done=False, state="running")


def test_plan_sleeps_with_wake_keys_and_rechecks_soon_after_a_push() -> None:
    schedule = rules.backstop_schedule(60)
    plan = wait_plan(
        HANDLE,
        schedule=schedule,
        deadline=None,
        clock=lambda: 0.0,
        rand=lambda: 0.5,
        poll_first=False,
        wake=frozenset({"v1_abc"}),
    )
    action = next(plan)
    assert isinstance(action, Sleep) and action.wake == {"v1_abc"} and action.after == 0
    assert action.seconds == 60
    assert isinstance(plan.send(7), Call)  # woken by delivery number 7
    action = plan.send(RUNNING)
    while not isinstance(action, Sleep):
        action = next(plan)
    # Not done yet although a webhook came: look again soon, waiting for a newer delivery.
    assert action.after == 7 and action.seconds == 2.0
    assert isinstance(plan.send(None), Call)
    action = plan.send(RUNNING)
    while not isinstance(action, Sleep):
        action = next(plan)
    assert action.after == 7 and action.seconds == 60


def test_plan_without_webhooks_is_unchanged() -> None:
    plan = wait_plan(
        HANDLE,
        schedule=rules.backstop_schedule(5),
        deadline=None,
        clock=lambda: 0.0,
        rand=lambda: 0.5,
        poll_first=False,
    )
    action = next(plan)
    assert isinstance(action, Sleep) and action.wake == frozenset()


# -- attack round 4: token times, replay keys, URLs, secrets, header shapes --------------------

NOW = 1_700_000_000


@pytest.mark.parametrize(
    ("claims", "header", "check"),
    [
        ({}, NOW, None),  # no time claims: only the header's window applies
        ({"iat": NOW - 10, "exp": NOW + 60}, NOW, None),
        ({"iat": NOW - 3600}, NOW, "timestamp"),  # an old capture under a fresh header
        ({"iat": NOW + 3600}, NOW, "timestamp"),
        ({"iat": NOW - 200}, NOW + 200, "timestamp"),  # header and token 400 s apart
        ({"nbf": NOW + 3600}, NOW, "timestamp"),
        ({"exp": NOW - 3600}, NOW, "timestamp"),
        ({"exp": NOW - 100}, NOW, None),  # inside the tolerance
        ({"iat": "yesterday"}, NOW, "signature"),
        ({"exp": True}, NOW, "signature"),
        ({"iat": float("nan")}, NOW, "signature"),
    ],
)
def test_token_times(claims: dict[str, Any], header: int, check: str | None) -> None:
    if check is None:
        rules.check_token_times(claims, header, NOW, 300)
    else:
        with pytest.raises(WebhookVerificationError) as info:
            rules.check_token_times(claims, header, NOW, 300)
        assert info.value.check == check


def test_token_replay_key_prefers_jti_else_the_token() -> None:
    assert rules.token_replay_key("a.b.c", {"jti": "j1"}) == rules.token_replay_key(
        "x.y.z", {"jti": "j1"}
    )
    assert rules.token_replay_key("a.b.c", {}) != rules.token_replay_key("a.b.d", {})
    assert "a.b.c" not in rules.token_replay_key("a.b.c", {})


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://alice:pw@hooks.example/h", "https://***@hooks.example/h"),
        ("https://alice@hooks.example/h", "https://***@hooks.example/h"),
        ("//a:b@hooks.example/h", "//***@hooks.example/h"),
        ("https://a:b@c@hooks.example/h", "https://***@hooks.example/h"),
        ("https://hooks.example/h?to=a@b", "https://hooks.example/h?to=a@b"),
        # A raw '/' in the password: the URL is unreadable, so nothing past the scheme shows.
        ("https://alice:pw/x@hooks.example/h", "https://***"),
    ],
)
def test_redact_url(url: str, shown: str) -> None:
    assert rules.redact_url(url) == shown


def test_check_url_refuses_credentials_without_quoting_them() -> None:
    from veowrap._errors import RequestValidationError

    assert rules.check_url("uri", "https://hooks.example/h") == "https://hooks.example/h"
    for bad in (
        "https://alice:pw-x@hooks.example/h",
        "https://@hooks.example/h",
        "https://alice:pw-x/y@hooks.example/h",
        42,
    ):
        with pytest.raises(RequestValidationError) as info:
            rules.check_url("uri", bad)
        assert "pw-x" not in str(info.value) + repr(info.value)
    with pytest.raises(RequestValidationError) as info:
        rules.check_urls("uris", ("https://ok.example/h", "https://u:pw-x@bad.example/h"))
    assert "pw-x" not in str(info.value) + repr(info.value)
    assert info.value.value == ("https://ok.example/h", "https://***@bad.example/h")


@pytest.mark.parametrize(
    "secret",
    [
        "whsec_",
        "",
        b"",
        "whsec_====",
        ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", ""],
        12345,
        {"a": 1},
    ],
)
def test_malformed_secrets_are_configuration_errors(secret: Any) -> None:
    with pytest.raises(WebhookVerificationError) as info:
        rules.check_secrets(secret)
    assert info.value.check == "configuration"


def test_good_secrets_pass_unchanged() -> None:
    good = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    assert rules.check_secrets(None) == []
    assert rules.check_secrets(good) == [good]
    assert rules.check_secrets([good, b"raw-key"]) == [good, b"raw-key"]


@pytest.mark.parametrize(
    "headers", [None, "webhook-id: x", b"x", [(b"webhook-id",)], [("a", "b", "c")], [("a", 1)], 5]
)
def test_malformed_header_arguments_are_header_errors(headers: Any) -> None:
    with pytest.raises(WebhookVerificationError) as info:
        rules.read_delivery(headers)
    assert info.value.check == "headers"


def test_eleven_webhook_urls_with_credentials_are_refused_masked() -> None:
    from veowrap import RequestValidationError, VideoRequest

    with pytest.raises(RequestValidationError) as info:
        VideoRequest(prompt="a kite", webhook={"uris": ["https://a:pw-x@hooks.example/h"] * 11})
    assert "pw-x" not in str(info.value) + repr(info.value)
