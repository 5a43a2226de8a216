"""Minimal reproductions of the promises veowrap breaks against a hostile server.

Every test here asserts the promise, so it FAILS while the bug exists.
(The broad attack suites mark the same cases xfail(strict=True); see conftest.py.)
"""

from __future__ import annotations

import base64
import logging
import socket
import threading
import time
import traceback

import pytest
from hostile import (
    API_KEY,
    MODEL,
    MP4,
    OMNI,
    TOKEN,
    Hostile,
    gemini_client,
    generator,
    google_error,
    normal,
    raw,
    send,
)

import veowrap

OP = f"projects/p/locations/us-central1/publishers/google/models/{MODEL}/operations/"


@pytest.fixture
def serve():
    servers = []

    def make(handler):
        server = Hostile(handler)
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.close()


# == Promise 1: never pay twice ==============================================================


def test_p1_vertex_create_answered_307_is_resent(serve):
    """Accept the create, answer 307 to the same URL: httpx (follow_redirects=True, set by
    google-genai) re-POSTs the billable body. 2 accepted creates for one submit."""
    state = {"n": 0}

    def handler(server, request, sock):
        if request.is_create:
            state["n"] += 1
            server.accept()
            if state["n"] == 1:
                send(sock, 307, b"", headers={"Location": request.path})
            else:
                send(sock, 200, {"name": list(server.operations)[-1]})
            return True
        return normal(server, request, sock)

    server = serve(handler)
    try:
        generator(server).submit("a cat", model=MODEL, timeout=3)
    except veowrap.VeowrapError:
        pass
    assert server.accepted == 1, f"{server.accepted} creates accepted for one submit"


def test_p1_interactions_create_redirect_loop_pays_21_times(serve):
    """Every create accepted and answered 308 to itself: 21 billable creates (httpx's
    max_redirects=20), then a TooManyRedirects surfaces."""

    def handler(server, request, sock):
        if request.is_create:
            server.accept("x")
            send(sock, 308, b"", headers={"Location": request.path})
            return True
        send(sock, 404, google_error(404, "no", "NOT_FOUND"))
        return True

    server = serve(handler)
    try:
        generator(server, client=gemini_client(server)).submit("a cat", model=OMNI, timeout=4)
    except veowrap.VeowrapError:
        pass
    assert server.accepted == 1, f"{server.accepted} creates accepted for one submit"


# == Promise 2: deadlines ====================================================================

GCS_DONE = {
    "done": True,
    "response": {"videos": [{"gcsUri": "gs://bucket/out/sample_0.mp4", "mimeType": "video/mp4"}]},
}


def _gcs_server(serve, download):
    def handler(server, request, sock):
        if request.is_create:
            send(sock, 200, {"name": server.accept()})
            return True
        if request.is_poll:
            send(sock, 200, {"name": request.json()["operationName"], **GCS_DONE})
            return True
        download(sock)
        return False

    server = serve(handler)
    return generator(server).generate(
        "a cat", model=MODEL, timeout=5, output_gcs_uri="gs://bucket/out/"
    )


def test_p2_save_timeout_not_enforced_while_server_stalls(serve, tmp_path):
    """save(timeout=1) waits for the whole stall (bounded only by download_timeout=60 s per
    read): here the server lets go after 4 s, and save returns 3 s after its deadline."""
    result = _gcs_server(serve, lambda sock: time.sleep(4))
    start = time.monotonic()
    with pytest.raises(veowrap.DownloadError):
        result.save(tmp_path, timeout=1)
    overrun = time.monotonic() - start - 1
    assert overrun <= 1.0, f"save returned {overrun:.2f} s after its deadline"


