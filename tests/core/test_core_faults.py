"""`faults.describe` and `faults.classify`: real exceptions in, verdicts and typed errors out.

Every exception here is built the way its library builds it (google-genai's ``APIError`` family
from a status code, a JSON body and an ``httpx2.Response``; httpx2 transport errors with a
request; urllib errors raised inside ``except`` so they carry ``__context__``). No mocks.
"""

from __future__ import annotations

import email.message
import http.client
import json
import urllib.error
from collections.abc import Callable
from typing import Any

import httpx2
import pytest
from google.auth.exceptions import RefreshError
from google.genai import errors as genai_errors

from veowrap._core.faults import Fault, Phase, Verdict, classify, describe
from veowrap._errors import (
    ConfigurationError,
    OperationNotFoundError,
    QuotaExceededError,
    RequestValidationError,
    ServiceRejectedError,
    ServiceUnavailableError,
    SubmissionUncertainError,
    UnsupportedCapabilityError,
    VeowrapError,
)
from veowrap._handle import OperationHandle
from veowrap._request import VideoRequest

REQUEST = VideoRequest(prompt="a paper boat on a rainy street")
HANDLE = OperationHandle.from_name("models/veo-3.1-generate-preview/operations/op123")
RETRY_INFO = "type.googleapis.com/google.rpc.RetryInfo"
GOOGLE_STATUS = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    408: "DEADLINE_EXCEEDED",
    409: "ALREADY_EXISTS",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    502: "UNAVAILABLE",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}


# --------------------------------------------------------------------------- exception factories


def api_error(
    code: int,
    message: str = "",
    *,
    headers: dict[str, str] | None = None,
    details: list[dict[str, Any]] | None = None,
    cls: type[genai_errors.APIError] | None = None,
) -> genai_errors.APIError:
    """A google-genai error exactly as its ``raise_for_response`` builds one."""
    error: dict[str, Any] = {"code": code, "message": message, "status": GOOGLE_STATUS.get(code)}
    if details is not None:
        error["details"] = details
    body = {"error": error}
    response = httpx2.Response(code, headers=headers or {}, json=body)
    if cls is None:
        cls = genai_errors.ClientError if code < 500 else genai_errors.ServerError
    return cls(code, body, response)


def retry_info(delay: str) -> list[dict[str, Any]]:
    return [{"@type": RETRY_INFO, "retryDelay": delay}]


_REQ = httpx2.Request("POST", "https://generativelanguage.googleapis.com/v1beta/x")


def connect_error() -> Exception:
    return httpx2.ConnectError("[Errno 111] Connection refused", request=_REQ)


def connect_timeout() -> Exception:
    return httpx2.ConnectTimeout("timed out while connecting", request=_REQ)


def read_timeout() -> Exception:
    return httpx2.ReadTimeout("The read operation timed out", request=_REQ)


def remote_protocol() -> Exception:
    return httpx2.RemoteProtocolError("Server disconnected without sending a response.")


def url_http_error(code: int, retry_after: str | None = None) -> urllib.error.HTTPError:
    headers = email.message.Message()
    headers["Content-Type"] = "application/xml"
    if retry_after is not None:
        headers["Retry-After"] = retry_after
    return urllib.error.HTTPError(
        "https://storage.googleapis.com/b/o.mp4", code, "Some Reason", headers, None
    )


def url_error_refused() -> urllib.error.URLError:
    """What ``urllib.request.urlopen`` raises when nothing listens: URLError from OSError."""
    try:
        try:
            raise ConnectionRefusedError(111, "Connection refused")
        except ConnectionRefusedError as refused:
            raise urllib.error.URLError(refused)  # noqa: B904 - urllib itself chains implicitly
    except urllib.error.URLError as error:
        return error


def url_error_reset() -> urllib.error.URLError:
    try:
        try:
            raise ConnectionResetError(104, "Connection reset by peer")
        except ConnectionResetError as reset:
            raise urllib.error.URLError(reset)  # noqa: B904
    except urllib.error.URLError as error:
        return error


