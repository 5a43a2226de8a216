"""What a PostgreSQL connection string holds that must never be shown: its password.

libpq's parse errors quote the URL, or the token holding the password, so veowrap reads the
string itself first: it finds every form the password may take (to redact it), masks it in the
text it shows, and names what is malformed without quoting it. Pure: no I/O.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

__all__ = ["mask", "passwords", "problem"]

_SCHEMES = ("postgresql://", "postgres://")
_KV_PASSWORD = re.compile(r"password\s*=\s*(?:'((?:[^'\\]|\\.)*)'?|(\S+))", re.IGNORECASE)
_QUERY_PASSWORD = re.compile(r"[?&]password=([^&#]*)", re.IGNORECASE)
_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")


def _is_url(dsn: str) -> bool:
    return dsn.lower().startswith(_SCHEMES)


def _rest(dsn: str) -> str:
    return dsn.split("://", 1)[1]


def _user_infos(rest: str) -> list[str]:
    """The user-info parts libpq, or a reader of a mistyped URL, could see."""
    found = []
    # libpq: the text up to the first '@', when no '/' comes before it.
    first = re.search(r"[@/]", rest)
    if first is not None and first.group() == "@":
        found.append(rest[: first.start()])
    # A password with a raw '/', '?' or '@' in it: up to the last '@' of the URL.
    last = rest.rfind("@")
    if last >= 0:
        found.append(rest[:last])
    return found


def passwords(dsn: str) -> list[str]:
    """Every form the password of ``dsn`` may take in a message: as written, and decoded.

    Generous on purpose (a malformed URL is read several ways): redacting too much is safe.
    """
    raw: list[str] = []
    if _is_url(dsn):
        for info in _user_infos(_rest(dsn)):
            if ":" in info:
                raw.append(info.split(":", 1)[1])
        raw.extend(_QUERY_PASSWORD.findall(dsn))
    else:
        raw.extend(quoted or plain for quoted, plain in _KV_PASSWORD.findall(dsn))
    found = {value for value in raw if value}
    found |= {unquote(value) for value in found if unquote(value)}
    return sorted(found, key=len, reverse=True)


def mask(text: str, dsn: str) -> str:
    """``text`` (``dsn`` itself, or a message about it) with the password replaced by ``***``."""
    for secret in passwords(dsn):
        text = text.replace(secret, "***")
    return text


def problem(dsn: str) -> str | None:
    """What makes ``dsn`` unreadable, said without quoting it; ``None`` if nothing is seen.

    Only mistakes worth naming are checked; libpq remains the judge of the rest.
    """
    if not _is_url(dsn):
        if dsn.count("'") % 2:
            return "a quoted value is not closed (a ' is missing)"
        return None
    rest = _rest(dsn)
    infos = _user_infos(rest)
    info = infos[0] if infos else ""
    if _BAD_ESCAPE.search(info):
        return (
            "a '%' in the user name or password is not followed by two hex digits "
            "(write a '%' in a password as %25, or URL-encode the whole password)"
        )
    if _BAD_ESCAPE.search(rest[len(info) :]):
        return "a '%' is not followed by two hex digits (URL-encode it as %25)"
    host = rest[len(info) + 1 :] if info else rest
    host = re.split(r"[/?]", host, maxsplit=1)[0] if "[" not in host else host
    if host.count("[") != host.count("]") or re.search(r"\[[^\]]*[/?]", host):
        return "an IPv6 host opened with '[' is not closed with ']'"
    return None
