"""The backend registry and automatic selection: every path."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import veowrap
from veowrap.backends import _registry
from veowrap.backends._registry import (
    BUILTIN_BACKENDS,
    CONFIG_ENV_VARS,
    available_backends,
    genai_configured,
    get_backend,
    register_backend,
    resolve_backend,
    unregister_backend,
)
from veowrap.backends.fake import FakeBackend

ENV = (*CONFIG_ENV_VARS, "GOOGLE_GENAI_USE_ENTERPRISE")


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ENV:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(autouse=True)
def clean_registry() -> Iterator[None]:
    before = dict(_registry._registered)
    yield
    _registry._registered.clear()
    _registry._registered.update(before)


class Recorder:
    """A stand-in factory for "genai": records how it was called, builds a fake."""

    def __init__(self) -> None:
        self.settings: list[dict[str, Any]] = []

    def __call__(self, **settings: Any) -> FakeBackend:
        self.settings.append(settings)
        return FakeBackend()


@pytest.fixture
def genai_factory() -> Recorder:
    recorder = Recorder()
    register_backend("genai", recorder, replace=True)
    return recorder


def only(*modules: str) -> Callable[[str], object | None]:
    """A find_spec that sees only ``modules`` installed."""
    return lambda name: object() if name in modules else None


class AsyncOnly:
    """A backend with only the async calls."""

    platform = "vertex"

    def default_model(self) -> str:
        return "m"

    def route_for(self, model: str) -> str:
        return "operations"

    def prepare(self, request: Any, model: str) -> None:
        return None

    def open_video(self, video: Any) -> Any:
        raise NotImplementedError

    async def submit_async(self, request: Any, model: str) -> Any:
        return None

    async def poll_async(self, handle: Any) -> Any:
        return None

    async def cancel_async(self, handle: Any) -> None:
        return None


# -- registry ------------------------------------------------------------------------------------


def test_builtin_names() -> None:
    assert set(BUILTIN_BACKENDS) == {"genai", "legacy", "fake"}
    names = available_backends()
    assert {"genai", "legacy", "fake"} <= set(names)
    assert names["fake"] == "builtin"


def test_get_backend_by_name_passes_settings() -> None:
    backend = get_backend("fake", platform="gemini", latency=5)
    assert isinstance(backend, FakeBackend)
    assert backend.platform == "gemini"
    assert backend.latency == 5


def test_get_backend_genai_by_name_builds_the_real_backend() -> None:
    from veowrap.backends.genai import GenAIBackend

    backend = get_backend("genai", api_key="not-a-real-key")
    assert isinstance(backend, GenAIBackend)
    assert backend.platform == "gemini"


def test_get_backend_legacy_explains() -> None:
    with pytest.raises(veowrap.UnsupportedCapabilityError, match="cannot generate video"):
        get_backend("legacy")


def test_register_and_unregister() -> None:
    register_backend("mine", lambda **settings: FakeBackend(**settings))
    assert available_backends()["mine"] == "registered"
    assert isinstance(get_backend("mine", latency=1), FakeBackend)
    with pytest.raises(ValueError, match="already registered"):
        register_backend("mine", FakeBackend)
    register_backend("mine", FakeBackend, replace=True)
    unregister_backend("mine")
    assert "mine" not in available_backends()
    with pytest.raises(KeyError):
        unregister_backend("mine")


def test_builtin_names_are_protected() -> None:
    with pytest.raises(ValueError, match="already registered"):
        register_backend("fake", FakeBackend)
    register_backend("fake", lambda: FakeBackend(platform="gemini"), replace=True)
    assert get_backend("fake").platform == "gemini"
    unregister_backend("fake")  # the built-in comes back
    assert get_backend("fake").platform == "vertex"


@pytest.mark.parametrize("name", ["", None])
def test_register_refuses_bad_names(name: Any) -> None:
    with pytest.raises(ValueError):
        register_backend(name, FakeBackend)


def test_register_refuses_non_callables() -> None:
    with pytest.raises(TypeError):
        register_backend("x", "not callable")  # type: ignore[arg-type]


def test_unknown_name_lists_the_known_ones() -> None:
    with pytest.raises(veowrap.ConfigurationError) as caught:
        get_backend("nope")
    text = str(caught.value)
    assert "'nope'" in text
    assert "fake" in text and "genai" in text
    assert "veowrap.backends" in text  # the entry-point group


def test_factory_returning_a_non_backend_is_refused() -> None:
    register_backend("broken", lambda: object())
    with pytest.raises(veowrap.ConfigurationError, match="neither a Backend"):
        get_backend("broken")


def test_get_backend_checks_objects() -> None:
    fake = FakeBackend()
    assert get_backend(fake) is fake
    with pytest.raises(veowrap.ConfigurationError, match="lacks"):
        get_backend(object())


# -- resolve_backend: explicit choices -----------------------------------------------------------


def test_explicit_object_is_used_as_is() -> None:
    fake = FakeBackend()
    assert resolve_backend(fake) is fake


def test_explicit_object_with_none_settings_is_fine() -> None:
    fake = FakeBackend()
    assert resolve_backend(fake, client=None, api_key=None, vertexai=None) is fake


def test_explicit_object_with_settings_is_inconsistent() -> None:
    with pytest.raises(veowrap.ConfigurationError, match="api_key="):
        resolve_backend(FakeBackend(), api_key="k")
    with pytest.raises(veowrap.ConfigurationError, match="client="):
        resolve_backend(FakeBackend(), client=object())


def test_a_class_instead_of_an_instance_is_refused() -> None:
    with pytest.raises(veowrap.ConfigurationError, match="pass an instance"):
        resolve_backend(FakeBackend)


def test_a_non_backend_object_is_refused() -> None:
    with pytest.raises(veowrap.ConfigurationError, match="neither a Backend nor an AsyncBackend"):
        resolve_backend(42)


def test_string_goes_to_the_registry_with_settings() -> None:
    backend = resolve_backend("fake", platform="gemini", latency=None)
    assert isinstance(backend, FakeBackend)
    assert backend.platform == "gemini"
    assert backend.latency == 30.0  # None settings are dropped, not passed


def test_string_with_client_passes_it(genai_factory: Recorder) -> None:
    client = object()
    resolve_backend("genai", client=client, api_key=None)
    assert genai_factory.settings == [{"client": client}]


def test_require_refuses_a_backend_lacking_the_calls() -> None:
    backend: Any = AsyncOnly()
    assert resolve_backend(backend, require="async") is backend
    with pytest.raises(veowrap.UnsupportedCapabilityError, match="AsyncVideoGenerator"):
        resolve_backend(backend, require="sync")
    fake = FakeBackend()
    assert resolve_backend(fake, require="sync") is fake


# -- resolve_backend: automatic selection ---------------------------------------------------------


def test_auto_with_a_client(genai_factory: Recorder) -> None:
    client = object()
    resolve_backend(client=client, find_spec=only("google.genai"))
    assert genai_factory.settings == [{"client": client}]


@pytest.mark.parametrize(
    "settings",
    [{"api_key": "k"}, {"vertexai": True, "project": "p", "location": "l"}, {"credentials": 1}],
)
def test_auto_with_settings(genai_factory: Recorder, settings: dict[str, Any]) -> None:
    resolve_backend(find_spec=only("google.genai"), **settings)
    assert genai_factory.settings == [settings]


@pytest.mark.parametrize(
    "environ",
    [
        {"GEMINI_API_KEY": "k"},
        {"GOOGLE_API_KEY": "k"},
        {"GOOGLE_GENAI_USE_VERTEXAI": "true", "GOOGLE_CLOUD_PROJECT": "p"},
        {"GOOGLE_GENAI_USE_VERTEXAI": "1", "GOOGLE_CLOUD_PROJECT": "p"},
        {"GOOGLE_GENAI_USE_ENTERPRISE": "true", "GOOGLE_CLOUD_PROJECT": "p"},
    ],
)
def test_auto_with_environment(genai_factory: Recorder, environ: dict[str, str]) -> None:
    resolve_backend(find_spec=only("google.genai"), environ=environ)
    assert genai_factory.settings == [{}]


@pytest.mark.parametrize(
    "environ",
    [
        {},
        {"GOOGLE_CLOUD_PROJECT": "p"},  # a project alone means the Gemini API, which needs a key
        {"GOOGLE_GENAI_USE_VERTEXAI": "true"},  # Vertex AI without a project
        {"GOOGLE_GENAI_USE_VERTEXAI": "false", "GOOGLE_CLOUD_PROJECT": "p"},
        {"GEMINI_API_KEY": ""},
    ],
)
def test_auto_with_nothing_configured(genai_factory: Recorder, environ: dict[str, str]) -> None:
    with pytest.raises(veowrap.ConfigurationError) as caught:
        resolve_backend(find_spec=only("google.genai"), environ=environ)
    text = str(caught.value)
    for name in ("GEMINI_API_KEY", "GOOGLE_API_KEY", "GOOGLE_GENAI_USE_VERTEXAI"):
        assert name in text
    assert "GOOGLE_CLOUD_PROJECT" in text
    assert "veowrap.testing.VeoEmulator" in text
    assert genai_factory.settings == []  # never built, and never the fake


def test_auto_reads_the_real_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from veowrap.backends.genai import GenAIBackend

    monkeypatch.setenv("GEMINI_API_KEY", "not-a-real-key")
    backend = resolve_backend()
    assert isinstance(backend, GenAIBackend)
    assert backend.platform == "gemini"


def test_auto_builds_vertex_from_the_real_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOOGLE_GENAI_USE_VERTEXAI", "true")
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "my-project")
    monkeypatch.setenv("GOOGLE_CLOUD_LOCATION", "us-central1")
    assert resolve_backend().platform == "vertex"


def test_auto_with_nothing_configured_in_the_real_environment() -> None:
    with pytest.raises(veowrap.ConfigurationError, match="GEMINI_API_KEY"):
        resolve_backend()


def test_auto_with_only_legacy_installed(genai_factory: Recorder) -> None:
    with pytest.raises(veowrap.UnsupportedCapabilityError) as caught:
        resolve_backend(
            find_spec=only("google.generativeai"), environ={"GEMINI_API_KEY": "k"}, api_key="k"
        )
    text = str(caught.value)
    assert "google-generativeai" in text
    assert "google-genai" in text and "is not" in text
    assert "pip install -U google-genai veowrap" in text
    assert genai_factory.settings == []


def test_auto_with_no_sdk_installed() -> None:
    with pytest.raises(veowrap.ConfigurationError, match="google-genai is not installed") as caught:
        resolve_backend(find_spec=only(), environ={"GEMINI_API_KEY": "k"})
    assert "pip install -U google-genai veowrap" in str(caught.value)


def test_auto_mentions_legacy_when_both_installed_and_nothing_configured() -> None:
    with pytest.raises(veowrap.ConfigurationError, match="google-generativeai is installed too"):
        resolve_backend(find_spec=only("google.genai", "google.generativeai"), environ={})


def test_a_find_spec_that_raises_counts_as_missing() -> None:
    def broken(name: str) -> object | None:
        raise ModuleNotFoundError(name)

    with pytest.raises(veowrap.ConfigurationError, match="not installed"):
        resolve_backend(find_spec=broken, environ={"GEMINI_API_KEY": "k"})


def test_genai_configured() -> None:
    assert genai_configured(client=object(), environ={})
    assert genai_configured(settings={"api_key": "k"}, environ={})
    assert not genai_configured(settings={"api_key": None}, environ={})
    assert genai_configured(environ={"GOOGLE_API_KEY": "k"})
    assert not genai_configured(
        environ={
            "GOOGLE_GENAI_USE_ENTERPRISE": "false",
            "GOOGLE_GENAI_USE_VERTEXAI": "true",
            "GOOGLE_CLOUD_PROJECT": "p",
        }
    )


def test_registry_module_does_not_import_google_genai() -> None:
    import subprocess
    import sys

    code = (
        "import sys, veowrap.backends._registry, veowrap.backends.fake, veowrap.backends.legacy, "
        "veowrap._doctor; print('google.genai' in sys.modules, 'google.generativeai' in "
        "sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


# -- needs the wiring in BaseGenerator -------------------------------------------------------------


def test_generators_resolve_through_the_registry() -> None:
    with pytest.raises(veowrap.ConfigurationError, match="VeoEmulator"):
        veowrap.VideoGenerator()
    generator = veowrap.AsyncVideoGenerator(backend="fake")  # type: ignore[arg-type]
    assert isinstance(generator.backend, FakeBackend)
    with pytest.raises(veowrap.ConfigurationError):
        veowrap.VideoGenerator(backend=object())  # type: ignore[arg-type]


def test_public_exports() -> None:
    backends: Any = importlib.import_module("veowrap.backends")

    assert backends.FakeBackend is FakeBackend
    assert callable(backends.register_backend)
    assert callable(backends.get_backend)
    assert callable(backends.resolve_backend)
    assert callable(veowrap.doctor)
    assert veowrap.DoctorReport is not None
