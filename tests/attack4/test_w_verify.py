"""Attacks on ``veowrap.webhooks.verify``: forgeries, replays, header games, JWT and JWKS games.

Promises under test (docs/webhooks.md, "Security model"): a delivery is refused unless its
headers are unambiguous, its timestamp is inside the window ("an old capture cannot be
replayed later"), and one signature entry verifies with the configured keys; the key set is
fetched only from its URL with "a 5 s timeout and a 64 KiB cap", no redirect, no credential;
secrets never appear in an error.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
import time
from typing import Any

import pytest
from h4 import KeyHost

from veowrap import RequestValidationError, UsageError, webhooks
from veowrap.testing import WebhookSigner

BODY_DATA = {"id": "models/veo/operations/mine123"}


def body_of(signer: WebhookSigner, kind: str = "video.generated", data: Any = None) -> bytes:
    return signer.body(kind, data or BODY_DATA)


def refused(check: str, body: Any, headers: Any, **keys: Any) -> webhooks.WebhookVerificationError:
    with pytest.raises(webhooks.WebhookVerificationError) as info:
        webhooks.verify(body, headers, **keys)
    assert info.value.check == check, (info.value.check, str(info.value))
    return info.value


# -- v1 (HMAC) forgeries ----------------------------------------------------------------------


def test_w_tampered_body_id_and_timestamp_are_refused(signer: WebhookSigner) -> None:
    body = body_of(signer)
    headers = signer.headers(body)
    assert webhooks.verify(body, headers, secret=signer.secret).operation_name
    other = body.replace(b"mine123", b"mine124")
    refused("signature", other, headers, secret=signer.secret)
    refused("signature", body + b"\n", headers, secret=signer.secret)
    refused("signature", body, {**headers, "webhook-id": "msg_other"}, secret=signer.secret)
    stamp = str(int(headers["webhook-timestamp"]) + 1)
    refused("signature", body, {**headers, "webhook-timestamp": stamp}, secret=signer.secret)


def test_w_wrong_and_rotated_secrets(signer: WebhookSigner) -> None:
    old = WebhookSigner()
    new_secret = WebhookSigner().secret
    body = body_of(old)
    by_old = old.headers(body)
    by_new = old.headers(body, secrets=[new_secret])
    refused("signature", body, by_old, secret=new_secret)
    assert webhooks.verify(body, by_old, secret=[new_secret, old.secret])
    assert webhooks.verify(body, by_new, secret=[old.secret, new_secret])
    # The signature is a valid HMAC for *a* secret, just not ours: still refused.
    refused("signature", body, by_old, secret=signer.secret)


@pytest.mark.parametrize("offset", [-301, 301, -(10**6), 10**6])
def test_w_stale_and_future_timestamps(signer: WebhookSigner, offset: int) -> None:
    body = body_of(signer)
    stamp = int(time.time()) + offset
    headers = signer.headers(body, timestamp=stamp)
    refused("timestamp", body, headers, secret=signer.secret)


@pytest.mark.parametrize(
    "spelling",
    [
        "\u0661\u0667\u0660\u0660\u0660\u0660\u0660\u0660\u0660\u0660",  # Arabic-Indic digits
        "+{t}",
        "0{t}",
        "{t}.0",
        "{t}e0",
        "{t} {t}",
        "{t},{t}",
        "\uff11{t}",  # fullwidth digit
        "-{t}",
    ],
)
def test_w_odd_timestamp_spellings_are_refused(signer: WebhookSigner, spelling: str) -> None:
    body = body_of(signer)
    headers = signer.headers(body)
    stamp = spelling.format(t=headers["webhook-timestamp"])
    refused("headers", body, {**headers, "webhook-timestamp": stamp}, secret=signer.secret)


def test_w_conflicting_duplicate_headers(signer: WebhookSigner) -> None:
    body = body_of(signer)
    good = signer.headers(body)
    forged = signer.headers(body)  # another valid delivery: same body, other id
    pairs = [(k.encode(), v.encode()) for k, v in good.items()]
    # Two ids, either of which verifies alone: ambiguous, refused.
    refused(
        "headers",
        body,
        [*pairs, (b"Webhook-ID", forged["webhook-id"].encode())],
        secret=signer.secret,
    )
    # Dict with two case spellings of one name.
    mixed = {**good, "WEBHOOK-TIMESTAMP": str(int(good["webhook-timestamp"]) - 1)}
    refused("headers", body, mixed, secret=signer.secret)
    # The same value repeated is harmless.
    same = [*pairs, (b"webhook-id", good["webhook-id"].encode())]
    assert webhooks.verify(body, same, secret=signer.secret)


def test_w_many_signature_entries_and_huge_headers_are_refused_fast(signer: WebhookSigner) -> None:
    body = body_of(signer)
    good = signer.headers(body)
    junk = "v1," + base64.b64encode(b"\0" * 32).decode()
    start = time.perf_counter()
    refused(
        "signature",
        body,
        {**good, "webhook-signature": " ".join([junk] * 8 + [good["webhook-signature"]])},
        secret=signer.secret,
    )
    # The same nine entries as nine separate headers are one list: still capped.
    pairs = [(k, v) for k, v in good.items() if k != "webhook-signature"]
    pairs += [("webhook-signature", f"{junk[:-2]}{i:02d}") for i in range(20)]
    refused("signature", body, pairs, secret=signer.secret)
    refused(
        "headers", body, {**good, "webhook-signature": "v1," + "A" * 100_000}, secret=signer.secret
    )
    refused("headers", body, {**good, "webhook-id": "m" * 100_000}, secret=signer.secret)
    assert time.perf_counter() - start < 1.0


def test_w_huge_body_is_refused_before_crypto(signer: WebhookSigner) -> None:
    body = b'{"type": "video.generated", "pad": "' + b"x" * (300 << 10) + b'"}'
    headers = signer.headers(body)
    refused("body", body, headers, secret=signer.secret)
    refused("body", memoryview(body), headers, secret=signer.secret)


def test_w_id_with_dots_cannot_shift_the_signed_fields(signer: WebhookSigner) -> None:
    """``{id}.{timestamp}.{body}``: moving the boundary between id and timestamp must fail."""
    body = body_of(signer)
    headers = signer.headers(body, msg_id="msg_a.1")
    stamp = headers["webhook-timestamp"]
    shifted = {**headers, "webhook-id": "msg_a", "webhook-timestamp": "1" + stamp[1:]}
    with pytest.raises(webhooks.WebhookVerificationError):
        webhooks.verify(body, shifted, secret=signer.secret)


def test_w_empty_key_secret_is_a_configuration_error(signer: WebhookSigner) -> None:
    body = body_of(signer)
    stamp = int(time.time())
    content = f"msg_1.{stamp}.".encode() + body
    forged = "v1," + base64.b64encode(hmac.new(b"", content, hashlib.sha256).digest()).decode()
    headers = {"webhook-id": "msg_1", "webhook-timestamp": str(stamp), "webhook-signature": forged}
    refused("configuration", body, headers, secret="whsec_")


@pytest.mark.parametrize(
    ("headers", "secret"),
    [
        ("webhook-id: x", None),
        (None, None),
        ([(b"webhook-id",)], None),
        ([("webhook-id", "a", "b")], None),
        ("HEADERS", 12345),
    ],
)
def test_w_malformed_arguments_get_a_typed_error(
    signer: WebhookSigner, headers: Any, secret: Any
) -> None:
    body = body_of(signer)
    if headers == "HEADERS":
        headers = signer.headers(body)
    with pytest.raises(UsageError):
        webhooks.verify(body, headers, secret=secret if secret is not None else signer.secret)


# -- JWT games --------------------------------------------------------------------------------


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _hs256(header: dict[str, Any], claims: dict[str, Any], key: bytes) -> str:
    head = _b64url(json.dumps(header).encode())
    payload = _b64url(json.dumps(claims).encode())
    mac = hmac.new(key, f"{head}.{payload}".encode(), hashlib.sha256).digest()
    return f"{head}.{payload}.{_b64url(mac)}"


def _jwt_headers(token: str, stamp: int | None = None, msg_id: str = "msg_jwt1") -> dict[str, str]:
    stamp = int(time.time()) if stamp is None else stamp
    return {"webhook-id": msg_id, "webhook-timestamp": str(stamp), "webhook-signature": token}


def test_w_jwt_alg_confusion_is_refused(signer: WebhookSigner, keyhost: Any) -> None:
    from cryptography.hazmat.primitives import serialization

    body = body_of(signer)
    now = int(time.time())
    claims = {"iat": now, "exp": now + 60}
    pem = signer.rsa.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    jwk_json = json.dumps(signer.jwks()["keys"][1]).encode()
    tokens = [
        _hs256({"alg": "HS256", "kid": signer.rsa_kid, "typ": "JWT"}, claims, pem),
        _hs256({"alg": "HS256", "kid": signer.rsa_kid}, claims, jwk_json),
        _hs256({"alg": "HS512", "kid": signer.rsa_kid}, claims, pem),
        _b64url(b'{"alg":"none","kid":"%s"}' % signer.rsa_kid.encode())
        + "."
        + _b64url(json.dumps(claims).encode())
        + ".",
        _b64url(b'{"alg":"None","kid":"%s"}' % signer.rsa_kid.encode())
        + "."
        + _b64url(json.dumps(claims).encode())
        + ".",
    ]
    for token in tokens:
        with pytest.raises(webhooks.WebhookVerificationError) as info:
            webhooks.verify(body, _jwt_headers(token), jwks=keyhost.url())
        assert info.value.check == "signature", token


def test_w_jwt_embedded_and_remote_attacker_keys_are_ignored(
    signer: WebhookSigner, keyhost: Any
) -> None:
    """jku/x5u/jwk headers name the attacker's key set: never consulted, never contacted."""
    import jwt
    from jwt.algorithms import RSAAlgorithm

    attacker = WebhookSigner()
    evil = KeyHost(attacker)
    try:
        body = body_of(signer)
        now = int(time.time())
        claims = {"iat": now, "exp": now + 60}
        jwk = json.loads(RSAAlgorithm.to_jwk(attacker.rsa.public_key()))
        for extra in (
            {"jku": evil.url(), "kid": attacker.rsa_kid},
            {"x5u": evil.url(), "kid": attacker.rsa_kid},
            {"jwk": jwk, "kid": attacker.rsa_kid},
            {"jku": evil.url(), "kid": signer.rsa_kid},  # a known kid, the attacker's key
        ):
            token = jwt.encode(claims, attacker.rsa, algorithm="RS256", headers=extra)
            with pytest.raises(webhooks.WebhookVerificationError):
                webhooks.verify(body, _jwt_headers(token), jwks=keyhost.url())
        assert evil.hits == {}
    finally:
        evil.close()


