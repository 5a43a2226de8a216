"""Streamed HTTP GETs for finished videos and file states, on httpx (or google-genai 3's httpx2).

google-genai's ``files.download`` holds the whole video in memory on older versions and has no
Cloud Storage download at all, so finished videos are fetched here, in chunks, through a
client built with the SDK client's own TLS, proxy and transport settings (so downloads work
wherever the SDK works).

What this layer guarantees:

- **Credentials** (sent in headers, never in the URL) go only where
  :func:`veowrap._core.credentials.credentials_allowed` says. Redirects are followed here, not
  by httpx (which keeps custom headers such as ``x-goog-api-key`` across hosts): a hop to
  another origin goes without credentials, and if it then answers 401/403 the download fails
  saying so. At most :data:`~veowrap._core.fetching.MAX_REDIRECTS` hops.
- **Deadlines**: every socket read is bounded by the stall timeout and by the transfer's
  deadline (:mod:`veowrap._transfer`), response headers must arrive within the stall timeout
  in total (trickled headers cannot hold a call), and reads notice within 0.25 s that the
  caller gave up.
- **Sizes**: ``Accept-Encoding: identity`` is asked for and any other encoding refused (no
  compression bomb can inflate), JSON answers and error bodies are read up to a cap.
- **Secrets** never reach an exception: server messages are scrubbed of the credentials sent.
"""

from __future__ import annotations

import importlib
import inspect
import io
import json
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from veowrap._core.credentials import Origin, permitted_headers
from veowrap._core.fetching import (
    MAX_ERROR_BODY,
    MAX_JSON_BYTES,
    MAX_REDIRECTS,
    REDIRECT_STATUSES,
    acceptable_encoding,
    redirect_target,
)
from veowrap._errors import DownloadError
from veowrap._transfer import DownloadCancelled, TransferScope, current_scope
from veowrap._version import __version__

__all__ = [
    "BytesStream",
    "Fetcher",
    "HttpStatusError",
    "HttpStream",
    "build_download_client",
    "import_httpx",
]

#: Longest single socket wait: how soon a transfer notices that its caller gave up.
READ_SLICE = 0.25
# httpx.Client settings that shape the connection (TLS, proxies, transports), reused from the
# SDK's client_args. Headers, auth, cookies, hooks and base URL are the SDK's business only.
_CONNECTION_SETTINGS = (
    "verify",
    "cert",
    "trust_env",
    "http1",
    "http2",
    "proxy",
    "proxies",
    "mounts",
    "transport",
    "limits",
)


def import_httpx() -> Any:
    """httpx2 (google-genai 3.x) if installed, else httpx (google-genai 2.x)."""
    try:
        return importlib.import_module("httpx2")
    except ImportError:
        return importlib.import_module("httpx")


# -- streams -------------------------------------------------------------------------------


@dataclass
class BytesStream:
    """Bytes already in memory (inline results), read like a download."""

    data: bytes
    content_type: str | None = None

    @property
    def length(self) -> int | None:
        """The number of bytes."""
        return len(self.data)

    def chunks(self, size: int) -> Iterator[bytes]:
        """Yields the bytes in chunks of at most ``size`` bytes."""
        buffer = io.BytesIO(self.data)
        while chunk := buffer.read(size):
            yield chunk


class HttpStream:
    """An open HTTP response, read undecoded in chunks as they arrive."""

    def __init__(self, response: Any) -> None:
        self._response = response
        length = response.headers.get("content-length")
        self.length: int | None = int(length) if length and length.strip().isdigit() else None
        self.content_type: str | None = response.headers.get("content-type")

    def chunks(self, size: int) -> Iterator[bytes]:
        """Yields the body in chunks of at most ``size`` bytes."""
        # iter_raw() without a size hands over what each socket read brought (no re-chunking
        # copy); only an oversized piece is split.
        for piece in self._response.iter_raw():
            if len(piece) <= size:
                yield piece
            else:
                view = memoryview(piece)
                for start in range(0, len(piece), size):
                    yield bytes(view[start : start + size])


class HttpStatusError(Exception):
    """An HTTP error answer, in the shape :mod:`veowrap._core.faults` reads.

    Attributes:
        status_code: The HTTP status.
        headers: The response headers (lower-case names).
        body: The start of the body, with any credential that was sent scrubbed out.
        origin: Where the answer came from (scheme, host, port; never a path or query).
    """

    def __init__(self, status_code: int, headers: Mapping[str, str], body: str, origin: str):
        self.status_code = status_code
        self.headers = dict(headers)
        self.body = body
        self.origin = origin
        super().__init__(f"HTTP {status_code} from {origin}: {_message(body)}")


def _message(body: str) -> str:
    try:
        parsed = json.loads(body)
    except ValueError:
        return body.strip()[:200]
    error = parsed.get("error") if isinstance(parsed, dict) else None
    if isinstance(error, dict) and error.get("message"):
        return str(error["message"])[:200]
    return body.strip()[:200]


def _scrub(text: str, secrets: Sequence[str]) -> str:
    for secret in secrets:
        if len(secret) >= 6:
            text = text.replace(secret, "[redacted]")
    return text