def json_error() -> json.JSONDecodeError:
    try:
        json.loads('{"name": ')
    except json.JSONDecodeError as error:
        return error
    raise AssertionError("unreachable")


def incomplete_read() -> Exception:
    return http.client.IncompleteRead(b"abc", 1000)


Factory = Callable[[], BaseException]


# ------------------------------------------------------------------------------------- describe

# id, factory, kind, status, retry_after, reason
DESCRIBE_TABLE: list[tuple[str, Factory, str, int | None, float | None, str | None]] = [
    ("client-429-header", lambda: api_error(429, "Quota", headers={"Retry-After": "7"}),
     "http", 429, 7.0, "RESOURCE_EXHAUSTED"),
    ("client-429-lowercase-header", lambda: api_error(429, headers={"retry-after": "3"}),
     "http", 429, 3.0, "RESOURCE_EXHAUSTED"),
    ("client-429-retryinfo", lambda: api_error(429, details=retry_info("12s")),
     "http", 429, 12.0, "RESOURCE_EXHAUSTED"),
    ("server-503-retryinfo-fraction", lambda: api_error(503, details=retry_info("1.5s")),
     "http", 503, 1.5, "UNAVAILABLE"),
    ("header-beats-body",
     lambda: api_error(429, headers={"Retry-After": "2"}, details=retry_info("30s")),
     "http", 429, 2.0, "RESOURCE_EXHAUSTED"),
    ("http-date-header-falls-back-to-body",
     lambda: api_error(
         503, headers={"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}, details=retry_info("4s")
     ),
     "http", 503, 4.0, "UNAVAILABLE"),
    ("negative-header-clamped", lambda: api_error(429, headers={"Retry-After": "-5"}),
     "http", 429, 0.0, "RESOURCE_EXHAUSTED"),
    ("unparseable-retrydelay", lambda: api_error(429, details=retry_info("soon")),
     "http", 429, None, "RESOURCE_EXHAUSTED"),
    ("no-retry-hint", lambda: api_error(500, "boom"), "http", 500, None, "INTERNAL"),
    ("apierror-400", lambda: api_error(400, "bad", cls=genai_errors.APIError),
     "http", 400, None, "INVALID_ARGUMENT"),
    ("apierror-no-response",
     lambda: genai_errors.ServerError(502, {"error": {"code": 502, "message": "bad gw"}}, None),
     "http", 502, None, None),
    ("urllib-404", lambda: url_http_error(404), "http", 404, None, None),
    ("urllib-503-no-header", lambda: url_http_error(503), "http", 503, None, None),
    ("httpx2-connect-error", connect_error, "connect", None, None, None),
    ("httpx2-connect-timeout", connect_timeout, "connect", None, None, None),
    ("httpx2-read-timeout", read_timeout, "timeout", None, None, None),
    ("httpx2-remote-protocol", remote_protocol, "disconnect", None, None, None),
    ("connection-refused", ConnectionRefusedError, "connect", None, None, None),
    ("connection-reset", ConnectionResetError, "disconnect", None, None, None),
    ("builtin-timeout", TimeoutError, "timeout", None, None, None),
    ("urllib-urlerror-reset", url_error_reset, "disconnect", None, None, None),
    ("incomplete-read", incomplete_read, "disconnect", None, None, None),
    ("json-decode", json_error, "malformed", None, None, None),
    ("refresh-error", lambda: RefreshError("token expired"), "auth", None, None, None),
    ("runtime-error", lambda: RuntimeError("boom"), "other", None, None, None),
]  # fmt: skip


@pytest.mark.parametrize(
    ("factory", "kind", "status", "retry_after", "reason"),
    [pytest.param(*row[1:], id=row[0]) for row in DESCRIBE_TABLE],
)
def test_describe(
    factory: Factory,
    kind: str,
    status: int | None,
    retry_after: float | None,
    reason: str | None,
) -> None:
    fault = describe(factory())
    assert (fault.kind, fault.status, fault.retry_after, fault.reason) == (
        kind,
        status,
        retry_after,
        reason,
    )


def test_describe_reads_retry_after_from_urllib_http_error() -> None:
    assert describe(url_http_error(503, retry_after="5")).retry_after == 5.0


def test_describe_urllib_refused_connection_is_connect() -> None:
    assert describe(url_error_refused()).kind == "connect"


def test_describe_message_comes_from_the_server_body() -> None:
    fault = describe(api_error(400, "  Prompt is too long.  "))
    assert fault.message == "Prompt is too long."


def test_describe_message_falls_back_to_str_of_exception() -> None:
    fault = describe(url_http_error(500))
    assert fault.message == "HTTP Error 500: Some Reason"


def test_describe_empty_server_message_falls_back_to_sdk_text() -> None:
    fault = describe(api_error(503))
    assert fault.message.startswith("503 UNAVAILABLE.")


def test_describe_survives_a_broken_str() -> None:
    class Broken(Exception):
        def __str__(self) -> str:
            raise RuntimeError("no")

    assert describe(Broken()).message == "Broken: Broken"


def test_describe_truncates_malformed_messages() -> None:
    try:
        json.loads("[" + "1," * 500 + "x]")
    except json.JSONDecodeError as error:
        assert len(describe(error).message) <= 200


@pytest.mark.parametrize(
    ("fault", "text"),
    [
        (Fault("http", status=429, reason="RESOURCE_EXHAUSTED"), "HTTP 429 RESOURCE_EXHAUSTED"),
        (Fault("http", status=503), "HTTP 503"),
        (Fault("timeout", message="read timed out"), "timeout: read timed out"),
        (Fault("connect"), "connect"),
    ],
)
def test_fault_describe_text(fault: Fault, text: str) -> None:
    assert fault.describe() == text


# ------------------------------------------------------------------------------------- classify

RETRY = "retry"
GIVE_UP = "give up"
UNCERTAIN = "uncertain"

# id, factory, verdict on submit, verdict on poll / download / cancel
VERDICT_TABLE: list[tuple[str, Factory, str, str]] = [
    ("429", lambda: api_error(429), RETRY, RETRY),
    # A create answered 408/500/502/504 may have been accepted: Google retries non-idempotent
    # calls only on 429, 503 and connection failures.
    ("408", lambda: api_error(408), UNCERTAIN, RETRY),
    ("500", lambda: api_error(500), UNCERTAIN, RETRY),
    ("502", lambda: api_error(502), UNCERTAIN, RETRY),
    ("503", lambda: api_error(503), RETRY, RETRY),
    ("504", lambda: api_error(504), UNCERTAIN, RETRY),
    ("400", lambda: api_error(400), GIVE_UP, GIVE_UP),
    ("401", lambda: api_error(401), GIVE_UP, GIVE_UP),
    ("403", lambda: api_error(403), GIVE_UP, GIVE_UP),
    ("404", lambda: api_error(404), GIVE_UP, GIVE_UP),
    ("409", lambda: api_error(409), GIVE_UP, GIVE_UP),
    ("urllib-503", lambda: url_http_error(503), RETRY, RETRY),
    ("urllib-403", lambda: url_http_error(403), GIVE_UP, GIVE_UP),
    ("httpx2-connect-error", connect_error, RETRY, RETRY),
    ("httpx2-connect-timeout", connect_timeout, RETRY, RETRY),
    ("connection-refused", ConnectionRefusedError, RETRY, RETRY),
    ("httpx2-read-timeout", read_timeout, UNCERTAIN, RETRY),
    ("builtin-timeout", TimeoutError, UNCERTAIN, RETRY),
    ("httpx2-remote-protocol", remote_protocol, UNCERTAIN, RETRY),
    ("connection-reset", ConnectionResetError, UNCERTAIN, RETRY),
    ("urllib-urlerror-reset", url_error_reset, UNCERTAIN, RETRY),
    ("incomplete-read", incomplete_read, UNCERTAIN, RETRY),
    ("json-decode", json_error, UNCERTAIN, RETRY),
    ("refresh-error", lambda: RefreshError("expired"), GIVE_UP, GIVE_UP),
    ("runtime-error", lambda: RuntimeError("boom"), GIVE_UP, GIVE_UP),
]


def _verdict_word(verdict: Verdict) -> str:
    assert not (verdict.retry and verdict.uncertain), "a retried call cannot be uncertain"
    return RETRY if verdict.retry else UNCERTAIN if verdict.uncertain else GIVE_UP


@pytest.mark.parametrize(
    ("factory", "expected"),
    [pytest.param(row[1], row[2], id=row[0]) for row in VERDICT_TABLE],
)
def test_classify_submit(factory: Factory, expected: str) -> None:
    verdict = classify(factory(), "submit")
    assert verdict.phase == "submit"
    assert _verdict_word(verdict) == expected


@pytest.mark.parametrize(
    ("factory", "expected"),
    [
        pytest.param(lambda: api_error(503), UNCERTAIN, id="503"),
        pytest.param(lambda: url_http_error(503), UNCERTAIN, id="urllib-503"),
        pytest.param(lambda: api_error(429), RETRY, id="429"),
        pytest.param(connect_error, RETRY, id="connect"),
        pytest.param(lambda: api_error(500), UNCERTAIN, id="500"),
    ],
)
def test_classify_submit_strict_rule_does_not_retry_503(factory: Factory, expected: str) -> None:
    verdict = classify(factory(), "submit", retry_unavailable_create=False)
    assert _verdict_word(verdict) == expected


@pytest.mark.parametrize("phase", ["poll", "download", "cancel"])
@pytest.mark.parametrize(
    ("factory", "expected"),
    [pytest.param(row[1], row[3], id=row[0]) for row in VERDICT_TABLE],
)
def test_classify_read_phases(factory: Factory, expected: str, phase: Phase) -> None:
    verdict = classify(factory(), phase)
    assert verdict.phase == phase
    assert _verdict_word(verdict) == expected


def test_classify_download_retries_urllib_refused_connection() -> None:
    assert classify(url_error_refused(), "download").retry


def test_classify_accepts_a_fault() -> None:
    fault = Fault("http", status=503)
    verdict = classify(fault, "poll")
    assert verdict.fault is fault
    assert verdict.retry


# ------------------------------------------------------------------------- typed error per status


# id, factory, phase, error class (exact), attribute checks
ERROR_TABLE: list[tuple[str, Factory, Phase, type[VeowrapError], dict[str, Any]]] = [
    ("429-submit-header", lambda: api_error(429, "Quota", headers={"Retry-After": "7"}),
     "submit", QuotaExceededError, {"retry_after": 7.0}),
    ("429-poll-retryinfo", lambda: api_error(429, details=retry_info("12s")),
     "poll", QuotaExceededError, {"retry_after": 12.0, "handle": HANDLE}),
    ("429-no-hint", lambda: api_error(429), "download", QuotaExceededError, {"retry_after": None}),
    ("404-poll", lambda: api_error(404, "not found"),
     "poll", OperationNotFoundError, {"handle": HANDLE}),
    ("404-cancel", lambda: api_error(404), "cancel", OperationNotFoundError, {"handle": HANDLE}),
    ("404-download-urllib", lambda: url_http_error(404),
     "download", OperationNotFoundError, {"handle": HANDLE}),
    ("404-submit", lambda: api_error(404, "models/veo-9 is not found"),
     "submit", UnsupportedCapabilityError, {"handle": None}),
    ("401-submit", lambda: api_error(401), "submit", ConfigurationError, {}),
    ("403-poll", lambda: api_error(403), "poll", ConfigurationError, {"handle": HANDLE}),
    ("400-api-key-submit",
     lambda: api_error(400, "API key not valid. Please pass a valid API key."),
     "submit", ConfigurationError, {}),
    ("400-api-key-poll", lambda: api_error(400, "API key not valid."),
     "poll", ConfigurationError, {"handle": HANDLE}),
    ("400-submit", lambda: api_error(400, "duration_seconds must be 4, 6 or 8"),
     "submit", ServiceRejectedError, {"status_code": 400, "model": "veo-3.1"}),
    ("400-poll", lambda: api_error(400, "bad name"), "poll", VeowrapError, {"handle": HANDLE}),
    ("409-submit", lambda: api_error(409), "submit", VeowrapError, {}),
    ("500-submit", lambda: api_error(500),
     "submit", SubmissionUncertainError, {"request": REQUEST}),
    ("503-submit", lambda: api_error(503), "submit", ServiceUnavailableError, {}),
    ("502-poll", lambda: api_error(502), "poll", ServiceUnavailableError, {"handle": HANDLE}),
    ("503-download", lambda: api_error(503), "download", ServiceUnavailableError, {}),
    ("504-cancel", lambda: api_error(504), "cancel", ServiceUnavailableError, {}),
    ("408-submit", lambda: api_error(408),
     "submit", SubmissionUncertainError, {"request": REQUEST}),
    ("connect-submit", connect_error, "submit", ServiceUnavailableError, {}),
    ("read-timeout-submit", read_timeout,
     "submit", SubmissionUncertainError, {"request": REQUEST}),
    ("reset-submit", ConnectionResetError,
     "submit", SubmissionUncertainError, {"request": REQUEST}),
    ("malformed-submit", json_error, "submit", SubmissionUncertainError, {"request": REQUEST}),
    ("read-timeout-poll", read_timeout, "poll", ServiceUnavailableError, {"handle": HANDLE}),
    ("refresh-error-poll", lambda: RefreshError("expired"),
     "poll", ConfigurationError, {"handle": HANDLE}),
    ("runtime-error-poll", lambda: RuntimeError("boom"),
     "poll", ServiceUnavailableError, {"handle": HANDLE}),
]  # fmt: skip


@pytest.mark.parametrize(
    ("factory", "phase", "error_type", "attributes"),
    [pytest.param(*row[1:], id=row[0]) for row in ERROR_TABLE],
)
def test_verdict_error(
    factory: Factory,
    phase: Phase,
    error_type: type[VeowrapError],
    attributes: dict[str, Any],
) -> None:
    error = classify(factory(), phase).error(handle=HANDLE, request=REQUEST, model="veo-3.1")
    assert type(error) is error_type
    for name, value in attributes.items():
        assert getattr(error, name) == value, name
    if error_type is not VeowrapError:  # the catch-all has nothing specific to advise
        assert error.hint, "every typed error tells the caller what to do"


def test_uncertain_without_request_is_not_submission_uncertain() -> None:
    error = classify(read_timeout(), "submit").error()
    assert type(error) is ServiceUnavailableError


@pytest.mark.parametrize(
    ("phase", "words"),
    [
        ("submit", "submitting the request"),
        ("poll", "reading the operation"),
        ("download", "downloading the video"),
        ("cancel", "cancelling the operation"),
    ],
)
def test_error_message_names_the_phase(phase: Phase, words: str) -> None:
    error = classify(api_error(500, "boom"), phase).error()
    assert f"HTTP 500 while {words}: boom" in str(error)


def test_error_message_without_server_message_has_no_dangling_colon() -> None:
    error = classify(Fault("http", status=503), "poll").error()
    assert error.message == "HTTP 503 while reading the operation"


def test_404_submit_hint_names_the_model() -> None:
    error = classify(api_error(404), "submit").error(model="veo-9")
    assert "'veo-9'" in (error.hint or "")


def test_400_submit_keeps_the_service_message() -> None:
    error = classify(api_error(400, "fps must be 24"), "submit").error(model="veo-3.1")
    assert isinstance(error, ServiceRejectedError)
    assert not isinstance(error, RequestValidationError)  # that one means "before any call"
    assert error.service_message == "fps must be 24"
    assert "fps must be 24" in str(error)


def test_uncertain_error_says_it_was_not_resent() -> None:
    error = classify(ConnectionResetError(), "submit").error(request=REQUEST)
    assert isinstance(error, SubmissionUncertainError)
    assert "not re-sent" in error.message
    assert error.handle is None