def test_w_unknown_kids_cannot_make_the_key_host_a_target(
    signer: WebhookSigner, keyhost: Any
) -> None:
    keys = webhooks.JwksKeys(keyhost.url())
    body = body_of(signer)
    now = int(time.time())
    bogus_v1a = "v1a," + base64.b64encode(b"\1" * 64).decode()
    for i in range(15):
        token = signer.jwt({"iat": now, "exp": now + 60}, kid=f"nope-{i}")
        for entry in (token, bogus_v1a):
            with pytest.raises(webhooks.WebhookVerificationError):
                webhooks.verify(body, _jwt_headers(entry, msg_id=f"m{i}"), jwks=keys)
    # One fetch to load, at most one forced re-fetch per 30 s cool-down (JWT and v1a paths).
    assert sum(keyhost.hits.values()) <= 2, keyhost.hits


def test_w_jwt_old_capture_cannot_be_replayed_later(signer: WebhookSigner, keyhost: Any) -> None:
    body = body_of(signer)
    envelope = json.loads(body)
    captured_at = int(time.time()) - 3600
    token = signer.jwt({"iat": captured_at, "type": envelope["type"], "data": envelope["data"]})
    # At capture time this was a genuine, in-window delivery.
    webhooks.verify(body, _jwt_headers(token, captured_at), jwks=keyhost.url(), now=captured_at)
    # An hour later, the same bytes with a fresh header timestamp:
    with pytest.raises(webhooks.WebhookVerificationError):
        webhooks.verify(body, _jwt_headers(token), jwks=keyhost.url())


