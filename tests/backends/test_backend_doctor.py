"""`doctor()`: a readable report, the right problems, and never a secret."""

from __future__ import annotations

import importlib.metadata
from collections.abc import Callable
from pathlib import Path

import pytest

from veowrap._doctor import DoctorReport, Problem, doctor

SECRET = "AIzaSyQ7vX9kLm2ZpW8rT5nB3cJ6hD1fG4sY"  # recognisable, and no English words
ENV_NAMES = (
    "GEMINI_API_KEY",
    "GOOGLE_API_KEY",
    "GOOGLE_GENAI_USE_VERTEXAI",
    "GOOGLE_GENAI_USE_ENTERPRISE",
    "GOOGLE_CLOUD_PROJECT",
    "GOOGLE_CLOUD_LOCATION",
    "GOOGLE_APPLICATION_CREDENTIALS",
    "GOOGLE_GEMINI_BASE_URL",
    "GOOGLE_VERTEX_BASE_URL",
    "CLOUDSDK_CONFIG",
)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ENV_NAMES:
        monkeypatch.delenv(name, raising=False)


def versions(**installed: str) -> Callable[[str], str]:
    """A version lookup seeing only ``installed`` (underscores for dashes)."""
    table = {name.replace("_", "-"): version for name, version in installed.items()}

    def lookup(name: str) -> str:
        if name not in table:
            raise importlib.metadata.PackageNotFoundError(name)
        return table[name]

    return lookup


GOOD = {"google_genai": "3.6.1", "tenacity": "9.1.4", "pydantic": "2.14.4"}


def fragments(secret: str, size: int = 4) -> list[str]:
    return [secret[i : i + size] for i in range(len(secret) - size + 1)]


def assert_no_secret(report: DoctorReport, *secrets: str) -> None:
    texts = [str(report), repr(report), *(str(problem) for problem in report.problems)]
    for secret in secrets:
        for text in texts:
            assert secret not in text
            # not even a part: no 4-character piece (after a key's common "AIzaSy" prefix)
            for piece in fragments(secret[6:] if secret.startswith("AIzaSy") else secret):
                assert piece not in text, piece


@pytest.mark.parametrize(
    "names",
    [
        ("GEMINI_API_KEY",),
        ("GOOGLE_API_KEY",),
        ("GEMINI_API_KEY", "GOOGLE_API_KEY"),
        ("GOOGLE_API_KEY", "GOOGLE_GENAI_USE_VERTEXAI"),
    ],
)
def test_no_secret_in_the_report(monkeypatch: pytest.MonkeyPatch, names: tuple[str, ...]) -> None:
    for name in names:
        monkeypatch.setenv(name, "true" if name == "GOOGLE_GENAI_USE_VERTEXAI" else SECRET)
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", "/q7Zx/w3Rk/sa-K3Yf1L3-4242.json")
    report = doctor()
    assert_no_secret(report, SECRET, "/q7Zx/w3Rk/sa-K3Yf1L3-4242.json")
    for name in names:
        assert name in str(report)
    assert "set" in str(report)


def test_the_real_environment_report() -> None:
    report = doctor(environ={"GEMINI_API_KEY": SECRET})
    text = str(report)
    assert_no_secret(report, SECRET)
    assert report.packages["google-genai"] == importlib.metadata.version("google-genai")
    for name in ("google-genai", "google-generativeai", "tenacity", "pydantic"):
        assert name in text
    assert "GEMINI_API_KEY                  set" in text
    assert "GOOGLE_API_KEY                  not set" in text
    assert report.platform == "gemini"
    assert report.credentials == "API key from GEMINI_API_KEY"
    routes = {route.name: route.available for route in report.routes}
    assert routes["Veo on Vertex AI (long-running operations)"] is True
    from google import genai
    from google.genai import models

    assert routes["Veo on the Gemini API (long-running operations)"] == hasattr(
        models, "_GenerateVideosParameters_to_mldev"
    )
    assert routes["Gemini video models, gemini-* (Interactions API)"] == hasattr(
        genai, "interactions"
    )


def test_legacy_package_is_reported() -> None:
    report = doctor(
        environ={"GEMINI_API_KEY": "k"},
        version=versions(**GOOD, google_generativeai="0.8.6"),
    )
    [legacy] = [p for p in report.problems if "google-generativeai" in p.summary]
    assert legacy.severity == "warning"
    assert "0.8.6" in legacy.summary
    assert "cannot generate video" in legacy.summary
    assert "pip uninstall google-generativeai" in legacy.fix
    assert "deprecated" in str(report)


def test_only_legacy_installed_is_an_error() -> None:
    report = doctor(
        environ={"GEMINI_API_KEY": "k"},
        version=versions(tenacity="9.1.4", pydantic="2.14.4", google_generativeai="0.8.6"),
        find_spec=lambda name: None,
    )
    assert not report.ok
    first = report.problems[0]
    assert first.severity == "error"
    assert "google-genai is not installed" in first.summary
    assert "google-generativeai 0.8.6" in first.summary
    assert first.fix == "Run `pip install -U google-genai veowrap`."
    assert report.routes == []
    assert "(none: google-genai is not importable)" in str(report)


@pytest.mark.parametrize(
    ("package", "version"),
    [
        ("google_genai", "1.9.0"),
        ("google_genai", "4.0.0"),
        ("tenacity", "8.1"),
        ("pydantic", "1.10"),
    ],
)
def test_unsupported_versions_are_errors(package: str, version: str) -> None:
    installed = {**GOOD, package: version}
    report = doctor(environ={"GEMINI_API_KEY": "k"}, version=versions(**installed))
    errors = [p for p in report.problems if p.severity == "error"]
    assert any("outside the supported range" in p.summary for p in errors)
    assert any("pip install" in p.fix for p in errors)


