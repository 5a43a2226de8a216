"""Hostile faults and `RecordingServer`, observed with raw sockets, `http.client` and httpx.

None of these go through veowrap's own download code: each checks what the emulator puts on
the wire.
"""

from __future__ import annotations

import gzip
import http.client
import importlib
import json
import socket
import threading
import time
import urllib.parse
import zlib
from collections.abc import Iterator
from typing import Any, cast

import pytest

from veowrap.testing import Fault, RecordingServer, VeoEmulator, inspect_mp4


def _httpx() -> Any:
    """httpx2 (google-genai 3.x) or httpx (2.x), whichever is installed."""
    try:
        return importlib.import_module("httpx2")
    except ImportError:
        return importlib.import_module("httpx")


httpx = _httpx()

KEY = "AIza-hostile-key-0123456789"
TOKEN = "ya29.hostile-token-abcdef"
VERTEX_CREATE = (
    "/v1/projects/p/locations/us-central1/publishers/google/models/"
    "veo-3.1-generate-001:predictLongRunning"
)
GEMINI_CREATE = "/v1beta/models/veo-3.1-generate-preview:predictLongRunning"
BODY = json.dumps({"instances": [{"prompt": "p"}]}).encode()


@pytest.fixture
def emu() -> Iterator[VeoEmulator]:
    with VeoEmulator(latency=0.0, api_key=KEY, token=TOKEN) as emulator:
        yield emulator


def _conn(emu: VeoEmulator, timeout: float = 2.0) -> http.client.HTTPConnection:
    return http.client.HTTPConnection("127.0.0.1", emu.port, timeout=timeout)


def _vertex_create(emu: VeoEmulator, **headers: str) -> http.client.HTTPResponse:
    conn = _conn(emu)
    all_headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    conn.request("POST", VERTEX_CREATE, BODY, {**all_headers, **headers})
    return conn.getresponse()


def _download_path(emu: VeoEmulator) -> str:
    """Creates a Gemini API operation, waits for it and returns its Files API download path."""
    conn = _conn(emu)
    conn.request("POST", GEMINI_CREATE, BODY, {"x-goog-api-key": KEY})
    name = json.load(conn.getresponse())["name"]
    deadline = time.monotonic() + 5
    while True:
        conn.request("GET", f"/v1beta/{name}", headers={"x-goog-api-key": KEY})
        op = json.load(conn.getresponse())
        if op.get("done"):
            break
        assert time.monotonic() < deadline
        time.sleep(0.01)
    conn.close()
    uri = op["response"]["generateVideoResponse"]["generatedSamples"][0]["video"]["uri"]
    split = urllib.parse.urlsplit(uri)
    return f"{split.path}?{split.query}"


def _raw_request(
    emu: VeoEmulator, method: str, path: str, headers: dict[str, str]
) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", emu.port), timeout=2)
    lines = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{emu.port}"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
    return sock


def _read_for(sock: socket.socket, seconds: float) -> bytes:
    """Everything that arrives within `seconds` (stops early at EOF)."""
    data = b""
    end = time.monotonic() + seconds
    while (left := end - time.monotonic()) > 0:
        sock.settimeout(left)
        try:
            piece = sock.recv(65536)
        except TimeoutError:
            break
        if not piece:
            break
        data += piece
    return data


def _handler_threads() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if "process_request" in t.name}


# -- accept_then_http -------------------------------------------------------------------------


@pytest.mark.parametrize("status", [500, 502, 504, 408])
def test_accept_then_http_accepts_then_answers_the_error(emu: VeoEmulator, status: int) -> None:
    emu.inject("create", Fault.accept_then_http(status, message="it broke"))
    response = _vertex_create(emu)
    body = json.loads(response.read())
    assert response.status == status
    assert body["error"]["code"] == status
    assert body["error"]["message"] == "it broke"
    assert emu.accepted_submissions == 1
    assert len(emu.operations) == 1


def test_accept_then_http_rejects_non_error_status() -> None:
    with pytest.raises(ValueError):
        Fault.accept_then_http(200)


# -- trickle_headers --------------------------------------------------------------------------