def test_w_jwt_replay_inside_the_window_is_deduplicated(
    signer: WebhookSigner, keyhost: Any
) -> None:
    body = body_of(signer)
    envelope = json.loads(body)
    now = int(time.time())
    token = signer.jwt(
        {"iat": now, "exp": now + 300, "type": envelope["type"], "data": envelope["data"]}
    )
    inbox = webhooks.Inbox(jwks=keyhost.url())
    accepted = [inbox.deliver(body, _jwt_headers(token, msg_id=f"msg_{i}")) for i in range(5)]
    assert sum(event is not None for event in accepted) == 1


# -- the key set host -------------------------------------------------------------------------


def test_w_slow_key_host_cannot_hold_verification_past_its_timeout(
    signer: WebhookSigner, keyhost: Any
) -> None:
    keyhost.routes["/slow"] = keyhost.dribble(0.1, 12)
    keys = webhooks.JwksKeys(keyhost.url("/slow"), timeout=0.2)
    body = body_of(signer)
    headers = signer.headers(body, schemes=("v1a",))
    start = time.monotonic()
    with contextlib.suppress(webhooks.WebhookVerificationError):
        webhooks.verify(body, headers, jwks=keys)
    assert time.monotonic() - start < 0.8


def test_w_huge_key_sets_are_refused(signer: WebhookSigner, keyhost: Any) -> None:
    def huge(handler: Any, declared: bool) -> None:
        handler.send_response(200)
        if declared:
            handler.send_header("Content-Length", str(50 << 20))
        handler.end_headers()
        handler.wfile.write(b'{"keys": [' + b" " * (1 << 20))

    keyhost.routes["/huge"] = lambda h: huge(h, True)
    keyhost.routes["/stream"] = lambda h: huge(h, False)
    body = body_of(signer)
    headers = signer.headers(body, schemes=("v1a",))
    for path in ("/huge", "/stream"):
        start = time.monotonic()
        refused("keys", body, headers, jwks=webhooks.JwksKeys(keyhost.url(path)))
        assert time.monotonic() - start < 2.0


