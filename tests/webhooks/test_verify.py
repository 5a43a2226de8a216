"""webhooks.verify against real signatures: v1 HMAC, v1a Ed25519 and JWT (keys served over a
loopback JWKS), and the attacks a public endpoint must survive."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator

import pytest

from veowrap import VeowrapError, webhooks
from veowrap._errors import UsageError
from veowrap.testing import RecordingServer, WebhookSigner
from veowrap.webhooks import JwksKeys, WebhookVerificationError

OP = "models/veo-3.1-generate-preview/operations/abc123"


@pytest.fixture(scope="module")
def signer() -> WebhookSigner:
    return WebhookSigner()


@pytest.fixture
def jwks_server(signer: WebhookSigner) -> Iterator[RecordingServer]:
    with RecordingServer(body=signer.jwks_bytes(), content_type="application/json") as server:
        yield server


@pytest.fixture
def keys(jwks_server: RecordingServer) -> JwksKeys:
    # A fresh cache per test: fetch counts are asserted.
    return JwksKeys(jwks_server.url("/.well-known/jwks.json"), cooldown=0)


def body(kind: str = "video.generated", **data: object) -> bytes:
    return WebhookSigner.body(kind, {"id": OP, **data})


def refused(check: str, *args: object, **kwargs: object) -> WebhookVerificationError:
    with pytest.raises(WebhookVerificationError) as info:
        webhooks.verify(*args, **kwargs)  # type: ignore[arg-type]
    assert info.value.check == check, info.value
    return info.value


# -- the three schemes -------------------------------------------------------------------------


def test_v1_hmac_verifies_and_parses_the_event(signer: WebhookSigner) -> None:
    raw = body(output_file_uri="files/x", file_name="files/x")
    event = webhooks.verify(raw, signer.headers(raw), secret=signer.secret)
    assert (event.type, event.scheme, event.operation_name) == ("video.generated", "v1", OP)
    assert event.output_uri == "files/x" and event.file_name == "files/x"
    assert event.id.startswith("msg_")


def test_v1a_ed25519_verifies_against_the_jwks_okp_key(
    signer: WebhookSigner, keys: JwksKeys, jwks_server: RecordingServer
) -> None:
    raw = body("interaction.completed")
    event = webhooks.verify(raw, signer.headers(raw, schemes=["v1a"]), jwks=keys)
    assert (event.scheme, event.interaction_id) == ("v1a", OP)
    # No credential of any kind goes to the key host.
    assert not jwks_server.saw_credentials()
    assert [r.method for r in jwks_server.requests] == ["GET"]


def test_jwt_rs256_and_eddsa_verify_with_audience(signer: WebhookSigner, keys: JwksKeys) -> None:
    raw = body()
    now = int(time.time())
    for algorithm in ("RS256", "EdDSA"):
        token = signer.jwt({"aud": "my-aud", "iat": now, "exp": now + 60}, algorithm=algorithm)
        headers = {**signer.headers(raw, schemes=["v1a"]), "webhook-signature": token}
        event = webhooks.verify(raw, headers, jwks=keys, audience="my-aud")
        assert event.scheme == "jwt"
    token = signer.jwt({"aud": "someone-else", "iat": now, "exp": now + 60})
    headers = {**signer.headers(raw), "webhook-signature": token}
    refused("signature", raw, headers, jwks=keys, audience="my-aud")


def test_jwt_that_signs_the_event_must_match_the_body(
    signer: WebhookSigner, keys: JwksKeys
) -> None:
    raw = body()
    envelope = json.loads(raw)
    token = signer.jwt({"type": envelope["type"], "data": envelope["data"]})
    headers = {**signer.headers(raw), "webhook-signature": token}
    assert webhooks.verify(raw, headers, jwks=keys).scheme == "jwt"
    forged = body(output_file_uri="gs://attacker/evil.mp4")
    refused("signature", forged, headers, jwks=keys)


def test_jwt_alg_none_hs256_and_unknown_kid_are_refused(
    signer: WebhookSigner, keys: JwksKeys, jwks_server: RecordingServer
) -> None:
    import jwt as pyjwt

    raw = body()
    base = signer.headers(raw)
    none_token = pyjwt.encode({"x": 1}, None, algorithm="none", headers={"kid": signer.rsa_kid})
    # HS256 keyed with the public key's text: the classic algorithm-confusion forgery.
    hs_token = pyjwt.encode(
        {"x": 1}, "public-key-as-secret-" * 3, algorithm="HS256", headers={"kid": signer.rsa_kid}
    )
    for token in (none_token, hs_token):
        refused("signature", raw, {**base, "webhook-signature": token}, jwks=keys)
    stranger = WebhookSigner()
    foreign = stranger.jwt({"x": 1}, kid=signer.rsa_kid)  # right kid, wrong key
    refused("signature", raw, {**base, "webhook-signature": foreign}, jwks=keys)


def test_jwt_jku_header_is_never_followed(signer: WebhookSigner, keys: JwksKeys) -> None:
    import jwt as pyjwt

    stranger = WebhookSigner()
    with RecordingServer(body=stranger.jwks_bytes(), content_type="application/json") as evil:
        token = pyjwt.encode(
            {"x": 1},
            stranger.rsa,
            algorithm="RS256",
            headers={"kid": stranger.rsa_kid, "jku": evil.url("/jwks.json")},
        )
        raw = body()
        refused("signature", raw, {**signer.headers(raw), "webhook-signature": token}, jwks=keys)
        assert evil.requests == []


# -- rotation, tampering, replay ---------------------------------------------------------------


def test_any_matching_entry_is_enough_during_a_rotation(signer: WebhookSigner) -> None:
    raw = body()
    old, new = WebhookSigner().secret, WebhookSigner().secret
    headers = signer.headers(raw, secrets=[old, new])
    assert len(headers["webhook-signature"].split()) == 2
    assert webhooks.verify(raw, headers, secret=new).scheme == "v1"
    assert webhooks.verify(raw, headers, secret=old).scheme == "v1"
    assert webhooks.verify(raw, signer.headers(raw, secrets=[new]), secret=[old, new])
    refused("signature", raw, headers, secret=WebhookSigner().secret)


def test_tampered_body_id_or_timestamp_is_refused(signer: WebhookSigner, keys: JwksKeys) -> None:
    raw = body()
    for schemes, kwargs in ((["v1"], {"secret": signer.secret}), (["v1a"], {"jwks": keys})):
        headers = signer.headers(raw, schemes=schemes)  # type: ignore[arg-type]
        refused("signature", raw.replace(b"abc123", b"abc124"), headers, **kwargs)
        refused("signature", raw + b" ", headers, **kwargs)
        refused("signature", raw, {**headers, "webhook-id": "msg_other"}, **kwargs)
        stamp = str(int(headers["webhook-timestamp"]) - 1)
        refused("signature", raw, {**headers, "webhook-timestamp": stamp}, **kwargs)


def test_stale_and_future_timestamps_are_refused_and_tolerance_is_configurable(
    signer: WebhookSigner,
) -> None:
    raw = body()
    old = signer.headers(raw, timestamp=int(time.time()) - 301)
    error = refused("timestamp", raw, old, secret=signer.secret)
    assert "too old" in str(error)
    future = signer.headers(raw, timestamp=int(time.time()) + 400)
    refused("timestamp", raw, future, secret=signer.secret)
    assert webhooks.verify(raw, old, secret=signer.secret, tolerance=600).scheme == "v1"
    with pytest.raises(VeowrapError):
        webhooks.verify(raw, old, secret=signer.secret, tolerance=-1)


def test_header_names_in_any_case_and_asgi_pairs(signer: WebhookSigner) -> None:
    raw = body()
    headers = signer.headers(raw)
    capitalised = {k.title(): v for k, v in headers.items()}  # Webhook-Id, as in #2927
    assert webhooks.verify(raw, capitalised, secret=signer.secret)
    pairs = [(k.upper().encode(), v.encode()) for k, v in headers.items()]
    assert webhooks.verify(raw, pairs, secret=signer.secret)


@pytest.mark.parametrize("missing", ["webhook-id", "webhook-timestamp", "webhook-signature"])
def test_missing_headers_are_named(signer: WebhookSigner, missing: str) -> None:
    raw = body()
    headers = {k: v for k, v in signer.headers(raw).items() if k != missing}
    assert missing in str(refused("headers", raw, headers, secret=signer.secret))


def test_malformed_headers_never_crash(signer: WebhookSigner) -> None:
    raw = body()
    good = signer.headers(raw)
    cases = {
        "webhook-timestamp": ["1.5e9", "-1", "abc", "١٢٣", "9" * 40],
        "webhook-id": ["has space", "x" * 300],
        "webhook-signature": ["v1", "v1,", "v2,abc", "garbage", "v1,!!!notbase64", ("v1,a " * 9)],
    }
    for name, values in cases.items():
        for value in values:
            with pytest.raises(WebhookVerificationError):
                webhooks.verify(raw, {**good, name: value}, secret=signer.secret)


def test_repeated_id_headers_with_different_values_are_refused(signer: WebhookSigner) -> None:
    raw = body()
    headers = signer.headers(raw)
    pairs = [(k.encode(), v.encode()) for k, v in headers.items()]
    pairs.append((b"webhook-id", b"msg_second"))
    refused("headers", raw, pairs, secret=signer.secret)


def test_huge_body_is_refused_before_any_crypto(signer: WebhookSigner) -> None:
    raw = b'{"type":"video.generated","data":{"pad":"' + b"x" * (300 << 10) + b'"}}'
    refused("body", raw, signer.headers(raw), secret=signer.secret)
    assert webhooks.verify(raw, signer.headers(raw), secret=signer.secret, max_body_bytes=1 << 20)


def test_signed_non_json_or_non_object_bodies_are_refused(signer: WebhookSigner) -> None:
    for raw in (b"not json", b"[1,2]", b"\xff\xfe"):
        with pytest.raises(WebhookVerificationError):
            webhooks.verify(
                raw, signer.headers(raw if raw != b"\xff\xfe" else b"x"), secret=signer.secret
            )
    raw = b"[1,2]"
    refused("body", raw, signer.headers(raw), secret=signer.secret)


def test_scheme_without_configured_keys_says_what_is_needed(signer: WebhookSigner) -> None:
    raw = body()
    error = refused(
        "configuration", raw, signer.headers(raw, schemes=["v1a"]), secret=signer.secret
    )
    assert "jwks=" in str(error)
    refused("configuration", raw, signer.headers(raw))


def test_errors_never_contain_the_secret_or_signature(signer: WebhookSigner) -> None:
    raw = body()
    headers = signer.headers(raw)
    messages = []
    for secret in (WebhookSigner().secret, "whsec_***not base64***", signer.secret):
        for h in (headers, {**headers, "webhook-timestamp": "1"}):
            try:
                webhooks.verify(raw + b"x", h, secret=secret)
            except WebhookVerificationError as error:
                messages.append(str(error))
    assert len(messages) == 6
    secret_b64 = signer.secret.removeprefix("whsec_")
    for text in messages:
        assert secret_b64 not in text and "not base64" not in text
        assert headers["webhook-signature"].split(",", 1)[1] not in text


def test_error_tier_is_a_usage_error() -> None:
    assert issubclass(WebhookVerificationError, UsageError)
    import veowrap

    assert veowrap.WebhookVerificationError is WebhookVerificationError


# -- the key set: cached, refetched once, only from the configured URL -------------------------


def test_jwks_is_cached_and_refetched_once_for_a_rotated_key(
    signer: WebhookSigner, jwks_server: RecordingServer
) -> None:
    keys = JwksKeys(jwks_server.url("/jwks.json"), cooldown=0)
    raw = body()
    for _ in range(3):
        webhooks.verify(raw, signer.headers(raw, schemes=["v1a"]), jwks=keys)
    assert keys.fetches == 1
    # A signature by a key not in the set: exactly one more fetch, then refusal.
    stranger = WebhookSigner()
    refused("signature", raw, stranger.headers(raw, schemes=["v1a"]), jwks=keys)
    assert keys.fetches == 2


def test_forged_deliveries_cannot_make_the_key_host_a_target(
    signer: WebhookSigner, jwks_server: RecordingServer
) -> None:
    keys = JwksKeys(jwks_server.url("/jwks.json"), cooldown=3600)
    raw = body()
    stranger = WebhookSigner()
    for _ in range(5):
        refused("signature", raw, stranger.headers(raw, schemes=["v1a"]), jwks=keys)
    assert keys.fetches == 1


def test_jwks_redirect_to_another_host_is_not_followed(signer: WebhookSigner) -> None:
    with RecordingServer(body=signer.jwks_bytes(), content_type="application/json") as evil:
        hop = RecordingServer(status=302, headers={"Location": evil.url("/jwks.json")})
        with hop:
            keys = JwksKeys(hop.url("/jwks.json"))
            raw = body()
            refused("keys", raw, signer.headers(raw, schemes=["v1a"]), jwks=keys)
            assert evil.requests == []


def test_jwks_must_be_https_except_loopback() -> None:
    for url in ("http://example.com/jwks.json", "ftp://x/y", "https://user:pw@example.com/j"):
        with pytest.raises(VeowrapError):
            JwksKeys(url)
    assert JwksKeys(webhooks.GOOGLE_JWKS_URL).url.startswith("https://generativelanguage.")


def test_oversized_or_broken_jwks_is_refused(signer: WebhookSigner) -> None:
    raw = body()
    headers = signer.headers(raw, schemes=["v1a"])
    for served in (b"x" * (70 << 10), b"not json", b'{"keys": []}', b'{"keys": [{"kty": "zz"}]}'):
        with RecordingServer(body=served, content_type="application/json") as server:
            refused("keys", raw, headers, jwks=JwksKeys(server.url("/j")))


def test_v1a_signature_of_wrong_length_or_encoding_is_refused(
    signer: WebhookSigner, keys: JwksKeys
) -> None:
    raw = body()
    headers = signer.headers(raw, schemes=["v1a"])
    short = "v1a," + base64.b64encode(b"x" * 10).decode()
    refused("signature", raw, {**headers, "webhook-signature": short}, jwks=keys)


def test_ed25519_work_per_delivery_is_bounded_by_a_key_cap(signer: WebhookSigner) -> None:
    from veowrap._core.webhooks import MAX_ED25519_KEYS

    decoys = [WebhookSigner().jwks()["keys"][0] for _ in range(MAX_ED25519_KEYS)]
    for n, key in enumerate(decoys):
        key["kid"] = f"decoy-{n}"
    document = {"keys": [*decoys, *signer.jwks()["keys"]]}
    raw = body()
    headers = signer.headers(raw, schemes=["v1a"])
    served = json.dumps(document).encode()
    with RecordingServer(body=served, content_type="application/json") as server:
        refused("signature", raw, headers, jwks=JwksKeys(server.url("/j")))
    document["keys"] = [*signer.jwks()["keys"], *decoys]
    with RecordingServer(body=json.dumps(document).encode()) as server:
        assert webhooks.verify(raw, headers, jwks=JwksKeys(server.url("/j"))).scheme == "v1a"


def test_a_failing_key_host_is_not_asked_again_per_delivery(signer: WebhookSigner) -> None:
    raw = body()
    headers = signer.headers(raw, schemes=["v1a"])
    with RecordingServer(status=503) as down:
        keys = JwksKeys(down.url("/jwks.json"), cooldown=3600)
        for _ in range(4):
            refused("keys", raw, headers, jwks=keys)
        assert len(down.requests) == 1