def test_trickle_headers_accepts_then_trickles_one_byte_per_interval(emu: VeoEmulator) -> None:
    emu.inject("create", Fault.trickle_headers(interval=0.05))
    sock = _raw_request(
        emu,
        "POST",
        VERTEX_CREATE,
        {"Authorization": f"Bearer {TOKEN}", "Content-Length": str(len(BODY))},
    )
    sock.sendall(BODY)
    with sock:
        first = _read_for(sock, 0.3)
        more = _read_for(sock, 0.3)
    # One byte per 50 ms: a handful in 0.3 s, never the whole head.
    assert 2 <= len(first) <= 9, first
    assert 2 <= len(more) <= 9, more
    assert (first + more).startswith(b"HTTP/1.1 200"[: len(first + more)])
    assert b"\r\n\r\n" not in first + more
    assert emu.accepted_submissions == 1


def test_trickle_headers_never_ends_the_head(emu: VeoEmulator) -> None:
    """After the real headers comes an endless one: a client never sees the blank line."""
    path = _download_path(emu)
    emu.inject("download", Fault.trickle_headers(interval=0.0005))
    with _raw_request(emu, "GET", path, {"x-goog-api-key": KEY}) as sock:
        data = _read_for(sock, 0.6)
    assert data.startswith(b"HTTP/1.1 200 OK\r\n")
    assert b"Content-Length: " in data
    assert b"X-Emulator-Trickle: aaa" in data
    assert b"\r\n\r\n" not in data


def test_stop_wakes_trickling_handlers_promptly() -> None:
    before = _handler_threads()
    emu = VeoEmulator(latency=0.0, api_key=KEY, token=TOKEN).start()
    path = _download_path(emu)
    emu.inject("download", Fault.trickle_headers(interval=30), times=3)
    emu.inject("create", Fault.trickle_body(interval=30), times=1)
    socks = [_raw_request(emu, "GET", path, {"x-goog-api-key": KEY}) for _ in range(3)]
    socks.append(
        _raw_request(
            emu,
            "POST",
            VERTEX_CREATE,
            {"Authorization": f"Bearer {TOKEN}", "Content-Length": str(len(BODY))},
        )
    )
    socks[-1].sendall(BODY)
    for sock in socks:
        assert _read_for(sock, 0.2)  # each handler is now inside its trickle
    assert len(_handler_threads() - before) >= 4
    started = time.monotonic()
    emu.stop()
    assert time.monotonic() - started < 1.0
    time.sleep(0.05)
    assert not {t for t in _handler_threads() - before if t.is_alive()}
    for sock in socks:
        sock.close()


# -- trickle_body -----------------------------------------------------------------------------


def test_trickle_body_sends_true_length_then_trickles(emu: VeoEmulator) -> None:
    path = _download_path(emu)
    emu.inject("download", Fault.trickle_body(interval=0.05, after_bytes=1000))
    conn = _conn(emu)
    conn.request("GET", path, headers={"x-goog-api-key": KEY})
    response = conn.getresponse()
    length = int(response.headers["Content-Length"])
    assert response.status == 200
    assert length > 10_000
    started = time.monotonic()
    head = response.read(1000)
    assert len(head) == 1000
    assert time.monotonic() - started < 0.2  # the first after_bytes come at once
    assert head[4:8] == b"ftyp"
    sock: socket.socket = cast(Any, response).fp.raw._sock
    trickled = _read_for(sock, 0.3)
    assert 2 <= len(trickled) <= 9
    conn.close()


# -- cut_short --------------------------------------------------------------------------------


def test_cut_short_without_content_length_closes_cleanly(emu: VeoEmulator) -> None:
    path = _download_path(emu)
    emu.inject("download", Fault.cut_short(after_bytes=700, content_length=False))
    conn = _conn(emu)
    conn.request("GET", path, headers={"x-goog-api-key": KEY})
    response = conn.getresponse()
    assert response.status == 200
    assert response.headers["Content-Length"] is None
    assert response.headers["Connection"] == "close"
    data = response.read()  # a clean EOF: no IncompleteRead, the body just ends
    assert len(data) == 700
    assert data[4:8] == b"ftyp"


