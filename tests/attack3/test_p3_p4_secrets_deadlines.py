"""P3 (secrets) and P4 (deadlines), round 3.

New angles: credentials a user pasted with invisible characters (zero-width space, CR/LF),
a Files URI naming a foreign host, credentials inside the base URL shown by `doctor`,
a server that never reads the request body (write-side stall), Retry-After on downloads, a
batch whose every poll stalls.
"""

from __future__ import annotations

import asyncio
import json
import os
import struct
import subprocess
import sys
import zlib

import pytest
from h3 import (
    API_KEY,
    FAST_POLL,
    FAST_RETRY,
    MODEL,
    MP4,
    OMNI,
    SRC,
    Hostile,
    Reply,
    cli,
    gemini_client,
    text_of,
    timed,
    vertex_client,
    vertex_route,
)

import veowrap
from veowrap.testing import Fault

SECRET_PART = API_KEY[8:]

# A key copied from a web page often carries an invisible character that is not Latin-1.
_HANG_SCRIPT = r"""
import sys, veowrap
from google import genai
from google.genai import types
key, url = sys.argv[1], sys.argv[2]
client = genai.Client(api_key=key, http_options=types.HttpOptions(base_url=url,
    api_version="v1beta"))
try:  # refused when the generator is built, or at the latest by generate()
    gen = veowrap.VideoGenerator(client, poll_schedule=veowrap.PollSchedule.fixed(0.02))
    gen.generate("a boat", model="gemini-omni-1.2-flash", timeout=2)
except veowrap.VeowrapError as error:
    text = f"{error!s}{error!r}{error.hint}"
    print(type(error).__name__, "LEAK" if key[8:20] in text else "clean")
"""


@pytest.mark.parametrize("junk", ["\u200b", "\u043a"], ids=["zwsp", "cyrillic"])
def test_non_latin1_api_key_gives_typed_error_on_time(junk):
    with Hostile(vertex_route()) as server:
        try:
            done = subprocess.run(
                [sys.executable, "-c", _HANG_SCRIPT, API_KEY + junk, server.url],
                capture_output=True,
                text=True,
                timeout=6,
                env={**os.environ, "PYTHONPATH": SRC},
            )
        except subprocess.TimeoutExpired:
            pytest.fail("generate(timeout=2) still running after 6 s")
        assert server.requests == []
    assert done.stdout.split() == ["ConfigurationError", "clean"], done.stdout + done.stderr[-800:]


def test_cli_non_latin1_api_key_does_not_hang(emu, tmp_path):
    env = {
        "GOOGLE_GEMINI_BASE_URL": emu.base_url,
        "GEMINI_API_KEY": API_KEY + "\u200b",
        "GOOGLE_GENAI_USE_VERTEXAI": "false",
    }
    try:
        done = cli(
            "generate",
            "-m",
            OMNI,
            "x",
            "-o",
            str(tmp_path / "k") + "/",
            "--timeout",
            "3",
            "--poll-interval",
            "0.05",
            env=env,
            timeout=10,
        )
    except subprocess.TimeoutExpired:
        pytest.fail("veowrap generate --timeout 3 hung")
    assert done.returncode == 8, done.stderr
    assert SECRET_PART not in done.stdout + done.stderr


def test_crlf_in_api_key_neither_injects_a_header_nor_leaks():
    with Hostile(vertex_route()) as server:
        key = API_KEY + "\r\nX-Injected: 1"
        out, _ = timed(
            lambda: veowrap.VideoGenerator(
                gemini_client(server.url, key), poll_schedule=FAST_POLL, retry_policy=FAST_RETRY
            ).generate("a boat", model=OMNI, timeout=3)
        )
        assert not any("x-injected" in r.headers for r in server.requests)
    assert isinstance(out, veowrap.VeowrapError), repr(out)
    assert SECRET_PART not in text_of(out)


def test_crlf_in_api_key_is_a_configuration_error():
    with Hostile(vertex_route()) as server:
        out, _ = timed(
            lambda: veowrap.VideoGenerator(
                gemini_client(server.url, API_KEY + "\r\nX-Injected: 1"),
                poll_schedule=FAST_POLL,
                retry_policy=FAST_RETRY,
            ).generate("a boat", model=OMNI, timeout=3)
        )
        assert server.requests == []
    assert isinstance(out, veowrap.ConfigurationError), repr(out)


@pytest.mark.parametrize(
    "uri",
    [
        "http://127.0.0.1:{port}/v1beta/files/abc:download?alt=media",
        "http://localhost:{port}/v1beta/files/abc:download?alt=media",
        "http://{key}@127.0.0.1:{port}/v1beta/files/abc:download?alt=media",
        "file:///etc/passwd",
    ],
    ids=["foreign-port", "localhost", "userinfo", "file"],
)
def test_files_uri_on_a_foreign_origin_gets_no_credential(uri, tmp_path):
    with Hostile(lambda s, r, raw: Reply(200, MP4, {"content-type": "video/mp4"})) as foreign:
        target = uri.format(port=foreign.port, key="u")

        def route(server, req, raw):
            if req.is_create:
                server.accept()
                return Reply(200, {"id": "v1_abc", "status": "in_progress", "model": OMNI})
            if req.is_poll:
                content = [{"type": "video", "mime_type": "video/mp4", "uri": target}]
                return Reply(
                    200,
                    {
                        "id": "v1_abc",
                        "status": "completed",
                        "model": OMNI,
                        "steps": [{"type": "model_output", "content": content}],
                    },
                )
            return Reply(404, {"error": {"code": 404, "message": "no"}})

        with Hostile(route) as server:
            gen = veowrap.VideoGenerator(
                gemini_client(server.url), poll_schedule=FAST_POLL, retry_policy=FAST_RETRY
            )
            out, _ = timed(lambda: gen.generate("a", model=OMNI, timeout=3, resolution="1080p"))
            if isinstance(out, veowrap.GenerationResult):
                out, _ = timed(lambda: out.save(tmp_path, timeout=3))
        for request in foreign.requests:
            assert SECRET_PART not in json.dumps(request.headers) + request.path


