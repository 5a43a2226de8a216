"""`doctor()`: what veowrap sees in this environment, and what to do about each problem.

The report lists the installed SDKs, the platform and credentials google-genai would use, the
video routes the installed google-genai offers, and the deprecated ``google-generativeai``
package if present. It makes no network call and never shows the value of an environment
variable: only whether each one is set.

Run it with ``python -c "import veowrap; print(veowrap.doctor())"`` or
``python -m veowrap._doctor``.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import platform as _platform
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from veowrap._environment import SETUP_HELP, genai_configured, uses_vertex
from veowrap._version import __version__
from veowrap.backends.legacy import FIX_COMMAND, LEGACY_DISTRIBUTION

__all__ = ["DoctorReport", "Problem", "RouteSupport", "doctor"]

Severity = Literal["error", "warning"]
VersionLookup = Callable[[str], str]
SpecFinder = Callable[[str], object | None]

# (distribution, lowest supported, first unsupported): pyproject's dependencies (a test checks).
_REQUIREMENTS: tuple[tuple[str, str | None, str | None], ...] = (
    ("google-genai", "2.17", "4"),
    ("tenacity", "8.4", None),
    ("pydantic", "2.7", "3"),
)
_PACKAGES = ("google-genai", LEGACY_DISTRIBUTION, "tenacity", "pydantic")
_ENV_NAMES = (
    "GEMINI_API_KEY",
    "GOOGLE_API_KEY",
    "GOOGLE_GENAI_USE_VERTEXAI",
    "GOOGLE_GENAI_USE_ENTERPRISE",
    "GOOGLE_CLOUD_PROJECT",
    "GOOGLE_CLOUD_LOCATION",
    "GOOGLE_APPLICATION_CREDENTIALS",
    "GOOGLE_GEMINI_BASE_URL",
    "GOOGLE_VERTEX_BASE_URL",
)


@dataclass(frozen=True)
class Problem:
    """Something that stops (``error``) or may surprise (``warning``) veowrap, and its fix."""

    severity: Severity
    summary: str
    fix: str

    def __str__(self) -> str:
        return f"{self.severity}: {self.summary}\n    fix: {self.fix}"


@dataclass(frozen=True)
class RouteSupport:
    """Whether the installed google-genai offers a video route, with a word of explanation."""

    name: str
    available: bool
    detail: str = ""


@dataclass
class DoctorReport:
    """The result of :func:`doctor`. ``str(report)`` is a readable report.

    Attributes:
        veowrap_version: This veowrap's version.
        python_version: The running Python's version.
        packages: Distribution names mapped to installed versions (``None``: not installed).
        environment: Variable names mapped to whether they are set. Values are never read
            into the report.
        platform: ``"gemini"`` or ``"vertex"``: where google-genai would send requests, or
            ``None`` when nothing is configured.
        credentials: How google-genai would authenticate, in words (names only).
        routes: The video routes of the installed google-genai.
        problems: What to fix, most serious first.
    """

    veowrap_version: str
    python_version: str
    packages: dict[str, str | None]
    environment: dict[str, bool]
    platform: Literal["gemini", "vertex"] | None
    credentials: str
    routes: list[RouteSupport] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether no problem is an error."""
        return not any(problem.severity == "error" for problem in self.problems)

    def __str__(self) -> str:
        lines = [f"veowrap {self.veowrap_version} doctor (Python {self.python_version})", ""]
        lines.append("Packages")
        for name, version in self.packages.items():
            note = ""
            if name == LEGACY_DISTRIBUTION and version:
                note = "  (deprecated; cannot generate video; not used by veowrap)"
            lines.append(f"  {name:<22}{version or 'not installed'}{note}")
        lines += ["", "Environment (names only; values are never shown)"]
        for name, present in self.environment.items():
            lines.append(f"  {name:<32}{'set' if present else 'not set'}")
        lines += ["", "Default backend"]
        where = {"gemini": "Gemini API", "vertex": "Vertex AI", None: "none (not configured)"}
        lines.append(f"  platform     {where[self.platform]}")
        lines.append(f"  credentials  {self.credentials}")
        genai_version = self.packages.get("google-genai")
        lines += ["", f"Video routes in google-genai {genai_version or '(not installed)'}"]
        for route in self.routes:
            mark = "yes" if route.available else "no "
            detail = f" - {route.detail}" if route.detail else ""
            lines.append(f"  [{mark}] {route.name}{detail}")
        if not self.routes:
            lines.append("  (none: google-genai is not importable)")
        lines += ["", "Problems"]
        for problem in self.problems:
            lines.append(f"  {problem}".replace("\n", "\n  "))
        if not self.problems:
            lines.append("  none")
        return "\n".join(lines)