def test_cut_short_without_content_length_looks_complete_to_httpx(emu: VeoEmulator) -> None:
    path = _download_path(emu)
    emu.inject("download", Fault.cut_short(after_bytes=700, content_length=False))
    response = httpx.get(emu.base_url + path, headers={"x-goog-api-key": KEY})
    assert response.status_code == 200
    assert len(response.content) == 700
    with pytest.raises(ValueError):
        inspect_mp4(response.content)


def test_cut_short_with_content_length_is_a_premature_eof(emu: VeoEmulator) -> None:
    path = _download_path(emu)
    emu.inject("download", Fault.cut_short(after_bytes=700))
    conn = _conn(emu)
    conn.request("GET", path, headers={"x-goog-api-key": KEY})
    response = conn.getresponse()
    assert int(response.headers["Content-Length"]) > 700
    with pytest.raises(http.client.IncompleteRead):
        response.read()


# -- wrong_content ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "content_type"),
    [
        ("html", "text/html"),
        ("json", "application/json"),
        ("gzip", "application/gzip"),
        ("empty", "video/mp4"),
    ],
)
def test_wrong_content(emu: VeoEmulator, kind: Any, content_type: str) -> None:
    path = _download_path(emu)
    emu.inject("download", Fault.wrong_content(kind))
    conn = _conn(emu)
    conn.request("GET", path, headers={"x-goog-api-key": KEY})
    response = conn.getresponse()
    data = response.read()
    assert response.status == 200
    assert response.headers["Content-Type"].startswith(content_type)
    assert response.headers["Content-Encoding"] is None
    assert int(response.headers["Content-Length"]) == len(data)
    if kind == "html":
        assert data.lstrip().lower().startswith(b"<!doctype html")
    elif kind == "json":
        assert isinstance(json.loads(data), dict)
    elif kind == "gzip":
        assert data[:2] == b"\x1f\x8b"
        assert gzip.decompress(data)
    else:
        assert data == b""
    # The next call is served normally.
    conn.request("GET", path, headers={"x-goog-api-key": KEY})
    assert inspect_mp4(conn.getresponse().read()).codec == "avc1"


def test_wrong_content_rejects_unknown_kind() -> None:
    with pytest.raises(ValueError):
        Fault.wrong_content("xml")  # type: ignore[arg-type]


# -- echo_credentials -------------------------------------------------------------------------


@pytest.mark.parametrize("status", [400, 500])
def test_echo_credentials_repeats_every_credential(emu: VeoEmulator, status: int) -> None:
    emu.inject("create", Fault.echo_credentials(status))
    conn = _conn(emu)
    conn.request(
        "POST",
        VERTEX_CREATE + f"?key={KEY}",
        BODY,
        {"Authorization": f"Bearer {TOKEN}", "x-goog-api-key": KEY},
    )
    response = conn.getresponse()
    body = json.loads(response.read())
    assert response.status == status
    message = body["error"]["message"]
    assert f"Authorization=Bearer {TOKEN}" in message
    assert f"x-goog-api-key={KEY}" in message
    assert f"key={KEY}" in message
    assert body["error"]["details"][0]["metadata"]["Authorization"] == f"Bearer {TOKEN}"
    assert emu.accepted_submissions == 0
    # The emulator's own log still masks them.
    logged = repr(emu.requests)
    assert KEY not in logged
    assert TOKEN not in logged


def test_echo_credentials_on_poll_with_only_a_key(emu: VeoEmulator) -> None:
    conn = _conn(emu)
    conn.request("POST", GEMINI_CREATE, BODY, {"x-goog-api-key": KEY})
    name = json.load(conn.getresponse())["name"]
    emu.inject("poll", Fault.echo_credentials())
    conn.request("GET", f"/v1beta/{name}", headers={"x-goog-api-key": KEY})
    response = conn.getresponse()
    message = json.loads(response.read())["error"]["message"]
    assert response.status == 500
    assert f"x-goog-api-key={KEY}" in message
    assert "Authorization" not in message