def test_p2_save_timeout_trickled_headers(serve, tmp_path):
    """Headers trickled a byte every 50 ms for 4 s: save(timeout=1) blocks in urlopen, then
    reports success (an empty file) 3 s after its deadline."""

    def trickle(sock):
        raw(sock, b"HTTP/1.1 200 OK\r\n")
        end = time.monotonic() + 4
        while time.monotonic() < end:
            raw(sock, b"X-A: b\r\n")
            time.sleep(0.05)

    result = _gcs_server(serve, trickle)
    start = time.monotonic()
    try:
        result.save(tmp_path, timeout=1)
    except veowrap.DownloadError:
        pass
    overrun = time.monotonic() - start - 1
    assert overrun <= 1.0, f"save returned {overrun:.2f} s after its deadline"


# == Promise 3: secrets ======================================================================


def _name_is_token(serve):
    def handler(server, request, sock):
        if request.is_create:
            send(sock, 200, {"name": server.accept(OP + TOKEN)})
            return True
        if request.is_poll:
            send(sock, 200, {"name": request.json()["operationName"], "done": False})
            return True
        return normal(server, request, sock)

    return serve(handler)


def test_p3_operation_name_echoing_token_leaks_into_handle_and_events(serve):
    """The server names the operation after the bearer token. handle.to_json(), repr(handle)
    and the Submitted event carry it verbatim."""
    server = _name_is_token(serve)
    events = []
    # veowrap refuses such a name (a handle carrying it could never be saved safely): the
    # create is then uncertain. Either way the token must appear nowhere.
    try:
        handle = generator(server).submit("a cat", model=MODEL, timeout=3, on_event=events.append)
    except veowrap.SubmissionUncertainError as error:
        assert TOKEN not in "".join(traceback.format_exception(error))
    else:
        assert TOKEN not in handle.to_json()
        assert TOKEN not in repr(handle)
    assert TOKEN not in repr(events)


def test_p3_operation_name_echoing_token_leaks_into_error_text(serve):
    """OperationTimeoutError's text ends in '(operation: <name>)', appended after redaction."""
    server = _name_is_token(serve)
    with pytest.raises((veowrap.OperationTimeoutError, veowrap.SubmissionUncertainError)) as caught:
        generator(server).generate("a cat", model=MODEL, timeout=0.5)
    assert TOKEN not in str(caught.value)


def test_p3_retrying_event_cause_carries_error_status_verbatim(serve):
    """A 429 whose error.status is the token: the Retrying event's cause is
    'HTTP 429 <token>' (Fault.reason is never redacted)."""
    state = {"n": 0}

    def handler(server, request, sock):
        if request.is_create:
            state["n"] += 1
            if state["n"] == 1:
                token = request.headers["authorization"].removeprefix("Bearer ")
                send(sock, 429, google_error(429, "slow down", token), headers={"Retry-After": "0"})
                return True
        return normal(server, request, sock)

    server = serve(handler)
    events = []
    generator(server).generate("a cat", model=MODEL, timeout=3, on_event=events.append)
    assert TOKEN not in repr(events)


def test_p3_status_repr_carries_error_code_and_filter_reasons(serve):
    """gen.status() returns an OperationStatus whose repr shows the server's error code and
    filter reasons unredacted."""

    def handler(server, request, sock):
        if request.is_poll:
            send(
                sock,
                200,
                {
                    "name": request.json()["operationName"],
                    "done": True,
                    "response": {
                        "raiMediaFilteredCount": 1,
                        "raiMediaFilteredReasons": [f"echo {TOKEN}"],
                        "videos": [],
                    },
                },
            )
            return True
        return normal(server, request, sock)

    server = serve(handler)
    status = generator(server).status(OP + "abc", timeout=2)
    assert TOKEN not in repr(status)


def test_p3_video_uri_echoing_token_leaks_into_result_repr(serve):
    """A gs:// URI containing the token (and key=...) is shown verbatim by repr(video) and
    video.uri."""

    def handler(server, request, sock):
        if request.is_poll:
            send(
                sock,
                200,
                {
                    "name": request.json()["operationName"],
                    "done": True,
                    "response": {
                        "videos": [
                            {"gcsUri": f"gs://bucket/{TOKEN}/x.mp4", "mimeType": "video/mp4"}
                        ]
                    },
                },
            )
            return True
        return normal(server, request, sock)

    server = serve(handler)
    result = generator(server).generate("a cat", model=MODEL, timeout=3)
    assert TOKEN not in repr(result.videos[0])


