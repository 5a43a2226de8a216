"""Which hosts may receive credentials: the one rule every download request goes through.

A key or token belongs to the service it was issued for. veowrap sends one only to:

- the origin the caller configured (the client's base URL, the storage base URL), over https,
  or over plain http when that host is this machine (an emulator on ``127.0.0.1``);
- Google's API hosts, ``googleapis.com`` and ``*.googleapis.com`` (Cloud Storage's
  ``storage.googleapis.com`` and ``*.storage.googleapis.com`` among them), over https on the
  default port.

A redirect that leaves the origin of the first request is followed without credentials, even
towards another Google host: a signed URL carries its own authority, and the header would at
best be ignored. Never plain http to another machine.
"""

from __future__ import annotations

import ipaddress
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

__all__ = [
    "CREDENTIAL_HEADERS",
    "Origin",
    "check_api_key",
    "credentials_allowed",
    "is_loopback",
    "permitted_headers",
]

#: Request headers that carry a secret (compared lower-case).
CREDENTIAL_HEADERS = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "x-goog-api-key",
        "x-goog-iam-authorization-token",
        "cookie",
    }
)

_DEFAULT_PORTS = {"http": 80, "https": 443}
_GOOGLE_API_DOMAIN = "googleapis.com"


@dataclass(frozen=True)
class Origin:
    """A URL's scheme, host and port: what credentials are bound to.

    Attributes:
        scheme: ``http`` or ``https``.
        host: The host, lower-case, without a trailing dot (an IPv6 address without brackets).
        port: The port, the scheme's default filled in.
    """

    scheme: str
    host: str
    port: int

    @classmethod
    def of(cls, url: str) -> Origin | None:
        """The origin of ``url``, or ``None`` for anything that is not a plain http(s) URL.

        URLs with user information (``https://a@b/``), backslashes, whitespace or control
        characters in the authority are refused: parsers disagree about where their host is.
        """
        try:
            parts = urlsplit(url)
            scheme = parts.scheme.lower()
            netloc = parts.netloc
            if scheme not in _DEFAULT_PORTS or not netloc:
                return None
            if "@" in netloc or "\\" in netloc or any(c.isspace() or ord(c) < 32 for c in netloc):
                return None
            host = (parts.hostname or "").rstrip(".").lower()
            port = parts.port or _DEFAULT_PORTS[scheme]
        except ValueError:  # a port out of range or not a number, a malformed IPv6 literal
            return None
        if not host:
            return None
        return cls(scheme, host, port)

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = _DEFAULT_PORTS[self.scheme] == self.port
        return f"{self.scheme}://{host}" + ("" if default else f":{self.port}")


def is_loopback(host: str) -> bool:
    """Whether ``host`` names this machine (``localhost``, ``127.0.0.0/8``, ``::1``)."""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _google_api(origin: Origin) -> bool:
    host = origin.host
    google = host == _GOOGLE_API_DOMAIN or host.endswith("." + _GOOGLE_API_DOMAIN)
    return google and origin.scheme == "https" and origin.port == 443


def _configured(origin: Origin, configured: Iterable[str]) -> bool:
    if origin not in {Origin.of(url) for url in configured}:
        return False
    return origin.scheme == "https" or is_loopback(origin.host)


def credentials_allowed(
    url: str, *, configured: Iterable[str] = (), first_url: str | None = None
) -> bool:
    """Whether credentials may be sent with a request to ``url``.

    Args:
        url: Where the request goes.
        configured: Base URLs the caller configured (client base URL, storage base URL).
        first_url: The URL the request chain started at, when ``url`` is a redirect target;
            credentials never follow a redirect to another origin.
    """
    origin = Origin.of(url)
    if origin is None:
        return False
    if first_url is not None and Origin.of(first_url) != origin:
        return False
    return _google_api(origin) or _configured(origin, configured)


def permitted_headers(
    url: str,
    headers: Mapping[str, str],
    *,
    configured: Iterable[str] = (),
    first_url: str | None = None,
) -> dict[str, str]:
    """``headers`` without its credential headers, unless :func:`credentials_allowed` says yes."""
    if credentials_allowed(url, configured=configured, first_url=first_url):
        return dict(headers)
    return {
        name: value for name, value in headers.items() if name.lower() not in CREDENTIAL_HEADERS
    }


def check_api_key(key: str | None) -> None:
    """Refuses an API key no HTTP header can carry, before it is ever sent.

    A key pasted with a zero-width space, a line break or a typographic character cannot be
    encoded in a header: the HTTP stack fails while building the request, which must not look
    like a network failure (or an uncertain create). The key itself is never quoted.

    Raises:
        ConfigurationError: The key has a character outside printable ASCII.
    """
    if key is None:
        return
    for position, character in enumerate(key):
        if not "!" <= character <= "~":
            from veowrap._errors import ConfigurationError

            name = unicodedata.name(character, "a control character")
            raise ConfigurationError(
                f"The API key has a character HTTP headers cannot carry at position "
                f"{position + 1} of {len(key)}: U+{ord(character):04X} ({name.lower()}).",
                hint="Copy the key again (GEMINI_API_KEY / GOOGLE_API_KEY or api_key=): "
                "spaces, line breaks and invisible characters often come with a pasted key.",
            )