# -- compression_bomb -------------------------------------------------------------------------


def test_compression_bomb_is_small_on_the_wire_and_huge_inflated(emu: VeoEmulator) -> None:
    conn = _conn(emu)
    conn.request("POST", GEMINI_CREATE, BODY, {"x-goog-api-key": KEY})
    name = json.load(conn.getresponse())["name"]
    emu.inject("poll", Fault.compression_bomb(megabytes=64))
    conn.request("GET", f"/v1beta/{name}", headers={"x-goog-api-key": KEY})
    response = conn.getresponse()
    wire = response.read()
    assert response.status == 200
    assert response.headers["Content-Encoding"] == "gzip"
    assert len(wire) < 128 * 1024
    inflater = zlib.decompressobj(zlib.MAX_WBITS | 16)
    prefix = inflater.decompress(wire, 4096)
    assert prefix.startswith(b'{"name": "000')
    # Inflate a bounded prefix only, then count the rest without keeping it.
    total = len(prefix)
    pending = inflater.unconsumed_tail
    while pending:
        total += len(inflater.decompress(pending, 1 << 20))
        pending = inflater.unconsumed_tail
    assert total == len(b'{"name": "') + 64 * (1 << 20)
    assert inflater.eof  # the gzip trailer (CRC and size) checks out


def test_compression_bomb_on_media_is_zeros(emu: VeoEmulator) -> None:
    path = _download_path(emu)
    emu.inject("download", Fault.compression_bomb(megabytes=2))
    with httpx.stream("GET", emu.base_url + path, headers={"x-goog-api-key": KEY}) as response:
        assert response.headers["content-type"] == "video/mp4"
        first = next(response.iter_bytes(4096))
    assert set(first) == {0}


# -- redirect and RecordingServer -------------------------------------------------------------


def test_redirect_to_a_recording_server(emu: VeoEmulator) -> None:
    path = _download_path(emu)
    video = b"\0\0\0\x18ftypmp42" + bytes(100)
    with RecordingServer(body=video, content_type="video/mp4") as foreign:
        emu.inject("download", Fault.redirect(foreign.url("/video.mp4?sig=1")))
        conn = _conn(emu)
        conn.request("GET", path, headers={"x-goog-api-key": KEY})
        response = conn.getresponse()
        response.read()
        assert response.status == 302
        assert response.headers["Location"] == foreign.url("/video.mp4?sig=1")
        # A client that follows the redirect with its credentials shows them, unmasked.
        got = httpx.get(
            response.headers["Location"],
            headers={"x-goog-api-key": KEY, "Authorization": f"Bearer {TOKEN}"},
        )
        assert got.content == video
        (seen,) = foreign.requests
        assert (seen.method, seen.path, seen.query) == ("GET", "/video.mp4", {"sig": "1"})
        assert seen.headers["x-goog-api-key"] == KEY
        assert seen.headers["authorization"] == f"Bearer {TOKEN}"
        assert foreign.saw_credentials([KEY, TOKEN])
        assert foreign.saw_credentials()
        assert not foreign.saw_credentials(["something-else"])


def test_httpx_follows_a_redirect_and_drops_only_authorization(emu: VeoEmulator) -> None:
    """What the SDK's HTTP client does by itself: why veowrap must not follow blindly."""
    path = _download_path(emu)
    with RecordingServer(body=b"x", status=200) as foreign:
        emu.inject("download", Fault.redirect(foreign.url("/v"), status=307))
        headers = {"x-goog-api-key": KEY, "Authorization": f"Bearer {TOKEN}"}
        with httpx.Client(follow_redirects=True) as client:
            assert client.get(emu.base_url + path, headers=headers).content == b"x"
        (seen,) = foreign.requests
    assert "authorization" not in seen.headers
    assert seen.headers.get("x-goog-api-key") == KEY  # httpx forwards custom headers


