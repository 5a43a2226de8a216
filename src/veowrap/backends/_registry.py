"""Backends by name, third-party backends by entry point, and automatic selection.

Built-in names are ``"genai"`` (google-genai, the real one), ``"legacy"`` (explains why the old
``google-generativeai`` SDK cannot be used) and ``"fake"`` (offline, scripted, for tests).
Other packages add backends under the ``veowrap.backends`` entry-point group::

    [project.entry-points."veowrap.backends"]
    mycloud = "mycloud_veowrap:MyCloudBackend"

Entry points are read only when a name is not found otherwise, and only the matching one is
imported. Nothing here imports ``google.genai``.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
import threading
from collections.abc import Callable, Mapping
from typing import Any, Literal, TypeAlias

from veowrap._environment import (
    CONFIG_ENV_VARS,
    NOTHING_PASSED,
    SETUP_HELP,
    genai_configured,
)
from veowrap._errors import ConfigurationError, UnsupportedCapabilityError
from veowrap.backends._protocol import AsyncBackend, Backend
from veowrap.backends.legacy import check_not_legacy, legacy_error

__all__ = [
    "BUILTIN_BACKENDS",
    "CONFIG_ENV_VARS",
    "ENTRY_POINT_GROUP",
    "AnyBackend",
    "BackendFactory",
    "available_backends",
    "genai_configured",
    "get_backend",
    "register_backend",
    "resolve_backend",
    "unregister_backend",
]

AnyBackend: TypeAlias = Backend | AsyncBackend
BackendFactory: TypeAlias = Callable[..., Any]
"""Builds a backend from keyword settings; usually the backend class itself."""
SpecFinder: TypeAlias = Callable[[str], object | None]

ENTRY_POINT_GROUP = "veowrap.backends"

BUILTIN_BACKENDS: Mapping[str, str] = {
    "genai": "veowrap.backends.genai:GenAIBackend",
    "legacy": "veowrap.backends.legacy:LegacyBackend",
    "fake": "veowrap.backends.fake:FakeBackend",
}
"""Built-in names and the ``module:attribute`` of their factories (imported on first use)."""

_lock = threading.Lock()
_registered: dict[str, BackendFactory] = {}


def register_backend(name: str, factory: BackendFactory, *, replace: bool = False) -> None:
    """Makes ``factory`` available as ``backend=name``.

    Args:
        name: The name callers pass, e.g. ``"mycloud"``.
        factory: Called with the caller's keyword settings; returns a :class:`Backend` and/or
            :class:`AsyncBackend`. A backend class is a factory.
        replace: Allow replacing an existing registration or a built-in name.

    Raises:
        ValueError: ``name`` is empty, or taken and ``replace`` is false.
        TypeError: ``factory`` is not callable.
    """
    if not name or not isinstance(name, str):
        raise ValueError("a backend name must be a non-empty string")
    if not callable(factory):
        raise TypeError(f"the factory for backend {name!r} must be callable, got {factory!r}")
    with _lock:
        if not replace and (name in _registered or name in BUILTIN_BACKENDS):
            raise ValueError(
                f"a backend named {name!r} is already registered; pass replace=True to replace it"
            )
        _registered[name] = factory


def unregister_backend(name: str) -> None:
    """Removes a backend added with :func:`register_backend` (built-ins reappear if replaced).

    Raises:
        KeyError: ``name`` was not registered with :func:`register_backend`.
    """
    with _lock:
        del _registered[name]


def available_backends() -> dict[str, str]:
    """Every known backend name and where it comes from, without importing any backend.

    Returns:
        Names mapped to ``"registered"``, ``"builtin"`` or ``"entry point <value>"``.
    """
    found: dict[str, str] = {}
    for entry in _entry_points():
        found.setdefault(entry.name, f"entry point {entry.value}")
    found.update(dict.fromkeys(BUILTIN_BACKENDS, "builtin"))
    with _lock:
        found.update(dict.fromkeys(_registered, "registered"))
    return dict(sorted(found.items()))


def get_backend(name_or_obj: str | object, **settings: Any) -> AnyBackend:
    """A backend by name (registry, built-ins, entry points) or an object checked as one.

    Args:
        name_or_obj: A registered name, or a ready backend object.
        **settings: Keyword arguments for the factory (only with a name).

    Raises:
        ConfigurationError: The name is unknown, the object is not a backend, or settings were
            given with a ready object.
        UnsupportedCapabilityError: The name or object is the legacy ``google-generativeai``.
    """
    if not isinstance(name_or_obj, str):
        return _checked(name_or_obj, settings)
    factory = _factory(name_or_obj)
    backend = factory(**settings)
    if not isinstance(backend, Backend | AsyncBackend):
        raise ConfigurationError(
            f"The factory of backend {name_or_obj!r} returned {backend!r}, which is neither a "
            "Backend nor an AsyncBackend.",
            hint=_protocol_hint(backend),
        )
    return backend


def resolve_backend(
    backend: str | object | None = None,
    *,
    client: Any = None,
    require: Literal["sync", "async"] | None = None,
    find_spec: SpecFinder | None = None,
    environ: Mapping[str, str] | None = None,
    **settings: Any,
) -> AnyBackend:
    """Chooses the backend a generator drives.

    * an object → checked and used as is;
    * a string → :func:`get_backend` (``client`` and settings go to its factory);
    * ``None`` → google-genai, if it is importable *and* configured: a ``client``, settings
      (``api_key=``, ``vertexai=``…), or the environment (``GEMINI_API_KEY``,
      ``GOOGLE_API_KEY``, or ``GOOGLE_GENAI_USE_VERTEXAI`` with ``GOOGLE_CLOUD_PROJECT``).

    It never falls back to the fake backend.

    Args:
        backend: A backend object, a backend name, or ``None`` for automatic selection.
        client: A ready ``google.genai.Client`` (or a client for a named backend).
        require: ``"sync"`` or ``"async"``: refuse at once a backend lacking those calls.
        find_spec: Finds whether a module is importable (``importlib.util.find_spec``); tests
            inject one to simulate installed packages.
        environ: The environment to read (``os.environ``).
        **settings: Factory settings; those that are ``None`` are dropped.

    Raises:
        ConfigurationError: Nothing is configured (the message lists the variables to set),
            google-genai is missing, the name is unknown or the object is not a backend.
        UnsupportedCapabilityError: The legacy ``google-generativeai`` was passed, selected,
            or is the only SDK installed; or ``require`` is not met.
    """
    settings = {key: value for key, value in settings.items() if value is not None}
    if client is not None:
        check_not_legacy(client, role="client=")
    if backend is not None and not isinstance(backend, str):
        if client is not None:
            settings["client"] = client
        chosen = _checked(backend, settings)
    elif isinstance(backend, str):
        if client is not None:
            settings["client"] = client
        chosen = get_backend(backend, **settings)
    else:
        chosen = _automatic(client, settings, find_spec, environ)
    if require is not None:
        _require(chosen, require)
    return chosen


# -- helpers ------------------------------------------------------------------------------------


def _automatic(
    client: Any,
    settings: dict[str, Any],
    find_spec: SpecFinder | None,
    environ: Mapping[str, str] | None,
) -> AnyBackend:
    finder = find_spec or importlib.util.find_spec
    has_genai = _importable("google.genai", finder)
    if not has_genai:
        if _importable("google.generativeai", finder):
            raise legacy_error("installed, but google-genai (which veowrap needs) is not")
        raise ConfigurationError(
            "google-genai is not installed, so veowrap has no backend to talk to Google.",
            hint="Run `pip install -U google-genai veowrap`.",
        )
    if not genai_configured(client, settings, environ):
        legacy = _importable("google.generativeai", finder)
        raise ConfigurationError(
            f"veowrap found no Google configuration: {NOTHING_PASSED}, and none of "
            f"{', '.join(CONFIG_ENV_VARS)} is set."
            + (
                " (google-generativeai is installed too, but it cannot generate video; its "
                "configuration is not used.)"
                if legacy
                else ""
            ),
            hint=SETUP_HELP,
        )
    if client is not None:
        settings = {**settings, "client": client}
    return get_backend("genai", **settings)


def _importable(module: str, finder: SpecFinder) -> bool:
    try:
        return finder(module) is not None
    except (ImportError, ValueError):  # a missing parent package, or a broken __spec__
        return False


def _checked(obj: object, settings: Mapping[str, Any]) -> AnyBackend:
    check_not_legacy(obj, role="backend=")
    if isinstance(obj, type):
        raise ConfigurationError(
            f"backend={obj.__qualname__} is a class; pass an instance.",
            hint=f"backend={obj.__qualname__}(...), or a registered name such as "
            f"backend={getattr(obj, 'name', 'genai')!r}.",
        )
    if not isinstance(obj, Backend | AsyncBackend):
        raise ConfigurationError(
            f"backend={obj!r} is neither a Backend nor an AsyncBackend.",
            hint=_protocol_hint(obj),
        )
    if settings:
        raise ConfigurationError(
            f"{', '.join(sorted(f'{key}=' for key in settings))} cannot be combined with a ready "
            f"backend object ({obj!r}); they configure the backend veowrap would build.",
            hint="Configure the backend object itself, or pass backend by name.",
        )
    return obj


def _protocol_hint(obj: object) -> str:
    common = ("platform", "default_model", "route_for", "prepare", "open_video")
    missing = [name for name in common if not hasattr(obj, name)]
    sync_missing = [name for name in ("submit", "poll", "cancel") if not hasattr(obj, name)]
    async_missing = [
        name for name in ("submit_async", "poll_async", "cancel_async") if not hasattr(obj, name)
    ]
    missing += sync_missing if len(sync_missing) <= len(async_missing) else async_missing
    return (
        f"It lacks {', '.join(missing)}. See veowrap.backends.Backend / AsyncBackend and "
        "docs/backends.md."
    )


def _factory(name: str) -> BackendFactory:
    with _lock:
        registered = _registered.get(name)
    if registered is not None:
        return registered
    if name in BUILTIN_BACKENDS:
        return _load(BUILTIN_BACKENDS[name], name)
    for entry in _entry_points():
        if entry.name == name:
            try:
                loaded: BackendFactory = entry.load()
            except Exception as error:
                raise ConfigurationError(
                    f"Backend {name!r} (entry point {entry.value!r}) could not be loaded: "
                    f"{type(error).__name__}: {error}",
                    hint="Reinstall the package that provides it.",
                ) from error
            return loaded
    known = ", ".join(available_backends())
    raise ConfigurationError(
        f"No backend is named {name!r}. Known backends: {known}.",
        hint=f"Install the package that provides it (it registers an entry point in the "
        f"{ENTRY_POINT_GROUP!r} group), or call veowrap.backends.register_backend().",
    )


def _load(target: str, name: str) -> BackendFactory:
    module, _, attribute = target.partition(":")
    loaded: BackendFactory = getattr(importlib.import_module(module), attribute)
    return loaded


def _entry_points() -> tuple[importlib.metadata.EntryPoint, ...]:
    return tuple(importlib.metadata.entry_points(group=ENTRY_POINT_GROUP))


def _require(backend: AnyBackend, kind: Literal["sync", "async"]) -> None:
    protocol: type[Any] = Backend if kind == "sync" else AsyncBackend
    if not isinstance(backend, protocol):
        other = "AsyncVideoGenerator" if kind == "sync" else "VideoGenerator"
        calls = "submit/poll/cancel" if kind == "sync" else "submit_async/poll_async/cancel_async"
        raise UnsupportedCapabilityError(
            f"{backend!r} has no {kind} calls ({calls}).",
            hint=f"Use {other} with this backend.",
        )