def test_p3_cross_origin_redirect_sends_api_key_to_another_host(serve):
    """A 307 on the create to another origin: x-goog-api-key (unlike Authorization) is not
    stripped by httpx, so the key is sent to a host the caller never configured."""
    thief = socket.socket()
    thief.bind(("127.0.0.2", 0))
    thief.listen(4)
    thief.settimeout(4)
    thief_url = f"http://127.0.0.2:{thief.getsockname()[1]}"
    stolen = {"head": ""}

    def steal():
        try:
            conn, _ = thief.accept()
            conn.settimeout(3)
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = conn.recv(65536)
                if not chunk:
                    break
                data += chunk
            stolen["head"] = data.decode("latin-1")
            conn.sendall(b"HTTP/1.1 404 X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            conn.close()
        except OSError:
            pass

    thread = threading.Thread(target=steal, daemon=True)
    thread.start()

    def handler(server, request, sock):
        send(sock, 307, b"", headers={"Location": thief_url + request.path})
        return True

    server = serve(handler)
    try:
        generator(server, client=gemini_client(server)).submit("a cat", model=OMNI, timeout=3)
    except veowrap.VeowrapError:
        pass
    thread.join(4)
    thief.close()
    assert API_KEY not in stolen["head"]


def test_p3_httpcore_debug_log_shows_echoed_response_header(serve):
    """With root at DEBUG, httpcore2 logs response headers; a server echoing the token in a
    header puts it in the log (outside the 'veowrap' logger's redacting filter)."""
    lines = []

    class Grab(logging.Handler):
        def emit(self, record):
            lines.append(record.getMessage())

    root = logging.getLogger()
    grab, level = Grab(logging.DEBUG), root.level
    root.addHandler(grab)
    root.setLevel(logging.DEBUG)
    try:

        def handler(server, request, sock):
            if request.is_create:
                token = request.headers["authorization"].removeprefix("Bearer ")
                send(sock, 200, {"name": server.accept()}, headers={"X-Echo": token})
                return True
            return normal(server, request, sock)

        generator(serve(handler)).submit("a cat", model=MODEL, timeout=3)
    finally:
        root.removeHandler(grab)
        root.setLevel(level)
    assert not [line for line in lines if TOKEN in line]


def test_p3_repr_of_chained_sdk_error_keeps_echoed_key(serve):
    """Interactions 400 echoing the key: redact_chain swaps links whose str() shows it, but a
    deeper ResponseValidationError (str clean) keeps .body, and its repr shows the key."""

    def handler(server, request, sock):
        send(
            sock,
            400,
            google_error(400, f"bad key {request.headers['x-goog-api-key']}", "INVALID_ARGUMENT"),
        )
        return True

    server = serve(handler)
    with pytest.raises(veowrap.VeowrapError) as caught:
        generator(server, client=gemini_client(server)).submit("a cat", model=OMNI, timeout=3)
    reprs, current = [], caught.value
    while current is not None:
        reprs.append(repr(current))
        current = current.__cause__ or current.__context__
    assert API_KEY not in "\n".join(reprs)


# == Other: downloads ========================================================================


def test_other_close_delimited_empty_body_saved_as_success(serve, tmp_path):
    """A 200 without Content-Length whose connection closes at once: save() reports success
    and leaves a 0-byte .mp4 (a truncated close-delimited body is likewise accepted)."""
    result = _gcs_server(
        serve, lambda sock: raw(sock, b"HTTP/1.1 200 OK\r\nContent-Type: video/mp4\r\n\r\n")
    )
    try:
        paths = result.save(tmp_path, timeout=3)
    except veowrap.DownloadError:
        return
    assert paths[0].stat().st_size > 0, "an empty video was saved as a success"


_ = (base64, MP4)
