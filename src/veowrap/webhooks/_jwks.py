"""`JwksKeys`: a JWKS fetched only from its configured URL, bounded in time and size, cached.

The optional packages (``PyJWT[crypto]``) are imported on first use.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import socket
import threading
import time
import urllib.request
from typing import TYPE_CHECKING, Any

from veowrap._core import webhooks as rules
from veowrap._core.webhooks import WebhookVerificationError
from veowrap._errors import UnsupportedCapabilityError

if TYPE_CHECKING:
    from jwt import PyJWK, PyJWKClient

__all__ = ["JwksKeys", "checked_jwks", "keys_for", "need"]

#: A key set larger than this is refused (Google's holds a handful of keys, a few KiB).
MAX_JWKS_BYTES = 64 << 10
#: Seconds a key set is reused before it is fetched again.
JWKS_LIFESPAN = 300.0
#: Seconds at least between two fetches forced by an unknown key: forged deliveries must not
#: turn this endpoint into a stream of requests to the key host.
JWKS_REFETCH_COOLDOWN = 30.0
_INSTALL_HINT = "Install the extra: pip install 'veowrap[webhooks]'."

Secret = str | bytes


def need(module: str) -> Any:
    """Imports an optional package, or says which extra installs it."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as error:
        raise UnsupportedCapabilityError(
            f"Verifying webhooks needs the package {module.split('.')[0]!r}, which is not "
            "installed.",
            hint=_INSTALL_HINT,
        ) from error


class JwksKeys:
    """The public keys of a JWKS URL, fetched with a bounded time and size, and cached.

    Only the configured URL is ever fetched: redirects are refused, a token's ``jku``/``x5u``
    headers are never followed, and no credential is sent (the key host needs none).

    Args:
        url: The key set's URL (HTTPS; plain HTTP only to a loopback address, for tests).
        timeout: Seconds one fetch may take.
        lifespan: Seconds a fetched set is reused.
        cooldown: Seconds at least between fetches forced by a key that is not in the set.
    """

    def __init__(
        self,
        url: str,
        *,
        timeout: float = 5.0,
        lifespan: float = JWKS_LIFESPAN,
        cooldown: float = JWKS_REFETCH_COOLDOWN,
    ) -> None:
        self.url = rules.check_url("jwks", url, hint="Use webhooks.GOOGLE_JWKS_URL.")
        self.timeout = timeout
        self.lifespan = lifespan
        self.cooldown = cooldown
        self._lock = threading.Lock()
        self._client: PyJWKClient | None = None
        self._fetched_at: float | None = None
        self._failed_at: float | None = None
        self.fetches = 0

    def _jwt_client(self) -> PyJWKClient:
        if self._client is None:
            jwt = need("jwt")
            keys = self

            class _Client(jwt.PyJWKClient):  # type: ignore[misc,name-defined]
                def fetch_data(self) -> Any:
                    data = keys._fetch()
                    if self.jwk_set_cache is not None:
                        self.jwk_set_cache.put(data)
                    return data

            self._client = _Client(
                self.url,
                cache_jwk_set=True,
                lifespan=self.lifespan,
                timeout=self.timeout,
                cooldown_duration=self.cooldown,
            )
        return self._client

    def _fetch(self) -> dict[str, Any]:
        """One GET of the key set: no redirects, no credentials, bounded time and size.

        ``timeout`` bounds the whole fetch, not each socket read: a key host that sends one
        byte at a time would otherwise hold verification (and this set's lock) for ever.
        When the deadline passes, the connection is shut down, which ends a blocked read.
        """
        jwt_client = need("jwt.jwks_client")
        deadline = _Deadline()
        opener = urllib.request.build_opener(
            jwt_client._NoRedirectHandler(),
            _DeadlineHTTPHandler(deadline),
            _DeadlineHTTPSHandler(deadline),
        )
        request = urllib.request.Request(
            self.url, headers={"Accept": "application/json", "User-Agent": "veowrap-webhooks"}
        )
        timer = threading.Timer(self.timeout, deadline.expire)
        timer.daemon = True
        timer.start()
        try:
            with opener.open(request, timeout=self.timeout) as response:
                if response.status != 200:
                    raise OSError(f"HTTP {response.status}")
                raw = response.read(MAX_JWKS_BYTES + 1)
            if deadline.expired:
                raise TimeoutError("the key set took longer than its timeout")
        except Exception as error:
            self._failed_at = time.monotonic()
            kind = "TimeoutError" if deadline.expired else type(error).__name__
            raise WebhookVerificationError(
                f"The key set at {self.url} could not be fetched ({kind}).",
                check="keys",
                hint="Check the JWKS URL and this host's network; the delivery will be retried.",
            ) from None
        finally:
            timer.cancel()
            deadline.close()
            self.fetches += 1
            self._fetched_at = time.monotonic()
        if len(raw) > MAX_JWKS_BYTES:
            raise WebhookVerificationError(
                f"The key set at {self.url} is larger than {MAX_JWKS_BYTES} bytes.", check="keys"
            )
        try:
            data = json.loads(raw)
        except ValueError:
            data = None
        if not isinstance(data, dict) or not isinstance(data.get("keys"), list):
            raise WebhookVerificationError(
                f"The key set at {self.url} is not a JWKS document.", check="keys"
            )
        self._failed_at = None
        return data

    def keys(self, refresh: bool = False) -> list[PyJWK]:
        """The usable keys (cached; ``refresh`` fetches again unless within the cooldown)."""
        jwt = need("jwt")
        with self._lock:
            self._refuse_while_failing()
            client = self._jwt_client()
            if refresh and not self.may_refresh():
                refresh = False
            try:
                return list(client.get_jwk_set(refresh=refresh).keys)
            except jwt.exceptions.PyJWKSetError:
                raise WebhookVerificationError(
                    f"The key set at {self.url} holds no usable key.", check="keys"
                ) from None

    def _refuse_while_failing(self) -> None:
        # A key host that just failed is not asked again per delivery: a flood of forgeries
        # while it is down would otherwise each wait for a timeout.
        if self._failed_at is not None and time.monotonic() - self._failed_at < self.cooldown:
            raise WebhookVerificationError(
                f"The key set at {self.url} could not be fetched recently; not retried for "
                f"{self.cooldown:g} s.",
                check="keys",
                hint="Check the JWKS URL and this host's network; the sender retries.",
            )

    def may_refresh(self) -> bool:
        """Whether a forced fetch is allowed now (the cooldown has passed)."""
        return self._fetched_at is None or time.monotonic() - self._fetched_at >= self.cooldown

    def signing_key(self, kid: str) -> PyJWK:
        """The key with id ``kid`` (fetched again once, cooldown permitting, when unknown)."""
        jwt = need("jwt")
        with self._lock:
            self._refuse_while_failing()
            try:
                key: PyJWK = self._jwt_client().get_signing_key(kid)
            except jwt.exceptions.PyJWKClientError:
                raise WebhookVerificationError(
                    "The token's key id is not in the key set.", check="signature"
                ) from None
            return key