def doctor(
    *,
    environ: Mapping[str, str] | None = None,
    version: VersionLookup | None = None,
    find_spec: SpecFinder | None = None,
    adc_path: Path | None = None,
) -> DoctorReport:
    """Inspects the environment veowrap runs in. Makes no network call; shows no secret.

    Args:
        environ: The environment to read (``os.environ``).
        version: Reads a distribution's version (``importlib.metadata.version``).
        find_spec: Finds whether a module is importable (``importlib.util.find_spec``).
        adc_path: Where gcloud's application-default credentials file would be (its default
            location); only its existence is checked.

    Returns:
        A :class:`DoctorReport`; ``print()`` it, or read ``report.problems``.
    """
    env = os.environ if environ is None else environ
    read_version = version or importlib.metadata.version
    finder = find_spec or importlib.util.find_spec
    packages = {name: _version_of(name, read_version) for name in _PACKAGES}
    problems: list[Problem] = []
    _check_packages(packages, problems)

    environment = {name: bool(env.get(name)) for name in _ENV_NAMES}
    platform, credentials = _configuration(env, adc_path, problems)

    routes: list[RouteSupport] = []
    if packages["google-genai"] and _importable("google.genai", finder):
        routes = _routes(packages["google-genai"], platform, problems)

    if packages[LEGACY_DISTRIBUTION]:
        problems.append(
            Problem(
                "warning",
                f"{LEGACY_DISTRIBUTION} {packages[LEGACY_DISTRIBUTION]} is installed. It is "
                "deprecated and cannot generate video (its generate_content returns only text "
                "or structured output); veowrap ignores it and any configure() call made on it.",
                f"Generate video with veowrap (google-genai underneath); run "
                f"`pip uninstall {LEGACY_DISTRIBUTION}` if nothing else needs it.",
            )
        )
    problems.sort(key=lambda problem: problem.severity != "error")
    return DoctorReport(
        veowrap_version=__version__,
        python_version=_platform.python_version(),
        packages=packages,
        environment=environment,
        platform=platform,
        credentials=credentials,
        routes=routes,
        problems=problems,
    )


# -- helpers ------------------------------------------------------------------------------------


def _version_of(name: str, read_version: VersionLookup) -> str | None:
    try:
        return read_version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def _importable(module: str, finder: SpecFinder) -> bool:
    try:
        return finder(module) is not None
    except (ImportError, ValueError):
        return False


def _release(text: str) -> tuple[int, ...]:
    numbers = []
    for part in text.split("."):
        match = re.match(r"\d+", part)
        if match is None:
            break
        numbers.append(int(match[0]))
    return tuple(numbers)


def _check_packages(packages: Mapping[str, str | None], problems: list[Problem]) -> None:
    for name, lowest, first_bad in _REQUIREMENTS:
        installed = packages.get(name)
        wanted = ",".join(
            part
            for part in (f">={lowest}" if lowest else "", f"<{first_bad}" if first_bad else "")
            if part
        )
        if installed is None:
            legacy = packages.get(LEGACY_DISTRIBUTION)
            problems.append(
                Problem(
                    "error",
                    f"{name} is not installed"
                    + (
                        f" (only the deprecated {LEGACY_DISTRIBUTION} {legacy} is, which cannot "
                        "generate video)"
                        if name == "google-genai" and legacy
                        else ""
                    )
                    + ".",
                    f"Run `{FIX_COMMAND}`."
                    if name == "google-genai"
                    else f"Run `pip install '{name}{wanted}'`.",
                )
            )
            continue
        release = _release(installed)
        too_old = lowest is not None and release < _release(lowest)
        too_new = first_bad is not None and release >= _release(first_bad)
        if too_old or too_new:
            problems.append(
                Problem(
                    "error",
                    f"{name} {installed} is outside the supported range {wanted}.",
                    f"Run `pip install '{name}{wanted}'`.",
                )
            )