def test_redirect_with_a_relative_location(emu: VeoEmulator) -> None:
    path = _download_path(emu)
    emu.inject("download", Fault.redirect("/elsewhere", status=301))
    conn = _conn(emu)
    conn.request("GET", path, headers={"x-goog-api-key": KEY})
    response = conn.getresponse()
    response.read()
    assert (response.status, response.headers["Location"]) == (301, "/elsewhere")
    with pytest.raises(ValueError):
        Fault.redirect("/x", status=200)


def test_recording_server_answers_fixed_status_and_headers() -> None:
    with RecordingServer(
        body=b"denied", status=403, content_type="text/plain", headers={"X-Why": "no"}
    ) as foreign:
        response = httpx.post(foreign.url("/a?key=k"), content=b"payload")
        assert (response.status_code, response.text) == (403, "denied")
        assert response.headers["x-why"] == "no"
        assert foreign.requests[0].method == "POST"
        assert foreign.saw_credentials()  # a `key` parameter arrived
    foreign.stop()  # idempotent


def test_recording_server_on_another_loopback_address() -> None:
    with RecordingServer(body=b"ok", host="127.0.0.2") as foreign:
        if foreign.fell_back:
            assert foreign.host == "127.0.0.1"
        else:
            assert foreign.host == "127.0.0.2"
            assert foreign.base_url.startswith("http://127.0.0.2:")
        assert httpx.get(foreign.url("/x")).content == b"ok"
        assert [r.path for r in foreign.requests] == ["/x"]


# -- the Files API download redirects like Google's -------------------------------------------


def test_files_download_redirects_to_the_media_origin() -> None:
    with VeoEmulator(latency=0.0, api_key=KEY, token=TOKEN, files_redirect=True) as emu:
        path = _download_path(emu)
        conn = _conn(emu)
        conn.request("GET", path, headers={"x-goog-api-key": KEY})
        response = conn.getresponse()
        response.read()
        assert response.status == 302
        location = response.headers["Location"]
        assert location.startswith(emu.media_base_url + "/media/")
        assert emu.media_base_url != emu.base_url  # another origin
        # The signed URL needs no credential.
        assert inspect_mp4(httpx.get(location).content).codec == "avc1"
        assert emu.credentials_seen_by_media == 0
        # Tampering with the signature is refused.
        assert httpx.get(location[:-4] + "0000").status_code == 403
        # A client that forwards its key is counted, and the log stays masked.
        httpx.get(location, headers={"x-goog-api-key": KEY})
        assert emu.credentials_seen_by_media == 1
        assert [r.endpoint for r in emu.requests][-4:] == ["download", "media", "media", "media"]
        assert KEY not in repr(emu.requests)


def test_redirect_downloads_toggles_and_faults_hit_each_hop(emu: VeoEmulator) -> None:
    path = _download_path(emu)
    emu.redirect_downloads()
    emu.inject("media", Fault.cut_short(after_bytes=100))
    with httpx.Client(follow_redirects=True) as client:
        with pytest.raises(httpx.RemoteProtocolError):
            client.get(emu.base_url + path, headers={"x-goog-api-key": KEY})
        good = client.get(emu.base_url + path, headers={"x-goog-api-key": KEY})
        assert inspect_mp4(good.content).codec == "avc1"
        assert len(good.history) == 1
        emu.redirect_downloads(False)
        direct = client.get(emu.base_url + path, headers={"x-goog-api-key": KEY})
        assert direct.history == []
        assert direct.content == good.content


def test_huge_retry_after_is_written_in_whole_seconds(emu: VeoEmulator) -> None:
    emu.inject("create", Fault.http(429, retry_after=1e9))
    emu.inject("create", Fault.http(429, retry_after=0.25))
    assert _vertex_create(emu).headers["Retry-After"] == "1000000000"
    assert _vertex_create(emu).headers["Retry-After"] == "0.25"


def test_recording_server_falls_back_when_the_address_cannot_be_bound() -> None:
    # TEST-NET-3: never an address of this machine, so binding fails like 127.0.0.2 does on
    # systems that route only 127.0.0.1.
    with RecordingServer(body=b"ok", host="203.0.113.7") as foreign:
        assert foreign.fell_back
        assert foreign.host == "127.0.0.1"
        assert httpx.get(foreign.url("/x")).content == b"ok"
