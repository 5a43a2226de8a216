"""Rules for fetching finished videos and file states: redirects, encodings, sizes, waits.

Pure decisions; ``backends/_http.py`` performs the requests and asks here what to do.
"""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

__all__ = [
    "MAX_ERROR_BODY",
    "MAX_JSON_BYTES",
    "MAX_REDIRECTS",
    "MAX_RETRY_AFTER",
    "REDIRECT_STATUSES",
    "acceptable_encoding",
    "capped_retry_after",
    "redirect_target",
]

#: Redirects followed for one download before giving up.
MAX_REDIRECTS = 5
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
#: A JSON answer (a file's state) larger than this is refused, compressed or not.
MAX_JSON_BYTES = 1 << 20
#: Bytes of an error answer kept for its message.
MAX_ERROR_BODY = 64 << 10
#: Seconds of a server's ``Retry-After`` obeyed at most between download attempts.
MAX_RETRY_AFTER = 30.0

_IDENTITY = frozenset({"", "identity"})


def redirect_target(current_url: str, location: str | None) -> str | None:
    """The absolute URL a redirect points to, or ``None`` when it cannot be followed.

    Relative locations are resolved against ``current_url``; only http and https are followed.
    """
    if not location or not location.strip():
        return None
    target = urljoin(current_url, location.strip())
    try:
        parts = urlsplit(target)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return target


def acceptable_encoding(content_encoding: str | None) -> bool:
    """Whether a body sent with ``content_encoding`` may be read as it is.

    veowrap asks for ``identity``; a compressed body it did not ask for could inflate without
    bound (a compression bomb) and is never a valid MP4 as sent, so it is refused.
    """
    return (content_encoding or "").strip().lower() in _IDENTITY


def capped_retry_after(retry_after: float | None, cap: float = MAX_RETRY_AFTER) -> float | None:
    """A server's ``Retry-After`` as veowrap obeys it: at most ``cap`` seconds."""
    if retry_after is None:
        return None
    return min(max(0.0, retry_after), cap)
