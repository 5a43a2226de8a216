"""Helpers for the second attack round: hostile GCS/Files servers, MP4 surgery, subprocesses.

Reuses the raw-socket server of ``tests/attack/hostile.py``.
"""

from __future__ import annotations

import base64
import os
import socket
import struct
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent.parent / "attack"))

import hostile
from hostile import MP4, Hostile, Request, google_error, send

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
GCS_URI = "gs://bucket/out/sample_0.mp4"

Body = Callable[[Hostile, Request, socket.socket], bool]


def boxes(data: bytes) -> list[tuple[int, int, bytes]]:
    """(offset, size, kind) of the top-level boxes of a well-formed MP4."""
    out, i = [], 0
    while i < len(data):
        size, kind = struct.unpack_from(">I4s", data, i)
        out.append((i, size, kind))
        i += size
    return out


def box(kind: bytes, payload: bytes = b"") -> bytes:
    return struct.pack(">I4s", 8 + len(payload), kind) + payload


def mdat_offset(data: bytes = MP4) -> int:
    return next(off for off, _, kind in boxes(data) if kind == b"mdat")


def with_mdat_size(data: bytes, size: int, *, large: bool = False) -> bytes:
    """Rewrites the mdat header (size 0 = to EOF, or a 64-bit largesize)."""
    off = mdat_offset(data)
    payload = data[off + 8 :]
    head = struct.pack(">I4sQ", 1, b"mdat", size) if large else struct.pack(">I4s", size, b"mdat")
    return data[:off] + head + payload


def raw_body(
    body: bytes,
    *,
    headers: dict[str, str] | None = None,
    content_type: str = "video/mp4",
    length: bool = True,
    close: bool = False,
) -> Body:
    """A GCS answer writing exactly these bytes (optionally without Content-Length)."""

    def handler(server: Hostile, request: Request, sock: socket.socket) -> bool:
        extra = dict(headers or {})
        if not length:
            extra.setdefault("Connection", "close")
        send(sock, 200, body, content_type=content_type, length=length, headers=extra)
        return not (close or not length)

    return handler


def chunked(parts: list[bytes], *, headers: dict[str, str] | None = None) -> Body:
    def handler(server: Hostile, request: Request, sock: socket.socket) -> bool:
        head = ["HTTP/1.1 200 OK", "Content-Type: video/mp4", "Transfer-Encoding: chunked"]
        head += [f"{k}: {v}" for k, v in (headers or {}).items()]
        out = ("\r\n".join(head) + "\r\n\r\n").encode()
        for part in parts:
            out += f"{len(part):x}\r\n".encode() + part + b"\r\n"
        out += b"0\r\n\r\n"
        sock.sendall(out)
        return True

    return handler


def gcs_server(
    download: Body,
    *,
    videos: list[dict[str, Any]] | None = None,
    counter: dict[str, int] | None = None,
) -> Hostile:
    """A Vertex server: creates accepted, polls done with gcsUri videos, GCS GETs → download."""

    def handler(server: Hostile, request: Request, sock: socket.socket) -> bool:
        if request.is_create:
            send(sock, 200, {"name": server.accept()})
            return True
        if request.is_poll:
            name = (request.json() or {}).get("operationName", "")
            vids = videos or [{"gcsUri": GCS_URI, "mimeType": "video/mp4"}]
            send(
                sock,
                200,
                {"name": name, "done": True, "response": {"videos": vids}},
            )
            return True
        if "/storage/v1/b/" in request.path:
            if counter is not None:
                counter["downloads"] = counter.get("downloads", 0) + 1
            return download(server, request, sock)
        send(sock, 404, google_error(404, "not found", "NOT_FOUND"))
        return True

    return Hostile(handler)


def inline_server(payloads: list[bytes], mime: str = "video/mp4") -> Hostile:
    """A Vertex server whose done operation carries these inline base64 videos."""
    vids = [
        {"bytesBase64Encoded": base64.b64encode(p).decode(), "mimeType": mime} for p in payloads
    ]

    def handler(server: Hostile, request: Request, sock: socket.socket) -> bool:
        if request.is_create:
            send(sock, 200, {"name": server.accept()})
            return True
        if request.is_poll:
            name = (request.json() or {}).get("operationName", "")
            send(sock, 200, {"name": name, "done": True, "response": {"videos": vids}})
            return True
        send(sock, 404, google_error(404, "not found", "NOT_FOUND"))
        return True

    return Hostile(handler)


def generator(server: Hostile, *, asynchronous: bool = False, **kw: Any):
    import veowrap

    kw.setdefault("retry_policy", veowrap.RetryPolicy(attempts=2, initial_delay=0.01))
    kw.setdefault("poll_schedule", veowrap.PollSchedule.fixed(0.02))
    return hostile.generator(server, asynchronous=asynchronous, **kw)


def result_from(server: Hostile, **kw: Any):
    gen = generator(server)
    res = gen.generate("a cat", model=hostile.MODEL, timeout=5, **kw)
    return gen, res


def visible_files(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if not p.name.startswith("."))


def all_files(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


def run_py(code: str, *, timeout: float = 8, env: dict[str, str] | None = None, **kw: Any):
    """Runs ``code`` in a fresh interpreter with the worktree's src on the path."""
    full_env = dict(os.environ)
    full_env["PYTHONPATH"] = os.pathsep.join(
        [str(ROOT / "src"), str(Path(__file__).parent), str(ROOT / "tests" / "attack")]
    )
    full_env.update(env or {})
    return subprocess.run(
        [PYTHON, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=full_env,
        cwd=kw.pop("cwd", None),
        **kw,
    )


def spawn_py(code: str, *, env: dict[str, str] | None = None, **kw: Any) -> subprocess.Popen:
    full_env = dict(os.environ)
    full_env["PYTHONPATH"] = os.pathsep.join(
        [str(ROOT / "src"), str(Path(__file__).parent), str(ROOT / "tests" / "attack")]
    )
    full_env.update(env or {})
    return subprocess.Popen(
        [PYTHON, "-c", textwrap.dedent(code)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=full_env,
        **kw,
    )


def cli(*args: str, timeout: float = 15, cwd: str | None = None, env=None):
    full_env = dict(os.environ)
    full_env["PYTHONPATH"] = str(ROOT / "src")
    full_env.update(env or {})
    return subprocess.run(
        [PYTHON, "-m", "veowrap.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=full_env,
        cwd=cwd,
    )