def test_doctor_does_not_print_credentials_in_the_base_url():
    env = {
        "GOOGLE_GEMINI_BASE_URL": f"http://u:{API_KEY}@127.0.0.1:9/?key={API_KEY}",
        "GEMINI_API_KEY": "AIzaSyOTHER0123456789abcdefghijklmn",
    }
    for args in (["doctor"], ["doctor", "--json"]):
        done = cli(*args, env=env)
        assert SECRET_PART not in done.stdout + done.stderr
        assert "bug" not in done.stderr.lower()


@pytest.mark.parametrize(
    "var,value",
    [
        ("GOOGLE_GEMINI_BASE_URL", "http://127.0.0.1:1/" + "a" * 120_000),
        ("GOOGLE_CLOUD_PROJECT", "p" * 120_000),
        ("GEMINI_API_KEY", "AIza" + "k" * 120_000),
    ],
    ids=["base_url", "project", "api_key"],
)
def test_huge_environment_values(emu, tmp_path, var, value):
    env = {"GOOGLE_GEMINI_BASE_URL": emu.base_url, "GEMINI_API_KEY": API_KEY, var: value}
    doctor = cli("doctor", env=env)
    assert doctor.returncode in (0, 8), doctor.stderr[-500:]
    done = cli("generate", "-m", OMNI, "x", "-o", str(tmp_path) + "/", "--timeout", "3", env=env)
    assert done.returncode not in (0, 1), done.stderr[-500:]
    assert "bug" not in (done.stdout + done.stderr).lower()
    assert "k" * 64 not in done.stdout + done.stderr  # the huge key is never echoed
    assert emu.accepted_submissions == 0


# -- deadlines -----------------------------------------------------------------------------------


def _big_png(width: int = 1280, height: int = 720) -> bytes:
    raw = b"".join(b"\x00" + os.urandom(width * 3) for _ in range(height))

    def chunk(tag: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(tag + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 0))
        + chunk(b"IEND", b"")
    )


@pytest.fixture
def deaf_server():
    """Accepts connections and never reads a byte: a big create blocks in send()."""
    import socket
    import threading

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    held: list[socket.socket] = []

    def loop():
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            held.append(conn)

    threading.Thread(target=loop, daemon=True).start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    listener.close()
    for conn in held:
        conn.close()


@pytest.mark.parametrize("how", ["generate", "submit", "async"])
def test_server_that_never_reads_the_body_cannot_hold_the_deadline(deaf_server, tmp_path, how):
    image = tmp_path / "big.png"
    image.write_bytes(_big_png())
    kw = {"poll_schedule": FAST_POLL, "retry_policy": FAST_RETRY, "model": MODEL}
    if how == "async":
        agen = veowrap.AsyncVideoGenerator(vertex_client(deaf_server), **kw)
        call = lambda: asyncio.run(agen.generate("a", timeout=1.0, image=str(image)))  # noqa: E731
    else:
        gen = veowrap.VideoGenerator(vertex_client(deaf_server), **kw)
        call = lambda: getattr(gen, how)("a", timeout=1.0, image=str(image))  # noqa: E731
    out, elapsed = timed(call)
    assert elapsed < 2.0
    assert isinstance(out, veowrap.SubmissionUncertainError), repr(out)
    assert out.fingerprint


@pytest.mark.parametrize("retry_after", [30, 10**9])
def test_download_retry_after_cannot_hold_save_past_its_deadline(emu, tmp_path, retry_after):
    gen = emu.generator(vertex=True, model=MODEL)
    result = gen.generate("a", output_gcs_uri="gs://b/o/")
    emu.inject("gcs_download", Fault.http(503, retry_after=retry_after), times=10)
    out, elapsed = timed(lambda: result.save(tmp_path, timeout=1.0))
    assert elapsed < 2.0
    assert isinstance(out, veowrap.DownloadError), repr(out)
    assert out.handle is not None
    assert list(tmp_path.iterdir()) == []


def test_download_redirected_to_file_url_is_typed(emu, tmp_path):
    gen = emu.generator(vertex=True, model=MODEL)
    result = gen.generate("a", output_gcs_uri="gs://b/o/")
    emu.inject("gcs_download", Fault.redirect("file:///etc/passwd", 302), times=10)
    out, elapsed = timed(lambda: result.save(tmp_path, timeout=2.0))
    assert elapsed < 3.0
    assert isinstance(out, veowrap.DownloadError), repr(out)
    assert list(tmp_path.iterdir()) == []


def test_batch_with_every_poll_stalled_returns_on_time(emu):
    gen = emu.generator(vertex=True, model=MODEL)
    emu.inject("poll", Fault.stall(30), times=100)
    items, elapsed = timed(
        lambda: list(gen.generate_many(["s1", "s2", "s3"], timeout=1.0, concurrency=3))
    )
    assert elapsed < 2.0
    assert [type(i.error) for i in items] == [veowrap.OperationTimeoutError] * 3
    assert all(i.handle is not None for i in items)
    assert emu.accepted_submissions == 3
