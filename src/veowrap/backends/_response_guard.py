"""Guards on the answers google-genai reads for veowrap: no compression bomb, no redirect.

google-genai reads each answer whole and lets httpx inflate ``Content-Encoding: gzip`` without
limit, so a 1 MB hostile answer to a poll can take the client to gigabytes. A response hook,
added through httpx's public ``event_hooks`` to the clients the backend drives, takes over the
decoding of JSON and text answers: it inflates gzip/deflate itself with a cap on the output
and counts identity bodies, and fails the read with :class:`ResponseTooLarge` (classified as a
malformed answer: a poll is retried, a create is uncertain) once the cap is passed.

Video bodies are not touched: veowrap downloads them with its own client and its own limits.
"""

from __future__ import annotations

import contextlib
import sys
import zlib
from collections.abc import AsyncIterator, Iterator
from typing import Any

__all__ = ["MAX_ANSWER_BYTES", "ResponseTooLarge", "guard_clients"]

#: The most bytes (after decompression) one JSON answer may have. Operations and interactions
#: answers are kilobytes; inline base64 videos on Vertex AI reach a few tens of megabytes (larger
#: ones need an output storage URI).
MAX_ANSWER_BYTES = 64 * 1024 * 1024
_GUARDED = "_veowrap_guarded"


class ResponseTooLarge(ValueError):
    """An answer inflated past :data:`MAX_ANSWER_BYTES`, was corrupt, or used a compression
    veowrap refuses. The fault classification reads it as a malformed answer.
    """


def _wbits(encoding: str) -> int | None:
    if encoding == "gzip" or encoding == "x-gzip":
        return 16 + zlib.MAX_WBITS
    if encoding == "deflate":
        return zlib.MAX_WBITS
    return None


class _Limiter:
    """Inflates (or counts) one body, refusing to produce more than ``limit`` bytes."""

    def __init__(self, encoding: str, limit: int) -> None:
        self._limit = limit
        self._total = 0
        wbits = _wbits(encoding)
        self._decoder = zlib.decompressobj(wbits) if wbits is not None else None

    def feed(self, chunk: bytes) -> bytes:
        if self._decoder is None:
            data = chunk
        else:
            try:
                data = self._decoder.decompress(chunk, self._limit + 1 - self._total)
            except zlib.error as error:
                raise ResponseTooLarge(
                    f"the answer's compressed body is corrupt: {error}"
                ) from None
            if self._decoder.unconsumed_tail:
                self._too_large()
        self._total += len(data)
        if self._total > self._limit:
            self._too_large()
        return data

    def flush(self) -> bytes:
        if self._decoder is None:
            return b""
        data = self._decoder.flush()
        self._total += len(data)
        if self._total > self._limit:
            self._too_large()
        return data

    def _too_large(self) -> None:
        raise ResponseTooLarge(
            f"the answer is larger than {self._limit} bytes once decompressed; refused"
        )


class _GuardedSync:
    """A sync httpx response stream run through a :class:`_Limiter`."""

    def __init__(self, raw: Any, encoding: str, limit: int) -> None:
        self._raw = raw
        self._encoding = encoding
        self._limit = limit

    def __iter__(self) -> Iterator[bytes]:
        limiter = _Limiter(self._encoding, self._limit)
        for chunk in self._raw:
            data = limiter.feed(chunk)
            if data:
                yield data
        tail = limiter.flush()
        if tail:
            yield tail

    def close(self) -> None:
        self._raw.close()


class _GuardedAsync:
    """An async httpx response stream run through a :class:`_Limiter`."""

    def __init__(self, raw: Any, encoding: str, limit: int) -> None:
        self._raw = raw
        self._encoding = encoding
        self._limit = limit

    async def __aiter__(self) -> AsyncIterator[bytes]:
        limiter = _Limiter(self._encoding, self._limit)
        async for chunk in self._raw:
            data = limiter.feed(chunk)
            if data:
                yield data
        tail = limiter.flush()
        if tail:
            yield tail

    async def aclose(self) -> None:
        await self._raw.aclose()


