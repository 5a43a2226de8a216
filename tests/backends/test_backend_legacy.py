"""The legacy ``google-generativeai`` detector, with the real package installed."""

from __future__ import annotations

import importlib.metadata
import socket
import warnings
from collections.abc import Iterator
from typing import Any

import pytest

import veowrap
from veowrap.backends._registry import get_backend, resolve_backend
from veowrap.backends.legacy import (
    ALLOWED_MIME_TYPES,
    BEFORE_AFTER,
    FIX_COMMAND,
    LegacyBackend,
    check_not_legacy,
    is_legacy_object,
    legacy_error,
    legacy_version,
    translate_legacy_error,
)

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # its import warns that support has ended
    legacy = pytest.importorskip("google.generativeai")
api_exceptions = pytest.importorskip("google.api_core.exceptions")

VERSION = importlib.metadata.version("google-generativeai")
REFUSAL = (
    "* GenerateContentRequest.generation_config.response_mime_type: allowed mimetypes are "
    "`text/plain`, `application/json`, `application/xml`, `application/yaml` and `text/x.enum`."
)


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("a network connection was attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    yield


def assert_full_advice(error: BaseException) -> None:
    text = str(error)
    assert f"google-generativeai {VERSION}" in text
    assert "cannot generate video" in text
    assert "only returns text or structured output" in text
    for mime in ALLOWED_MIME_TYPES:
        assert mime in text
    assert FIX_COMMAND in text
    assert "pip install -U google-genai veowrap" in text
    assert BEFORE_AFTER in text
    before, after = BEFORE_AFTER.splitlines()
    assert before.startswith("before:") and "generate_content" in before
    assert after.startswith("after:") and "veowrap.VideoGenerator()" in after


# -- recognising legacy objects ------------------------------------------------------------------


def test_the_installed_version_is_read() -> None:
    assert legacy_version() == VERSION
    assert VERSION == "0.8.6"


def legacy_objects() -> list[Any]:
    return [
        legacy,
        legacy.GenerativeModel("gemini-1.5-flash"),
        legacy.GenerationConfig(response_mime_type="application/json"),
        legacy.GenerativeModel,
        legacy.types,
    ]


@pytest.mark.parametrize("index", range(5))
def test_legacy_objects_are_refused_at_once(index: int, no_network: None) -> None:
    obj = legacy_objects()[index]
    assert is_legacy_object(obj)
    with pytest.raises(veowrap.UnsupportedCapabilityError) as caught:
        check_not_legacy(obj, role="client=")
    assert_full_advice(caught.value)
    assert "client=" in str(caught.value)


@pytest.mark.parametrize("obj", [object(), 1, "google.generativeai", socket, veowrap])
def test_other_objects_pass(obj: Any) -> None:
    assert not is_legacy_object(obj)
    check_not_legacy(obj)


def test_the_google_genai_client_is_not_legacy() -> None:
    from google import genai

    client = genai.Client(api_key="not-a-real-key")
    assert not is_legacy_object(client)
    assert not is_legacy_object(genai)


def test_passing_a_legacy_model_as_backend_or_client(no_network: None) -> None:
    model = legacy.GenerativeModel("veo-3.1-generate-001")
    with pytest.raises(veowrap.UnsupportedCapabilityError, match="backend="):
        resolve_backend(model)
    with pytest.raises(veowrap.UnsupportedCapabilityError, match="client="):
        resolve_backend(client=model)
    with pytest.raises(veowrap.UnsupportedCapabilityError, match="GenerativeModel"):
        get_backend(model)


def test_selecting_legacy_by_name(no_network: None) -> None:
    with pytest.raises(veowrap.UnsupportedCapabilityError) as caught:
        resolve_backend("legacy")
    assert_full_advice(caught.value)
    with pytest.raises(veowrap.UnsupportedCapabilityError):
        LegacyBackend()


def test_only_legacy_installed_with_the_real_version() -> None:
    with pytest.raises(veowrap.UnsupportedCapabilityError) as caught:
        resolve_backend(
            find_spec=lambda name: object() if name == "google.generativeai" else None,
            environ={"GEMINI_API_KEY": "k"},
        )
    assert_full_advice(caught.value)


def test_message_without_the_package_installed() -> None:
    def missing(name: str) -> str:
        raise importlib.metadata.PackageNotFoundError(name)

    error = legacy_error("installed", version=missing)
    assert "google-generativeai (the deprecated" in str(error)
    assert legacy_version(missing) is None


# -- translating the HTTP 400 --------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["BadRequest", "InvalidArgument"])
def test_the_400_is_translated(kind: str) -> None:
    error = getattr(api_exceptions, kind)(REFUSAL)
    translated = translate_legacy_error(error)
    assert isinstance(translated, veowrap.UnsupportedCapabilityError)
    assert_full_advice(translated)


def test_a_chained_400_is_translated() -> None:
    try:
        try:
            raise api_exceptions.BadRequest(REFUSAL)
        except Exception as inner:
            raise RuntimeError("wrapped") from inner
    except RuntimeError as outer:
        assert translate_legacy_error(outer) is not None


@pytest.mark.parametrize(
    "error",
    [
        api_exceptions.BadRequest("API key not valid. Please pass a valid API key."),
        api_exceptions.NotFound(REFUSAL),
        ValueError("allowed mimetypes are"),
        RuntimeError("boom"),
    ],
)
def test_other_errors_are_not_translated(error: Exception) -> None:
    assert translate_legacy_error(error) is None


def test_a_duck_typed_400_is_translated() -> None:
    class Refused(Exception):
        code = 400

    assert translate_legacy_error(Refused(REFUSAL)) is not None


# -- end to end against the emulator -------------------------------------------------------------


def test_the_real_400_from_the_emulator_is_translated() -> None:
    testing = pytest.importorskip("veowrap.testing")
    with testing.VeoEmulator(api_key="legacy-test-key") as emu:
        legacy.configure(
            api_key="legacy-test-key",
            transport="rest",
            client_options={"api_endpoint": emu.base_url},
        )
        model = legacy.GenerativeModel("veo-3.1-generate-preview")
        with pytest.raises(Exception) as caught:
            model.generate_content(
                "a paper boat on a rainy street",
                generation_config=legacy.GenerationConfig(response_mime_type="video/mp4"),
            )
        assert any(request.endpoint == "legacy_generate" for request in emu.requests)
    assert isinstance(caught.value, api_exceptions.BadRequest)
    translated = translate_legacy_error(caught.value)
    assert translated is not None
    assert_full_advice(translated)
    # Without the translation, the core would call it an invalid request.
    from veowrap._core.faults import describe

    assert describe(caught.value).status == 400