def test_nothing_configured() -> None:
    report = doctor(environ={}, version=versions(**GOOD))
    assert report.platform is None
    assert not report.ok
    [problem] = [p for p in report.problems if p.severity == "error"]
    assert "Nothing configures google-genai" in problem.summary
    for name in ("GEMINI_API_KEY", "GOOGLE_GENAI_USE_VERTEXAI", "GOOGLE_CLOUD_PROJECT"):
        assert name in problem.fix
    assert "veowrap.testing.VeoEmulator" in problem.fix
    assert "none (not configured)" in str(report)


def test_vertex_with_an_adc_file(tmp_path: Path) -> None:
    adc = tmp_path / "application_default_credentials.json"
    adc.write_text('{"refresh_token": "' + SECRET + '"}')
    environ = {
        "GOOGLE_GENAI_USE_VERTEXAI": "true",
        "GOOGLE_CLOUD_PROJECT": "prj-z9q8w7v6",
        "GOOGLE_CLOUD_LOCATION": "us-central1",
    }
    report = doctor(environ=environ, version=versions(**GOOD), adc_path=adc)
    assert report.platform == "vertex"
    assert "application-default login file found" in report.credentials
    assert report.ok
    assert not [p for p in report.problems if "Gemini API is selected" in p.summary]
    assert_no_secret(report, SECRET, "prj-z9q8w7v6")


def test_vertex_without_credentials_or_location(tmp_path: Path) -> None:
    environ = {"GOOGLE_GENAI_USE_VERTEXAI": "1", "GOOGLE_CLOUD_PROJECT": "p"}
    report = doctor(environ=environ, version=versions(**GOOD), adc_path=tmp_path / "missing.json")
    summaries = " ".join(p.summary for p in report.problems)
    assert "GOOGLE_CLOUD_LOCATION is not set" in summaries
    assert "no application-default credentials" in summaries
    assert any("gcloud auth application-default login" in p.fix for p in report.problems)
    assert report.ok  # warnings only


def test_vertex_express_mode() -> None:
    environ = {"GOOGLE_GENAI_USE_VERTEXAI": "true", "GOOGLE_API_KEY": SECRET}
    report = doctor(environ=environ, version=versions(**GOOD))
    assert report.platform == "vertex"
    assert report.credentials == "Vertex AI express mode, API key from GOOGLE_API_KEY"
    assert_no_secret(report, SECRET)


def test_both_keys_warns_which_one_wins() -> None:
    report = doctor(
        environ={"GOOGLE_API_KEY": SECRET, "GEMINI_API_KEY": SECRET[::-1]},
        version=versions(**GOOD),
    )
    assert report.credentials == "API key from GOOGLE_API_KEY"
    assert any("uses GOOGLE_API_KEY" in p.summary for p in report.problems)
    assert_no_secret(report, SECRET, SECRET[::-1])


def test_gemini_api_with_this_sdk_has_a_video_route() -> None:
    report = doctor(environ={"GEMINI_API_KEY": "k"}, version=versions(**GOOD))
    assert any(route.available for route in report.routes if "Gemini" in route.name)
    assert not any("no video route" in p.summary for p in report.problems)


def test_gemini_api_without_any_video_route_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from veowrap import _doctor

    monkeypatch.setattr(_doctor, "_interactions_video", lambda module: False)
    report = doctor(environ={"GEMINI_API_KEY": "k"}, version=versions(**GOOD))
    from google.genai import models

    if hasattr(models, "_GenerateVideosParameters_to_mldev"):
        pytest.skip("this google-genai still sends Veo to the Gemini API")
    [problem] = [p for p in report.problems if "no video route" in p.summary]
    assert problem.severity == "error"


def test_errors_come_first_and_render() -> None:
    report = doctor(environ={}, version=versions(**GOOD, google_generativeai="0.8.6"))
    severities = [p.severity for p in report.problems]
    assert severities == sorted(severities, key=lambda s: s != "error")
    text = str(report)
    assert text.startswith("veowrap ")
    assert "\nProblems\n" in text
    assert "    fix: " in text
    assert str(Problem("warning", "a", "b")) == "warning: a\n    fix: b"


def test_a_clean_report_says_none(tmp_path: Path) -> None:
    adc = tmp_path / "adc.json"
    adc.write_text("{}")
    environ = {
        "GOOGLE_GENAI_USE_VERTEXAI": "true",
        "GOOGLE_CLOUD_PROJECT": "p",
        "GOOGLE_CLOUD_LOCATION": "us-central1",
    }
    report = doctor(environ=environ, version=versions(**GOOD), adc_path=adc)
    assert report.problems == []
    assert str(report).endswith("Problems\n  none")


def test_requirements_mirror_pyproject() -> None:
    import tomllib

    from veowrap import _doctor

    pyproject = Path(__file__).parents[2] / "pyproject.toml"
    dependencies = tomllib.loads(pyproject.read_text())["project"]["dependencies"]
    for name, lowest, first_bad in _doctor._REQUIREMENTS:
        [spec] = [d for d in dependencies if d.split(">")[0].split("<")[0].strip() == name]
        assert f">={lowest}" in spec
        if first_bad:
            assert f"<{first_bad}" in spec