def _secrets_of(headers: Mapping[str, str]) -> list[str]:
    values: list[str] = []
    for value in headers.values():
        values.append(value)
        scheme, _, token = value.partition(" ")
        if token and scheme.lower() in ("bearer", "basic"):
            values.append(token)
    return sorted(values, key=len, reverse=True)


# -- the client ----------------------------------------------------------------------------


def build_download_client(api_client: Any) -> tuple[Any, bool]:
    """An httpx client for downloads, configured like the SDK client's own.

    A client the caller handed to google-genai (``HttpOptions(httpx_client=...)``) is used
    as it is; otherwise a new one takes the connection settings of ``HttpOptions.client_args``
    and the SSL context google-genai built (``SSL_CERT_FILE``, mTLS, truststore), and reads
    proxy settings from the environment as the SDK's does.

    Returns:
        The client, and whether it is this caller's to close.
    """
    httpx = import_httpx()
    options = getattr(api_client, "_http_options", None)
    given = getattr(options, "httpx_client", None)
    if given is not None and isinstance(given, httpx.Client):
        return given, False
    user = dict(getattr(options, "client_args", None) or {})
    accepted = set(inspect.signature(httpx.Client.__init__).parameters)
    arguments = {k: user[k] for k in _CONNECTION_SETTINGS if k in user and k in accepted}
    if "verify" not in arguments:
        computed = getattr(api_client, "_async_httpx_client_args", None) or {}
        if computed.get("verify") is not None:
            arguments["verify"] = computed["verify"]
    client = httpx.Client(follow_redirects=False, **arguments)
    theirs = {id(arguments.get("transport")), *map(id, (arguments.get("mounts") or {}).values())}
    transports = [client._transport, *client._mounts.values()]
    for transport in transports:
        if transport is not None and id(transport) not in theirs:
            _bound_transport(transport)
    return client, True


def _bound_transport(transport: Any) -> None:
    # httpcore has no total deadline: a server trickling header bytes keeps a read alive for
    # ever. Its pools take a network backend, whose sockets we wrap so every read is bounded
    # by the transfer's deadlines and stop signal. Guarded: without the hook, deadlines still
    # hold for the caller (the download runs in a worker it stops waiting for).
    pool: Any = getattr(transport, "_pool", None)
    backend = getattr(pool, "_network_backend", None)
    if pool is None or backend is None or isinstance(backend, _BoundedBackend):
        return
    core = importlib.import_module(type(pool).__module__.split(".", 1)[0])
    pool._network_backend = _BoundedBackend(backend, core)


def _clamped(timeout: float | None) -> float | None:
    scope = current_scope()
    limit = scope.limit() if scope is not None else None
    if limit is None:
        return timeout
    left = max(0.0, limit - time.monotonic())
    return left if timeout is None else min(timeout, left)


class _BoundedBackend:
    """A network backend whose connections obey the current :class:`TransferScope`."""

    def __init__(self, inner: Any, core: Any) -> None:
        self._inner = inner
        self._core = core

    def connect_tcp(self, *args: Any, **kwargs: Any) -> Any:
        kwargs["timeout"] = _clamped(kwargs.get("timeout"))
        return _BoundedStream(self._inner.connect_tcp(*args, **kwargs), self._core)

    def connect_unix_socket(self, *args: Any, **kwargs: Any) -> Any:
        kwargs["timeout"] = _clamped(kwargs.get("timeout"))
        return _BoundedStream(self._inner.connect_unix_socket(*args, **kwargs), self._core)

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