def test_w_key_host_redirect_and_swap_are_refused(signer: WebhookSigner, keyhost: Any) -> None:
    attacker = WebhookSigner()
    evil = KeyHost(attacker)
    try:

        def redirect(handler: Any) -> None:
            handler.send_response(302)
            handler.send_header("Location", evil.url())
            handler.send_header("Content-Length", "0")
            handler.end_headers()

        keyhost.routes["/moved"] = redirect
        body = body_of(attacker)
        forged = attacker.headers(body, schemes=("v1a",))
        refused("keys", body, forged, jwks=webhooks.JwksKeys(keyhost.url("/moved")))
        assert evil.hits == {}
        # Signed with a key that is not in the configured set: refused.
        refused("signature", body, forged, jwks=webhooks.JwksKeys(keyhost.url()))
    finally:
        evil.close()


def test_w_key_host_gets_no_credentials(
    signer: WebhookSigner, keyhost: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GOOGLE_API_KEY", "AIzaSyATTACK4-not-for-the-key-host")
    monkeypatch.setenv("GEMINI_API_KEY", "AIzaSyATTACK4-not-for-the-key-host")
    body = body_of(signer)
    headers = signer.headers(body, schemes=("v1a",))
    assert webhooks.verify(body, headers, jwks=webhooks.JwksKeys(keyhost.url()))
    sent = json.dumps(keyhost.seen_headers).lower()
    assert "attack4" not in sent and "authorization" not in sent and "x-goog" not in sent


@pytest.mark.parametrize(
    "url",
    [
        "http://evil.example/jwks",
        "http://127.0.0.1.evil.example/jwks",
        "http://localhost.evil.example/jwks",
        "http://localhost@evil.example/jwks",
        "ftp://127.0.0.1/jwks",
        "file:///etc/passwd",
        "https:///jwks",
        "//evil.example/jwks",
    ],
)
def test_w_key_set_urls_off_https_are_refused(url: str) -> None:
    with pytest.raises(RequestValidationError):
        webhooks.JwksKeys(url)


# -- secrets stay out of errors ---------------------------------------------------------------


def _chain(error: BaseException) -> str:
    texts = []
    seen: BaseException | None = error
    while seen is not None:
        texts += [str(seen), repr(seen), repr(getattr(seen, "__dict__", ""))]
        seen = seen.__cause__ or seen.__context__
    return " ".join(texts)


def test_w_errors_never_carry_secret_signature_or_token(
    signer: WebhookSigner, keyhost: Any
) -> None:
    body = body_of(signer)
    headers = signer.headers(body)
    signature = headers["webhook-signature"].split(",", 1)[1]
    other = WebhookSigner()
    bad_secrets = [
        other.secret,
        "whsec_!!notbase64!!" + signer.secret[6:],
        [other.secret, "whsec_###" + signer.secret[9:]],
    ]
    texts = []
    for secret in bad_secrets:
        for hdrs in (headers, {**headers, "webhook-id": "msg_x"}):
            with pytest.raises(webhooks.WebhookVerificationError) as info:
                webhooks.verify(body, hdrs, secret=secret)
            texts.append(_chain(info.value))
    token = signer.jwt({"iat": 1, "exp": 2}, kid="unknown-kid")
    with pytest.raises(webhooks.WebhookVerificationError) as info:
        webhooks.verify(body, _jwt_headers(token), jwks=keyhost.url())
    texts.append(_chain(info.value))
    joined = " ".join(texts)
    for secret_text in (signer.secret, signer.secret[6:], other.secret[6:], signature, token):
        assert secret_text not in joined


def test_w_one_good_jwt_entry_suffices(signer: WebhookSigner, keyhost: Any) -> None:
    body = body_of(signer)
    now = int(time.time())
    good = signer.jwt({"iat": now, "exp": now + 60})
    stale = WebhookSigner().jwt(
        {"iat": now, "exp": now + 60}
    )  # a key not (or no longer) in the set
    assert webhooks.verify(body, _jwt_headers(good), jwks=keyhost.url())
    assert webhooks.verify(body, _jwt_headers(f"{stale} {good}"), jwks=keyhost.url())
