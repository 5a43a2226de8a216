"""The route table: which path goes to which handler, endpoint name and credential."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from . import _files, _interactions, _veo
from ._capabilities import Platform
from ._http import Handler
from ._webhook_api import HANDLERS as _HOOKS

#: `signed`: no credential; a signature in the query string (the media origin's URLs).
Auth = Literal["api_key", "bearer", "signed"]
#: Which listener serves a route: the API origin or the separate media origin.
Origin = Literal["api", "media"]

_GEMINI = r"/(?P<ver>v1|v1beta|v1alpha)"
_VERTEX = r"/(?P<ver>v1|v1beta1)"
_PROJECT = r"/projects/(?P<project>[^/]+)/locations/(?P<location>[^/]+)"
_MODEL = r"/publishers/google/models/(?P<model>[^/:]+)"
_ITX = r"/interactions/(?P<id>[^/:]+)"


@dataclass(frozen=True)
class Route:
    """One route.

    Attributes:
        method: HTTP method.
        pattern: Full-match regular expression for the raw path.
        endpoint: Endpoint family name used for faults and the request log.
        handler: The function that answers.
        platform: Which API the route belongs to.
        auth: Which credential the route requires.
        origin: Which listener serves it.
    """

    method: str
    pattern: re.Pattern[str]
    endpoint: str
    handler: Handler
    platform: Platform
    auth: Auth
    origin: Origin = "api"


def _r(
    method: str,
    pattern: str,
    endpoint: str,
    handler: Handler,
    platform: Platform,
    auth: Auth,
    origin: Origin = "api",
) -> Route:
    return Route(method, re.compile(pattern), endpoint, handler, platform, auth, origin)


_HOOK = r"/webhooks/(?P<hook>[^/:]+)"

ROUTES: tuple[Route, ...] = (
    # Gemini API webhooks management (API key), webhooks-wire.md §1.
    _r("POST", _GEMINI + r"/webhooks", "webhooks", _HOOKS["create"], "gemini", "api_key"),
    _r("GET", _GEMINI + r"/webhooks", "webhooks", _HOOKS["list"], "gemini", "api_key"),
    _r("GET", _GEMINI + _HOOK, "webhooks", _HOOKS["get"], "gemini", "api_key"),
    _r("PATCH", _GEMINI + _HOOK, "webhooks", _HOOKS["update"], "gemini", "api_key"),
    _r("DELETE", _GEMINI + _HOOK, "webhooks", _HOOKS["delete"], "gemini", "api_key"),
    _r("POST", _GEMINI + _HOOK + r":ping", "webhooks", _HOOKS["ping"], "gemini", "api_key"),
    _r(
        "POST",
        _GEMINI + _HOOK + r":rotateSigningSecret",
        "webhooks",
        _HOOKS["rotate"],
        "gemini",
        "api_key",
    ),
    # Gemini API (API key).
    _r(
        "POST",
        _GEMINI + r"/models/(?P<model>[^/:]+):predictLongRunning",
        "create",
        _veo.create,
        "gemini",
        "api_key",
    ),
    _r(
        "GET",
        _GEMINI + r"/models/(?P<model>[^/:]+)/operations/(?P<op>[^/:]+)",
        "poll",
        _veo.poll_gemini,
        "gemini",
        "api_key",
    ),
    _r(
        "GET",
        _GEMINI + r"/files/(?P<id>[^/:]+):download",
        "download",
        _files.download,
        "gemini",
        "api_key",
    ),
    _r("GET", _GEMINI + r"/files/(?P<id>[^/:]+)", "file_get", _files.file_get, "gemini", "api_key"),
    _r(
        "POST",
        _GEMINI + r"/models/(?P<model>[^/:]+):generateContent",
        "legacy_generate",
        _files.legacy_generate,
        "gemini",
        "api_key",
    ),
    _r(
        "POST",
        _GEMINI + r"/interactions",
        "interaction_create",
        _interactions.create,
        "gemini",
        "api_key",
    ),
    _r("GET", _GEMINI + _ITX, "interaction_get", _interactions.get, "gemini", "api_key"),
    _r(
        "POST",
        _GEMINI + _ITX + r"/cancel",
        "interaction_cancel",
        _interactions.cancel,
        "gemini",
        "api_key",
    ),
    _r("DELETE", _GEMINI + _ITX, "interaction_delete", _interactions.delete, "gemini", "api_key"),
    # Vertex AI (OAuth bearer token).
    _r(
        "POST",
        _VERTEX + _PROJECT + _MODEL + r":predictLongRunning",
        "create",
        _veo.create,
        "vertex",
        "bearer",
    ),
    _r(
        "POST",
        _VERTEX + _PROJECT + _MODEL + r":fetchPredictOperation",
        "poll",
        _veo.poll_vertex,
        "vertex",
        "bearer",
    ),
    _r(
        "POST",
        _VERTEX + _PROJECT + r"/interactions",
        "interaction_create",
        _interactions.create,
        "vertex",
        "bearer",
    ),
    _r("GET", _VERTEX + _PROJECT + _ITX, "interaction_get", _interactions.get, "vertex", "bearer"),
    _r(
        "POST",
        _VERTEX + _PROJECT + _ITX + r"/cancel",
        "interaction_cancel",
        _interactions.cancel,
        "vertex",
        "bearer",
    ),
    _r(
        "DELETE",
        _VERTEX + _PROJECT + _ITX,
        "interaction_delete",
        _interactions.delete,
        "vertex",
        "bearer",
    ),
    # Vertex AI express mode (API key, no project prefix).
    _r(
        "POST",
        _VERTEX + _MODEL + r":predictLongRunning",
        "create",
        _veo.create,
        "vertex",
        "api_key",
    ),
    _r(
        "POST",
        _VERTEX + _MODEL + r":fetchPredictOperation",
        "poll",
        _veo.poll_vertex,
        "vertex",
        "api_key",
    ),
    # Cloud Storage JSON API.
    _r(
        "GET",
        r"(?:/download)?/storage/v1/b/(?P<bucket>[^/]+)/o/(?P<object>.+)",
        "gcs_download",
        _files.gcs_download,
        "vertex",
        "bearer",
    ),
    # The media origin Files API downloads redirect to (`VeoEmulator.redirect_downloads`).
    _r("GET", r"/media/(?P<id>[^/:]+)", "media", _files.media, "gemini", "signed", "media"),
)


def match(method: str, path: str, origin: Origin = "api") -> tuple[Route, dict[str, str]] | None:
    """Finds the route for a request to one origin; None if no route serves it."""
    for route in ROUTES:
        if route.method != method or route.origin != origin:
            continue
        found = route.pattern.fullmatch(path)
        if found:
            return route, found.groupdict()
    return None
