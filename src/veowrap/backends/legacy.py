"""The deprecated ``google-generativeai`` SDK: recognised at once, explained, never driven.

``google-generativeai`` (imported as ``google.generativeai``) predates video generation. Its only
generation call, ``GenerativeModel.generate_content``, returns text or structured output, and
its ``response_mime_type`` accepts only ``text/plain``, ``application/json``,
``application/xml``, ``application/yaml`` and ``text/x.enum``; asking it for video ends in HTTP
400 ``allowed mimetypes are …``. Video models (Veo) are reached through ``google-genai``'s
``generate_videos``, which is what veowrap uses.

This module never imports ``google.generativeai`` or ``google.api_core``: objects and errors
are recognised by their module and class names.
"""

from __future__ import annotations

import importlib.metadata
import types
from collections.abc import Callable
from typing import Any, NoReturn

from veowrap._errors import UnsupportedCapabilityError

__all__ = [
    "ALLOWED_MIME_TYPES",
    "FIX_COMMAND",
    "LEGACY_DISTRIBUTION",
    "LEGACY_MODULE",
    "LegacyBackend",
    "check_not_legacy",
    "is_legacy_object",
    "legacy_error",
    "legacy_version",
    "translate_legacy_error",
]

LEGACY_DISTRIBUTION = "google-generativeai"
"""The name of the deprecated distribution on PyPI."""

LEGACY_MODULE = "google.generativeai"
"""The module the deprecated distribution installs."""

ALLOWED_MIME_TYPES = (
    "text/plain",
    "application/json",
    "application/xml",
    "application/yaml",
    "text/x.enum",
)
"""The only ``response_mime_type`` values ``generateContent`` accepts."""

FIX_COMMAND = "pip install -U google-genai veowrap"
"""The command that installs what can generate video."""

BEFORE_AFTER = (
    'before: genai.GenerativeModel("veo-3.1-generate-001").generate_content("a paper boat")'
    "  # google.generativeai: text only, HTTP 400 for video\n"
    'after:  veowrap.VideoGenerator().generate("a paper boat").save("out/")'
    "  # google-genai generate_videos underneath"
)
"""The two-line migration snippet shown in every legacy error."""

_MIME_REFUSAL = "allowed mimetypes are"
_REFUSING_CLASSES = frozenset({"BadRequest", "InvalidArgument"})

VersionLookup = Callable[[str], str]


def legacy_version(version: VersionLookup = importlib.metadata.version) -> str | None:
    """The installed ``google-generativeai`` version, or ``None`` when it is not installed.

    Args:
        version: How to read a distribution's version (``importlib.metadata.version``).
    """
    try:
        return version(LEGACY_DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        return None


def is_legacy_object(obj: object) -> bool:
    """Whether ``obj`` comes from ``google.generativeai`` (checked by name, without importing it).

    True for the module itself and its submodules, for its classes (``GenerativeModel``,
    ``GenerationConfig``…) and for their instances.
    """
    if isinstance(obj, types.ModuleType):
        name = obj.__name__
    elif isinstance(obj, type):
        name = obj.__module__
    else:
        name = type(obj).__module__
    return isinstance(name, str) and (name == LEGACY_MODULE or name.startswith(LEGACY_MODULE + "."))


def legacy_error(
    found: str, *, version: VersionLookup = importlib.metadata.version
) -> UnsupportedCapabilityError:
    """The error (with the migration advice) raised whenever the legacy SDK is involved.

    Args:
        found: What was found, completing "... was found": e.g. ``"installed"``, or
            ``"passed as backend="``.
        version: How to read a distribution's version (tests inject this).
    """
    installed = legacy_version(version)
    package = f"{LEGACY_DISTRIBUTION} {installed}" if installed else LEGACY_DISTRIBUTION
    allowed = ", ".join(ALLOWED_MIME_TYPES)
    return UnsupportedCapabilityError(
        f"{package} (the deprecated `{LEGACY_MODULE}` SDK) was {found}, and it cannot generate "
        "video: its API (GenerativeModel.generate_content) only returns text or structured "
        f"output; response_mime_type allows only {allowed}, so a request for video is refused "
        "with HTTP 400 'allowed mimetypes are ...'. Veo is reached through google-genai's "
        "generate_videos, which veowrap uses.",
        hint=f"Run `{FIX_COMMAND}` and use veowrap (google-genai underneath):\n{BEFORE_AFTER}",
    )


def check_not_legacy(obj: object, *, role: str = "an argument") -> None:
    """Refuses, at once and without any network call, an object of the legacy SDK.

    Args:
        obj: What the caller handed to veowrap (a client, a backend, a config…).
        role: How it was handed over, for the message, e.g. ``"backend="``.

    Raises:
        UnsupportedCapabilityError: ``obj`` is the ``google.generativeai`` module, one of its
            submodules, or one of its objects (``GenerativeModel``, ``GenerationConfig``…).
    """
    if is_legacy_object(obj):
        kind = (
            obj.__name__
            if isinstance(obj, types.ModuleType)
            else (obj if isinstance(obj, type) else type(obj)).__qualname__
        )
        raise legacy_error(f"passed to veowrap as {role} (a {kind})")


def translate_legacy_error(exc: BaseException) -> UnsupportedCapabilityError | None:
    """Recognises the legacy SDK's refusal to produce video and explains it.

    The refusal is ``google.api_core.exceptions.BadRequest`` (or its subclass
    ``InvalidArgument``), HTTP 400, whose message contains ``allowed mimetypes are``. It is
    recognised by class name, status code and message, so ``google.api_core`` is not imported.
    Its exception chain (``__cause__``/``__context__``) is searched too.

    Args:
        exc: Any exception.

    Returns:
        The same error :func:`check_not_legacy` raises, or ``None`` when ``exc`` is something
        else.
    """
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if _is_mime_refusal(current):
            return legacy_error("used to ask for video")
        current = current.__cause__ or current.__context__
    return None


def _is_mime_refusal(exc: BaseException) -> bool:
    names = {cls.__name__ for cls in type(exc).__mro__}
    code = getattr(exc, "code", None)
    if not (names & _REFUSING_CLASSES or code == 400):
        return False
    try:
        text = f"{exc} {getattr(exc, 'message', '')}"
    except Exception:  # a broken __str__ is simply not the refusal
        return False
    return _MIME_REFUSAL in text


class LegacyBackend:
    """The registry entry ``"legacy"``: selecting it raises the explanation at once.

    ``get_backend("legacy")`` exists so that code or configuration naming the old SDK fails
    with advice instead of an unknown-name error.

    Raises:
        UnsupportedCapabilityError: Always, on construction.
    """

    name = "legacy"

    def __new__(cls, *args: Any, **settings: Any) -> NoReturn:
        raise legacy_error("selected as veowrap's backend")