class _Deadline:
    """The connections of one fetch, shut down together when its time is up.

    Each is kept as a duplicate of its socket: TLS takes over (detaches) the original
    socket object, while a shutdown through the duplicate still ends the shared connection,
    handshake included.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self.expired = False

    def watch(self, sock: socket.socket) -> None:
        copy = sock.dup()
        with self._lock:
            self._sockets.append(copy)
            late = self.expired
        if late:
            _shut(copy)

    def expire(self) -> None:
        with self._lock:
            self.expired = True
            sockets = list(self._sockets)
        for sock in sockets:
            _shut(sock)

    def close(self) -> None:
        """Closes the duplicates (the connections themselves are closed by their owners)."""
        with self._lock:
            sockets, self._sockets = self._sockets, []
        for sock in sockets:
            sock.close()


def _shut(sock: socket.socket) -> None:
    # shutdown (not close) wakes a read blocked in another thread.
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


def _watched(cls: type[http.client.HTTPConnection], deadline: _Deadline) -> Any:
    """``cls`` whose raw socket is handed to ``deadline`` as soon as it is connected.

    Before any TLS handshake or proxy tunnel, so those are inside the deadline too.
    """

    class Connection(cls):  # type: ignore[valid-type,misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            connect: Any = self._create_connection  # type: ignore[has-type]

            def create(*a: Any, **k: Any) -> socket.socket:
                sock: socket.socket = connect(*a, **k)
                deadline.watch(sock)
                return sock

            self._create_connection = create

    return Connection


class _DeadlineHTTPHandler(urllib.request.HTTPHandler):
    def __init__(self, deadline: _Deadline) -> None:
        super().__init__()
        self._deadline = deadline

    def http_open(self, req: urllib.request.Request) -> Any:
        return self.do_open(_watched(http.client.HTTPConnection, self._deadline), req)


class _DeadlineHTTPSHandler(urllib.request.HTTPSHandler):
    def __init__(self, deadline: _Deadline) -> None:
        super().__init__()
        self._deadline = deadline

    def https_open(self, req: urllib.request.Request) -> Any:
        # The default TLS context (certificates verified), as urllib's own handler uses.
        return self.do_open(_watched(http.client.HTTPSConnection, self._deadline), req)


_KEYSETS: dict[str, JwksKeys] = {}
_KEYSETS_LOCK = threading.Lock()


def keys_for(jwks: str | JwksKeys) -> JwksKeys:
    """One shared, cached :class:`JwksKeys` per URL."""
    if isinstance(jwks, JwksKeys):
        return jwks
    with _KEYSETS_LOCK:
        found = _KEYSETS.get(jwks)
        if found is None:
            found = _KEYSETS[jwks] = JwksKeys(jwks)
        return found


def checked_jwks(jwks: object) -> str | JwksKeys | None:
    """``jwks=`` checked up front: a key-set URL (:func:`rules.check_url`), a
    :class:`JwksKeys`, or ``None``.

    Raises:
        RequestValidationError: Anything else, or a URL that is refused (shown with its
            credentials masked).
    """
    if jwks is None or isinstance(jwks, JwksKeys):
        return jwks
    return rules.check_url("jwks", jwks, hint="Use webhooks.GOOGLE_JWKS_URL, or None.")
