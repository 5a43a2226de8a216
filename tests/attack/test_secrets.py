"""Promise 3: secrets stay secret. The server echoes the credentials everywhere it can; they must
never appear in exception text (whole chain, notes), reprs, log output (DEBUG on "veowrap" and
root), events passed to on_event, or handles (to_json)."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import socket
import traceback

import pytest
from hostile import (
    API_KEY,
    MODEL,
    MP4,
    OMNI,
    TOKEN,
    Hostile,
    Request,
    gemini_client,
    generator,
    google_error,
    normal,
    send,
    vertex_client,
)

import veowrap

# Credentials that match no built-in pattern: only the registry can catch them.
OPAQUE_TOKEN = "opaqueTok3n-Zq8vX2mPLkQWErty"
OPAQUE_KEY = "opaqueK3y-Zq8vX2mPLkQWErtyUI"

OP_PREFIX = f"projects/p/locations/us-central1/publishers/google/models/{MODEL}/operations/"


class Capture(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record):
        self.lines.append(self.format(record))


@pytest.fixture
def capture():
    handler = Capture()
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    root = logging.getLogger()
    old_level = root.level
    root.setLevel(logging.DEBUG)
    root.addHandler(handler)
    vlog = logging.getLogger("veowrap")
    vlog.setLevel(logging.DEBUG)
    yield handler
    root.removeHandler(handler)
    root.setLevel(old_level)


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


def secret_of(request: Request) -> str:
    auth = request.headers.get("authorization", "")
    return auth.removeprefix("Bearer ") or request.headers.get("x-goog-api-key", "")


# Third-party loggers (httpcore2 logs response headers at DEBUG) and repr() of the SDK
# exceptions inside the chain are checked in their own tests, so that the veowrap-owned
# surfaces are reported separately.
THIRD_PARTY_LOGS = False
CHAIN_REPRS = False


def texts_of(outcome, events, capture) -> dict[str, str]:
    """Every text the caller can see, by where it came from."""
    found: dict[str, str] = {}
    chain_reprs = ""
    if isinstance(outcome, BaseException):
        found["traceback"] = "".join(traceback.format_exception(outcome))
        found["repr(error)"] = repr(outcome)
        found["notes"] = "\n".join(getattr(outcome, "__notes__", ()))
        chain, seen = [], set()
        current = outcome
        while current is not None and id(current) not in seen:
            seen.add(id(current))
            chain.append(f"{current!r} {current}")
            current = current.__cause__ or current.__context__
        chain_reprs = "\n".join(chain)
        handle = getattr(outcome, "handle", None)
        if handle is not None:
            found["error.handle.to_json()"] = handle.to_json()
    else:
        found["repr(result)"] = repr(outcome)
        handle = getattr(outcome, "handle", None)
        if isinstance(outcome, veowrap.OperationHandle):
            handle = outcome
        for video in getattr(outcome, "videos", ()) or ():
            found.setdefault("repr(video)", "")
            found["repr(video)"] += repr(video) + str(getattr(video, "uri", ""))
        if handle is not None:
            found["handle.to_json()"] = handle.to_json()
            found["repr(handle)"] = repr(handle)
    found["events"] = "\n".join(repr(e) for e in events)
    found["logs (veowrap logger)"] = "\n".join(
        line for line in capture.lines if line.startswith("veowrap")
    )
    if THIRD_PARTY_LOGS:
        found["logs (third-party loggers, via root)"] = "\n".join(
            line for line in capture.lines if not line.startswith("veowrap")
        )
    if CHAIN_REPRS:
        found["chain reprs"] = chain_reprs
    return found


def assert_secret_free(found: dict[str, str], *secrets: str):
    leaks = [
        f"{where}: ...{text[max(0, text.find(s) - 60) : text.find(s) + len(s) + 10]}..."
        for where, text in found.items()
        for s in secrets
        if s and s in text
    ]
    assert not leaks, "credential leaked:\n" + "\n".join(leaks)


def run(gen, call):
    events = []
    try:
        outcome = call(gen, events.append)
    except BaseException as error:
        outcome = error
    return outcome, events


# ---------------------------------------------------------------------------------------------
# Echo servers
# ---------------------------------------------------------------------------------------------


def echo_message(request: Request) -> str:
    s = secret_of(request)
    headers = json.dumps(request.headers)
    return f"bad credential {s} / Authorization: Bearer {s} / headers={headers} / url?key={s}"


def echo_error_body(status: int, reason_is_secret: bool = False):
    def body(request):
        s = secret_of(request)
        return {
            "error": {
                "code": status,
                "message": echo_message(request),
                "status": s if reason_is_secret else "INVALID_ARGUMENT",
                "details": [
                    {"@type": "x", "echo": s, "headers": dict(request.headers), "retryDelay": "0s"}
                ],
            }
        }

    return body


CREATE_ECHOES = {
    # status, reason carries the secret?, plain-text body?
    "400_json": (400, False, False),
    "401_json": (401, False, False),
    "403_json": (403, False, False),
    "404_json": (404, False, False),
    "500_json": (500, False, False),
    "409_json": (409, False, False),
    "400_text": (400, False, True),
    "500_text": (500, False, True),
    "503_text": (503, False, True),
    "400_reason": (400, True, False),
    "500_reason": (500, True, False),
    "429_reason": (429, True, False),
    "503_reason": (503, True, False),
}


def create_echo_handler(status, reason_secret, text):
    def handler(server, request, sock):
        if request.is_create:
            if text:
                send(sock, status, echo_message(request), content_type="text/plain")
            else:
                send(
                    sock,
                    status,
                    echo_error_body(status, reason_secret)(request),
                    headers={"Retry-After": "0", "X-Echo": secret_of(request)},
                )
            return True
        return normal(server, request, sock)

    return handler


CREDENTIALS = {
    "vertex_ya29": lambda s: (vertex_client(s), TOKEN, MODEL),
    "vertex_opaque": lambda s: (vertex_client(s, token=OPAQUE_TOKEN), OPAQUE_TOKEN, MODEL),
    "gemini_aiza": lambda s: (gemini_client(s), API_KEY, OMNI),
    "gemini_opaque": lambda s: (gemini_client(s, key=OPAQUE_KEY), OPAQUE_KEY, OMNI),
}


@pytest.mark.parametrize("cred", sorted(CREDENTIALS))
@pytest.mark.parametrize("echo", sorted(CREATE_ECHOES))
def test_create_error_echo(serve, capture, cred, echo):
    server = serve(create_echo_handler(*CREATE_ECHOES[echo]))
    client, secret, model = CREDENTIALS[cred](server)
    gen = generator(server, client=client)
    outcome, events = run(
        gen, lambda g, hook: g.generate("a cat", model=model, timeout=3, on_event=hook)
    )
    assert_secret_free(texts_of(outcome, events, capture), secret)


@pytest.mark.parametrize("cred", sorted(CREDENTIALS))
def test_create_error_echo_async(serve, capture, cred):
    server = serve(create_echo_handler(400, True, False))
    client, secret, model = CREDENTIALS[cred](server)

    async def main(events):
        gen = generator(server, client=client, asynchronous=True)
        return await gen.generate("a cat", model=model, timeout=3, on_event=events.append)

    events: list = []
    try:
        outcome = asyncio.run(main(events))
    except BaseException as error:
        outcome = error
    assert_secret_free(texts_of(outcome, events, capture), secret)


# ---------------------------------------------------------------------------------------------
# The operation name itself carries the credential.
# ---------------------------------------------------------------------------------------------


def name_echo_handler(final: str):
    """Create answers with an operation named after the caller's credential; polls answer
    ``final``: running (timeout), done, failed (message echoes), or 503 with the secret as
    reason."""

    def handler(server, request, sock):
        s = secret_of(request)
        if request.is_create:
            send(sock, 200, {"name": server.accept(OP_PREFIX + s.replace("/", "_"))})
            return True
        if request.is_poll:
            name = (request.json() or {}).get("operationName", "")
            if final == "running":
                send(sock, 200, {"name": name, "done": False})
            elif final == "failed":
                send(
                    sock,
                    200,
                    {
                        "name": name,
                        "done": True,
                        "error": {"code": 3, "message": echo_message(request)},
                    },
                )
            elif final == "unavailable":
                send(sock, 503, echo_error_body(503, True)(request))
            elif final == "gcs":
                send(
                    sock,
                    200,
                    {
                        "name": name,
                        "done": True,
                        "response": {
                            "videos": [
                                {
                                    "gcsUri": f"gs://bucket/{s}/x.mp4?key={s}",
                                    "mimeType": "video/mp4",
                                }
                            ]
                        },
                    },
                )
            else:
                send(
                    sock,
                    200,
                    {
                        "name": name,
                        "done": True,
                        "response": {
                            "videos": [
                                {
                                    "bytesBase64Encoded": base64.b64encode(MP4).decode(),
                                    "mimeType": "video/mp4",
                                }
                            ]
                        },
                    },
                )
            return True
        send(sock, 404, echo_error_body(404)(request))
        return True

    return handler


@pytest.mark.parametrize("final", ["done", "running", "failed", "unavailable", "gcs"])
@pytest.mark.parametrize("cred", ["vertex_ya29", "vertex_opaque"])
def test_operation_name_carries_secret(serve, capture, cred, final):
    server = serve(name_echo_handler(final))
    client, secret, model = CREDENTIALS[cred](server)
    gen = generator(server, client=client)
    outcome, events = run(
        gen, lambda g, hook: g.generate("a cat", model=model, timeout=1, on_event=hook)
    )
    assert_secret_free(texts_of(outcome, events, capture), secret)


@pytest.mark.parametrize("cred", ["vertex_ya29", "vertex_opaque"])
def test_submit_handle_carries_secret(serve, capture, cred):
    server = serve(name_echo_handler("done"))
    client, secret, model = CREDENTIALS[cred](server)
    gen = generator(server, client=client)
    outcome, events = run(
        gen, lambda g, hook: g.submit("a cat", model=model, timeout=3, on_event=hook)
    )
    assert_secret_free(texts_of(outcome, events, capture), secret)


# ---------------------------------------------------------------------------------------------
# Poll-side echoes with a clean operation name.
# ---------------------------------------------------------------------------------------------


def poll_echo_handler(kind: str):
    def handler(server, request, sock):
        s = secret_of(request)
        if request.is_create:
            send(sock, 200, {"name": server.accept()})
            return True
        if request.is_poll:
            name = (request.json() or {}).get("operationName", "")
            if kind == "failed":
                send(
                    sock,
                    200,
                    {
                        "name": name,
                        "done": True,
                        "error": {"code": s, "message": echo_message(request)},
                    },
                )
            elif kind == "filtered":
                send(
                    sock,
                    200,
                    {
                        "name": name,
                        "done": True,
                        "response": {
                            "raiMediaFilteredCount": 1,
                            "raiMediaFilteredReasons": [echo_message(request)],
                            "videos": [],
                        },
                    },
                )
            elif kind == "503_reason":
                send(sock, 503, echo_error_body(503, True)(request), headers={"Retry-After": "0"})
            elif kind == "404":
                send(sock, 404, echo_error_body(404, True)(request))
            elif kind == "malformed":
                send(sock, 200, {"name": {"nested": s}, "done": s, "response": s})
            return True
        return normal(server, request, sock)

    return handler


@pytest.mark.parametrize("kind", ["failed", "filtered", "503_reason", "404", "malformed"])
@pytest.mark.parametrize("cred", ["vertex_ya29", "vertex_opaque"])
def test_poll_echo(serve, capture, cred, kind):
    server = serve(poll_echo_handler(kind))
    client, secret, model = CREDENTIALS[cred](server)
    gen = generator(server, client=client)
    outcome, events = run(
        gen, lambda g, hook: g.generate("a cat", model=model, timeout=1.5, on_event=hook)
    )
    assert_secret_free(texts_of(outcome, events, capture), secret)


@pytest.mark.parametrize("kind", ["failed", "filtered"])
@pytest.mark.parametrize("cred", ["vertex_ya29", "vertex_opaque"])
def test_status_repr_echo(serve, capture, cred, kind):
    server = serve(poll_echo_handler(kind))
    client, secret, model = CREDENTIALS[cred](server)
    gen = generator(server, client=client)
    status = gen.status(OP_PREFIX + "abc", timeout=2)
    assert_secret_free({"repr(status)": repr(status), "str(status)": str(status)}, secret)


# ---------------------------------------------------------------------------------------------
# Interactions (Gemini API key): interaction id and poll errors echo the key.
# ---------------------------------------------------------------------------------------------


def interactions_handler(kind: str):
    def handler(server, request, sock):
        s = secret_of(request)
        iid = "v1_" + (s if kind == "id" else "abcdef123456")
        if request.is_create:
            server.accept()
            send(sock, 200, {"id": iid, "status": "in_progress", "model": OMNI})
            return True
        if kind == "failed":
            send(
                sock,
                200,
                {
                    "id": iid,
                    "status": "failed",
                    "model": OMNI,
                    "errors": [{"code": s, "message": echo_message(request)}],
                },
            )
        elif kind == "500":
            send(sock, 500, echo_error_body(500, True)(request))
        else:
            send(sock, 200, {"id": iid, "status": "in_progress", "model": OMNI})
        return True

    return handler


@pytest.mark.parametrize("kind", ["id", "failed", "500"])
@pytest.mark.parametrize("cred", ["gemini_aiza", "gemini_opaque"])
def test_interactions_echo(serve, capture, cred, kind):
    server = serve(interactions_handler(kind))
    client, secret, model = CREDENTIALS[cred](server)
    gen = generator(server, client=client)
    outcome, events = run(
        gen, lambda g, hook: g.generate("a cat", model=model, timeout=1, on_event=hook)
    )
    assert_secret_free(texts_of(outcome, events, capture), secret)


# ---------------------------------------------------------------------------------------------
# The credential travels to a host the caller never named (redirect to another origin).
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("cred", ["gemini_aiza", "vertex_ya29"])
def test_cross_origin_redirect_does_not_carry_credential(serve, cred):
    thief = Hostile(
        lambda server, request, sock: (
            send(sock, 404, google_error(404, "gone", "NOT_FOUND")) or False
        )
    )
    thief_url = f"http://127.0.0.2:{thief.port}"
    # Rebind the thief on 127.0.0.2 (same port number may be taken; use its own socket).
    thief.close()
    thief_sock = socket.socket()
    thief_sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    thief_sock.bind(("127.0.0.2", 0))
    thief_sock.listen(8)
    thief_sock.settimeout(4)
    thief_url = f"http://127.0.0.2:{thief_sock.getsockname()[1]}"

    def handler(server, request, sock):
        if request.is_create:
            send(sock, 307, b"", headers={"Location": thief_url + request.path})
            return True
        return normal(server, request, sock)

    server = serve(handler)
    client, secret, model = CREDENTIALS[cred](server)
    gen = generator(server, client=client)
    import threading

    stolen = {}

    def steal():
        try:
            conn, _ = thief_sock.accept()
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

    t = threading.Thread(target=steal, daemon=True)
    t.start()
    try:
        gen.submit("a cat", model=model, timeout=3)
    except veowrap.VeowrapError:
        pass
    t.join(4)
    thief_sock.close()
    assert secret not in stolen.get("head", ""), (
        "the credential was sent to a host the caller never configured:\n"
        + stolen.get("head", "")[:600]
    )


# ---------------------------------------------------------------------------------------------
# Surfaces outside veowrap's own text: third-party DEBUG logs (via root) and repr() of SDK
# exceptions kept in the chain.
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("cred", ["vertex_ya29", "gemini_aiza"])
def test_third_party_debug_logs(serve, capture, cred):
    server = serve(create_echo_handler(400, False, False))  # also echoes it in X-Echo header
    client, secret, model = CREDENTIALS[cred](server)
    gen = generator(server, client=client)
    run(gen, lambda g, hook: g.generate("a cat", model=model, timeout=3, on_event=hook))
    assert_secret_free({"root logs": "\n".join(capture.lines)}, secret)


@pytest.mark.parametrize("cred", sorted(CREDENTIALS))
def test_chain_reprs(serve, capture, cred):
    server = serve(create_echo_handler(400, False, False))
    client, secret, model = CREDENTIALS[cred](server)
    gen = generator(server, client=client)
    outcome, _ = run(gen, lambda g, hook: g.generate("a cat", model=model, timeout=3))
    chain, seen, current = [], set(), outcome
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        chain.append(repr(current))
        current = current.__cause__ or current.__context__
    assert_secret_free({"repr of chained exceptions": "\n".join(chain)}, secret)
