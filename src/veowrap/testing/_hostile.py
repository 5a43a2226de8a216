"""Response bodies of the hostile faults: wrong content, echoed secrets, bombs and redirects."""

from __future__ import annotations

import functools
import gzip
import struct
import zlib

from ._errors import GoogleError
from ._http import Response, json_response

_MIB = 1 << 20
_JSON_PREFIX = b'{"name": "'

_HTML_PAGE = (
    b"<!DOCTYPE html>\n<html lang=en><head><meta charset=utf-8>"
    b"<title>Error 502 (Server Error)!!1</title></head>\n"
    b"<body><p><b>502.</b> <ins>That\xe2\x80\x99s an error.</ins></p>"
    b"<p>The server encountered a temporary error and could not complete your request."
    b"<p>Please try again in 30 seconds. <ins>That\xe2\x80\x99s all we know.</ins></body>"
    b"</html>\n"
)


def wrong_content(kind: str) -> Response:
    """A 200 answer whose body is not the requested media (see `Fault.wrong_content`)."""
    if kind == "html":
        return Response(200, [_HTML_PAGE], len(_HTML_PAGE), {"Content-Type": "text/html"})
    if kind == "json":
        return json_response({"name": "files/abc123", "state": "ACTIVE", "mimeType": "video/mp4"})
    if kind == "gzip":
        data = gzip.compress(b"not a video, " * 1000, mtime=0)
        return Response(200, [data], len(data), {"Content-Type": "application/gzip"})
    return Response(200, [], 0, {"Content-Type": "video/mp4"})


def echo_credentials(status: int, headers: dict[str, str], query: dict[str, str]) -> GoogleError:
    """An error whose message and details repeat every credential the request carried."""
    echoed = {
        "x-goog-api-key": headers.get("x-goog-api-key"),
        "Authorization": headers.get("authorization"),
        "key": query.get("key"),
    }
    present = {name: value for name, value in echoed.items() if value is not None}
    listed = "; ".join(f"{name}={value}" for name, value in present.items()) or "none"
    message = f"Request rejected. Received credentials: {listed}"
    details = [
        {
            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
            "reason": "CREDENTIALS_ECHOED",
            "domain": "googleapis.com",
            "metadata": present,
        }
    ]
    return GoogleError(status, message, details=details)


@functools.cache
def _bomb(megabytes: int, json_like: bool) -> bytes:
    """A gzip member that inflates to `megabytes` MiB, built in well under a second.

    Compressing a GiB honestly takes seconds. With a full flush after each MiB the deflate
    state resets, so every MiB block compresses to the same bytes: compress one, repeat it,
    and write the gzip header and trailer (CRC-32 and size) by hand.
    """
    filler = (b"0" if json_like else b"\0") * _MIB
    prefix = _JSON_PREFIX if json_like else b""
    deflate = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    head = deflate.compress(prefix) + deflate.flush(zlib.Z_FULL_FLUSH)
    block = deflate.compress(filler) + deflate.flush(zlib.Z_FULL_FLUSH)
    tail = deflate.flush(zlib.Z_FINISH)
    crc = zlib.crc32(prefix)
    for _ in range(megabytes):
        crc = zlib.crc32(filler, crc)
    size = (len(prefix) + megabytes * _MIB) & 0xFFFFFFFF
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
    return header + head + block * megabytes + tail + struct.pack("<II", crc, size)


def compression_bomb(megabytes: int, json_like: bool) -> Response:
    """A 200 answer with `Content-Encoding: gzip` that inflates to `megabytes` MiB."""
    data = _bomb(megabytes, json_like)
    content_type = "application/json; charset=UTF-8" if json_like else "video/mp4"
    headers = {"Content-Type": content_type, "Content-Encoding": "gzip"}
    return Response(200, [data], len(data), headers)


def redirect(status: int, location: str) -> Response:
    """An empty answer pointing elsewhere."""
    return Response(status, [], 0, {"Location": location})
