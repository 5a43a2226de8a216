"""What the environment says about Google configuration: the one home for reading it.

google-genai's ``Client()`` reads these variables; veowrap reads them the same way to choose
its default backend (``backends._registry``), to explain the set-up (``doctor``, the CLI) and to
guess the platform a cost estimate is for (``estimate_cost``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # an annotation only: reading the environment needs no pydantic model
    from veowrap._handle import Platform

__all__ = [
    "CLI_SETUP_HELP",
    "CONFIG_ENV_VARS",
    "NOTHING_PASSED",
    "SETUP_HELP",
    "genai_configured",
    "platform_from_environment",
    "uses_vertex",
]

CONFIG_ENV_VARS = (
    "GEMINI_API_KEY",
    "GOOGLE_API_KEY",
    "GOOGLE_GENAI_USE_VERTEXAI",
    "GOOGLE_CLOUD_PROJECT",
    "GOOGLE_CLOUD_LOCATION",
)
"""The environment variables that configure google-genai (and so veowrap's default backend)."""

_TRUE = frozenset({"1", "true"})  # what google-genai accepts

SETUP_HELP = (
    "Set GEMINI_API_KEY (or GOOGLE_API_KEY) for the Gemini API; or GOOGLE_GENAI_USE_VERTEXAI=true "
    "with GOOGLE_CLOUD_PROJECT and GOOGLE_CLOUD_LOCATION (after `gcloud auth application-default "
    "login`) for Vertex AI; or pass client=, api_key=, or vertexai=True with project= and "
    "location=. To work offline, point a client at veowrap.testing.VeoEmulator, or use "
    'backend="fake" (veowrap.backends.fake.FakeBackend) in unit tests. `veowrap.doctor()` shows '
    "what veowrap sees."
)
"""How to configure Google access from Python (the CLI words its own advice)."""

CLI_SETUP_HELP = (
    "Set GEMINI_API_KEY (or GOOGLE_API_KEY) for the Gemini API; or, for Vertex AI, run `gcloud "
    "auth application-default login` and pass --vertex --project P --location L (or set "
    "GOOGLE_GENAI_USE_VERTEXAI=true, GOOGLE_CLOUD_PROJECT and GOOGLE_CLOUD_LOCATION). To try it "
    "with no account: --offline, or `veowrap emulator` and --emulator URL. `veowrap doctor` "
    "shows what veowrap sees."
)
"""How to configure Google access from the ``veowrap`` command (what the CLI shows instead of
:data:`SETUP_HELP`)."""

NOTHING_PASSED = "no client, API key or Vertex AI settings were passed"
"""What a ``ConfigurationError`` says about the arguments when nothing configures google-genai
(the CLI says which options instead)."""


def uses_vertex(environ: Mapping[str, str] | None = None) -> bool:
    """Whether the environment selects Vertex AI, as google-genai reads it."""
    env = os.environ if environ is None else environ
    # google-genai lets GOOGLE_GENAI_USE_ENTERPRISE, when set, override GOOGLE_GENAI_USE_VERTEXAI.
    flag = env.get("GOOGLE_GENAI_USE_ENTERPRISE")
    if flag is None:
        flag = env.get("GOOGLE_GENAI_USE_VERTEXAI")
    return (flag or "").strip().lower() in _TRUE


def genai_configured(
    client: Any = None,
    settings: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
) -> bool:
    """Whether google-genai has what it needs: a client, settings, or configuring variables."""
    if client is not None or any(value is not None for value in (settings or {}).values()):
        return True
    env = os.environ if environ is None else environ
    if env.get("GEMINI_API_KEY") or env.get("GOOGLE_API_KEY"):
        return True
    return uses_vertex(env) and bool(env.get("GOOGLE_CLOUD_PROJECT"))


def platform_from_environment(environ: Mapping[str, str] | None = None) -> Platform | None:
    """The platform ``genai.Client()`` would use here, or ``None`` when nothing configures it."""
    env = os.environ if environ is None else environ
    if not genai_configured(environ=env):
        return None
    return "vertex" if uses_vertex(env) else "gemini"