class _BoundedStream:
    def __init__(self, inner: Any, core: Any) -> None:
        self._inner = inner
        self._core = core

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        scope = current_scope()
        if scope is None:
            return self._inner.read(max_bytes, timeout)  # type: ignore[no-any-return]
        own_end = None if timeout is None else time.monotonic() + timeout
        while True:
            if scope.stop.is_set():
                raise DownloadCancelled("the download was cancelled")
            limits = [end for end in (own_end, scope.limit()) if end is not None]
            end = min(limits) if limits else None
            now = time.monotonic()
            if end is not None and now >= end:
                raise self._core.ReadTimeout("timed out")
            wait = READ_SLICE if end is None else min(READ_SLICE, end - now)
            try:
                return self._inner.read(max_bytes, wait)  # type: ignore[no-any-return]
            except self._core.ReadTimeout:
                continue

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _clamped(timeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(self, ssl_context: Any, server_hostname: Any = None, timeout: Any = None) -> Any:
        inner = self._inner.start_tls(ssl_context, server_hostname, _clamped(timeout))
        return _BoundedStream(inner, self._core)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


# -- requests ------------------------------------------------------------------------------


class Fetcher:
    """GETs with veowrap's credential, redirect, size and deadline rules.

    Args:
        make_client: Builds the httpx client on first use: ``(client, owned)``.
        configured: Base URLs the caller configured; credentials may go there.
        stall_timeout: Seconds a connection may stay silent, and the most the response
            headers (or a whole JSON answer) may take to arrive.
    """

    def __init__(
        self,
        make_client: Any,
        *,
        configured: Sequence[str],
        stall_timeout: float,
    ) -> None:
        self._make_client = make_client
        self._configured = tuple(configured)
        self._stall = stall_timeout
        self._client: Any = None
        self._owned = False
        self._lock = threading.Lock()

    def _get_client(self) -> Any:
        with self._lock:
            if self._client is None:
                self._client, self._owned = self._make_client()
            return self._client

    def close(self) -> None:
        """Closes the client if this fetcher built it (a later request builds a new one)."""
        with self._lock:
            client, owned, self._client = self._client, self._owned, None
        if client is not None and owned:
            client.close()

    @contextmanager
    def open(self, url: str, credentials: Mapping[str, str]) -> Iterator[HttpStream]:
        """Opens ``url`` for a streamed GET of a video.

        Raises:
            HttpStatusError: The server answered with an error status.
            DownloadError: A refusal no retry can fix (credentials withheld, an encoding not
                asked for, a redirect that cannot be followed).
        """
        scope = current_scope() or TransferScope()
        with self._respond(url, credentials, scope) as response:
            yield HttpStream(response)

    def get_json(self, url: str, credentials: Mapping[str, str]) -> Any:
        """GETs a small JSON document (at most :data:`MAX_JSON_BYTES`), within the stall timeout.

        Raises:
            HttpStatusError: The server answered with an error status.
            DownloadError: The answer is too large or compressed.
            ValueError: It is not JSON.
        """
        scope = current_scope() or TransferScope()
        with scope.phase(self._stall), self._respond(url, credentials, scope) as response:
            body = _read_capped(response, MAX_JSON_BYTES)
        if body is None:
            raise DownloadError(
                f"The file state from {_origin_text(url)} is larger than "
                f"{MAX_JSON_BYTES:,} bytes; it was not read.",
                hint="This is not an answer the Files API gives; check the base URL.",
            )
        return json.loads(body)

    @contextmanager
    def _respond(
        self, url: str, credentials: Mapping[str, str], scope: TransferScope
    ) -> Iterator[Any]:
        httpx = import_httpx()
        client = self._get_client()
        secrets = _secrets_of(credentials)
        current = url
        carried = dict(credentials)  # once dropped on a hop, they stay dropped for the chain
        for _ in range(MAX_REDIRECTS + 1):
            carried = permitted_headers(
                current, carried, configured=self._configured, first_url=url
            )
            withheld = carried != dict(credentials)
            headers = {"Accept-Encoding": "identity", "User-Agent": f"veowrap/{__version__}"}
            headers.update(carried)
            timeout = _clamped(self._stall)
            request = httpx.Request(
                "GET",
                current,
                headers=headers,
                extensions={
                    "timeout": {
                        "connect": timeout,
                        "read": timeout,
                        "write": timeout,
                        "pool": timeout,
                    }
                },
            )
            scope.check()
            with scope.phase(self._stall):
                response = client.send(request, stream=True, auth=None, follow_redirects=False)
            try:
                status = int(response.status_code)
                if status in REDIRECT_STATUSES:
                    target = redirect_target(current, response.headers.get("location"))
                    if target is None:
                        raise DownloadError(
                            f"{_origin_text(current)} answered HTTP {status} without a "
                            "location that can be followed.",
                            hint="Try again later; if it persists, download video.uri yourself.",
                        )
                    current = target
                    continue
                if status >= 400:
                    with scope.phase(self._stall):
                        raw = _read_capped(response, MAX_ERROR_BODY, truncate=True) or b""
                    body = _scrub(raw.decode("utf-8", "replace"), secrets)
                    if status in (401, 403) and withheld:
                        raise DownloadError(
                            f"The download was redirected to {_origin_text(current)}, which "
                            f"answered HTTP {status}: it wanted credentials, which veowrap "
                            "withheld because they belong to another host.",
                            hint="Credentials are sent only to the configured base URL and to "
                            "Google's API hosts over https. Download the video yourself from "
                            "video.uri if you trust that host.",
                        )
                    raise HttpStatusError(status, response.headers, body, _origin_text(current))
                encoding = response.headers.get("content-encoding")
                if not acceptable_encoding(encoding):
                    raise DownloadError(
                        f"{_origin_text(current)} sent a body with Content-Encoding "
                        f"{encoding!r}, although veowrap asked for none; it was not read.",
                        hint="A proxy may be compressing responses; exempt Google's hosts.",
                    )
                yield response
                return
            finally:
                response.close()
        raise DownloadError(
            f"More than {MAX_REDIRECTS} redirects while downloading from {_origin_text(url)}.",
            hint="The server redirects in a loop; try again later.",
        )


def _read_capped(response: Any, cap: int, *, truncate: bool = False) -> bytes | None:
    """Up to ``cap`` bytes of the raw body; ``None`` if there is more (unless ``truncate``)."""
    parts: list[bytes] = []
    size = 0
    for piece in response.iter_raw():
        parts.append(piece)
        size += len(piece)
        if size > cap:
            if truncate:
                return b"".join(parts)[:cap]
            return None
    return b"".join(parts)


def _origin_text(url: str) -> str:
    origin = Origin.of(url)
    return str(origin) if origin is not None else "a non-HTTP location"