_STREAM_CLASSES: dict[tuple[str, bool], type] = {}


def _stream_class(response: Any, asynchronous: bool) -> type:
    """Our stream as a subclass of the response's own httpx/httpx2 stream base class.

    httpx checks ``isinstance(stream, SyncByteStream)`` before closing, and httpx and httpx2
    have distinct classes, so the wrapper must derive from the right package's base.
    """
    package = type(response).__module__.split(".")[0]
    key = (package, asynchronous)
    if key not in _STREAM_CLASSES:
        module = sys.modules[package]
        base = module.AsyncByteStream if asynchronous else module.SyncByteStream
        ours = _GuardedAsync if asynchronous else _GuardedSync
        _STREAM_CLASSES[key] = type(ours.__name__, (ours, base), {})
    return _STREAM_CLASSES[key]


class RedirectRefused(ConnectionError):
    """An API call was answered with a redirect, which veowrap never follows.

    Google's APIs do not redirect API calls; following one would re-send a billable create (a
    307/308 repeats the POST) and carry the API key to whatever host the ``Location`` names.
    A create answered this way is uncertain: the server may have accepted it first.
    """


def _guard(response: Any, limit: int) -> None:
    if 300 <= response.status_code < 400 and "location" in response.headers:
        # Raised before httpx can follow it (hooks run for every hop of a redirect chain).
        raise RedirectRefused(
            f"the API answered HTTP {response.status_code} with a redirect; veowrap does not "
            "follow redirects of API calls"
        )
    content_type = response.headers.get("content-type", "").lower()
    if content_type and "json" not in content_type and not content_type.startswith("text/"):
        return  # not an API answer (a video read through the caller's own client)
    encodings = [
        part.strip().lower()
        for part in response.headers.get("content-encoding", "").split(",")
        if part.strip() and part.strip().lower() != "identity"
    ]
    if len(encodings) > 1 or (encodings and _wbits(encodings[0]) is None):
        raise ResponseTooLarge(
            f"the answer uses Content-Encoding {', '.join(encodings)!r}, which veowrap refuses "
            "for API answers"
        )
    module = sys.modules[type(response).__module__.split(".")[0]]
    stream = _stream_class(response, isinstance(response.stream, module.AsyncByteStream))
    response.stream = stream(response.stream, encodings[0] if encodings else "", limit)
    if encodings:
        # Decoded here, with a limit: httpx must not inflate it a second time.
        del response.headers["content-encoding"]


def guard_clients(*clients: Any, limit: int = MAX_ANSWER_BYTES) -> None:
    """Adds the size guard to httpx/httpx2 clients (sync or async), once each.

    Objects that are not httpx clients (``None``, aiohttp sessions) are skipped.
    """
    for client in clients:
        hooks = getattr(client, "event_hooks", None)
        if not isinstance(hooks, dict) or getattr(client, _GUARDED, False):
            continue
        # SDKs subclass httpx's clients (google-genai's AsyncHttpx2Client): read the ancestry.
        if any(cls.__name__ == "AsyncClient" for cls in type(client).__mro__):

            async def hook_async(response: Any) -> None:
                _guard(response, limit)

            hooks["response"] = [*hooks.get("response", []), hook_async]
        else:

            def hook(response: Any) -> None:
                _guard(response, limit)

            hooks["response"] = [*hooks.get("response", []), hook]
        client.event_hooks = hooks
        # google-genai 3.x's async client sends through an inner client per event loop, built
        # from the keyword arguments it was made with: the hook must be in those too.
        inner_arguments = getattr(client, "_client_kwargs", None)
        if isinstance(inner_arguments, dict):
            inner_arguments["event_hooks"] = {
                "request": list(hooks.get("request", [])),
                "response": list(hooks["response"]),
            }
        for inner in list(getattr(client, "_loop_clients", {}).values()):
            guard_clients(inner, limit=limit)
        with contextlib.suppress(AttributeError):  # __slots__: the hook list still guards
            setattr(client, _GUARDED, True)