def _configuration(
    env: Mapping[str, str], adc_path: Path | None, problems: list[Problem]
) -> tuple[Literal["gemini", "vertex"] | None, str]:
    google_key, gemini_key = bool(env.get("GOOGLE_API_KEY")), bool(env.get("GEMINI_API_KEY"))
    key_name = "GOOGLE_API_KEY" if google_key else "GEMINI_API_KEY" if gemini_key else None
    if google_key and gemini_key:
        problems.append(
            Problem(
                "warning",
                "Both GOOGLE_API_KEY and GEMINI_API_KEY are set; google-genai uses GOOGLE_API_KEY.",
                "Unset the one you do not mean to use.",
            )
        )
    vertex = uses_vertex(env)
    if not genai_configured(environ=env):
        problems.append(
            Problem(
                "error",
                "Nothing configures google-genai: no API key and no Vertex AI project in the "
                "environment (settings passed in code are not visible here).",
                SETUP_HELP,
            )
        )
        return None, "none"
    if not vertex:
        return "gemini", f"API key from {key_name}"
    if env.get("GOOGLE_CLOUD_PROJECT"):
        credentials = "Application Default Credentials, project from GOOGLE_CLOUD_PROJECT"
        if not env.get("GOOGLE_CLOUD_LOCATION"):
            problems.append(
                Problem(
                    "warning",
                    "GOOGLE_CLOUD_LOCATION is not set; google-genai will pick its default "
                    "region, which may not serve the Veo model you want.",
                    "export GOOGLE_CLOUD_LOCATION=us-central1 (or your region).",
                )
            )
        if env.get("GOOGLE_APPLICATION_CREDENTIALS"):
            credentials += " (key file from GOOGLE_APPLICATION_CREDENTIALS)"
        elif _adc_file(env, adc_path).is_file():
            credentials += " (gcloud application-default login file found)"
        else:
            credentials += " (no ADC file found)"
            problems.append(
                Problem(
                    "warning",
                    "Vertex AI is selected but no application-default credentials file was "
                    "found; this works only on Google Cloud runtimes (metadata server).",
                    "Run `gcloud auth application-default login`, or set "
                    "GOOGLE_APPLICATION_CREDENTIALS to a service-account key file.",
                )
            )
        return "vertex", credentials
    return "vertex", f"Vertex AI express mode, API key from {key_name}"


def _adc_file(env: Mapping[str, str], adc_path: Path | None) -> Path:
    if adc_path is not None:
        return adc_path
    config = env.get("CLOUDSDK_CONFIG")
    if config:
        base = Path(config)
    elif os.name == "nt":
        base = Path(env.get("APPDATA", "")) / "gcloud"
    else:
        base = Path.home() / ".config" / "gcloud"
    return base / "application_default_credentials.json"


def _routes(
    genai_version: str,
    platform: Literal["gemini", "vertex"] | None,
    problems: list[Problem],
) -> list[RouteSupport]:
    try:
        import google.genai
        from google.genai import models
    except Exception as error:  # a broken install must still give a report
        problems.append(
            Problem(
                "error",
                f"google-genai {genai_version} is installed but fails to import "
                f"({type(error).__name__}).",
                f"Reinstall it: `{FIX_COMMAND}`.",
            )
        )
        return []
    gemini_veo = hasattr(models, "_GenerateVideosParameters_to_mldev")
    interactions = _interactions_video(google.genai)
    routes = [
        RouteSupport("Veo on Vertex AI (long-running operations)", True),
        RouteSupport(
            "Veo on the Gemini API (long-running operations)",
            gemini_veo,
            "" if gemini_veo else "this google-genai sends generate_videos only to Vertex AI",
        ),
        RouteSupport(
            "Gemini video models, gemini-* (Interactions API)",
            interactions,
            "" if interactions else "not in this google-genai (needs google-genai>=2.10)",
        ),
    ]
    if platform == "gemini" and not gemini_veo and not interactions:
        problems.append(
            Problem(
                "error",
                f"The Gemini API is selected, and google-genai {genai_version} offers no video "
                "route there: no Veo (generate_videos) and no Interactions API.",
                "Run `pip install -U google-genai` for Gemini video models, or use Vertex AI "
                "for Veo (GOOGLE_GENAI_USE_VERTEXAI=true, GOOGLE_CLOUD_PROJECT, "
                "GOOGLE_CLOUD_LOCATION).",
            )
        )
    return routes


def _interactions_video(genai_module: Any) -> bool:
    try:
        interactions = genai_module.interactions
    except Exception:  # absent on older google-genai (AttributeError) or broken
        return False
    return hasattr(interactions, "VideoConfig") or hasattr(
        getattr(genai_module, "types", None), "VideoConfig"
    )


if __name__ == "__main__":  # pragma: no cover
    print(doctor())
