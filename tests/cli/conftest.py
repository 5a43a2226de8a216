"""Fixtures for the command-line tests: an emulator, its environment, and two ways to run.

``run`` starts ``python -m veowrap.cli`` as a real subprocess; ``invoke`` calls the click app
in-process with :class:`click.testing.CliRunner` (faster, for everything a subprocess adds
nothing to). Both see only the emulator's environment variables: any real Google credentials
in the developer's environment are removed.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

import pytest

from veowrap.testing import VeoEmulator

if TYPE_CHECKING:
    from click.testing import Result

# The command line needs the `cli` extra (click, tqdm); without it these tests are not collected.
if importlib.util.find_spec("click") is None or importlib.util.find_spec("tqdm") is None:
    collect_ignore_glob = ["test_*.py"]

API_KEY = "AIzaSy-CLI-TEST-KEY-0123456789abcdef"
POLL = ["--poll-interval", "0.05"]


def clean_environment() -> dict[str, str]:
    """The current environment without Google or Gemini settings."""
    return {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("GOOGLE_", "GEMINI_", "VEOWRAP_"))
    }


@pytest.fixture
def emu() -> Iterator[VeoEmulator]:
    with VeoEmulator(latency=0.2, api_key=API_KEY) as emulator:
        yield emulator


@pytest.fixture
def vertex_env(emu: VeoEmulator) -> dict[str, str]:
    """Vertex AI express mode, pointed at the emulator (as ``emu.env(vertex=True)`` says)."""
    return {**clean_environment(), **emu.env(vertex=True)}


@pytest.fixture
def gemini_env(emu: VeoEmulator) -> dict[str, str]:
    """The Gemini API, pointed at the emulator."""
    return {**clean_environment(), **emu.env()}


Run = Callable[..., subprocess.CompletedProcess[str]]
Invoke = Callable[..., "Result"]


@pytest.fixture
def run(tmp_path: Any) -> Run:
    """Runs ``python -m veowrap.cli ARGS`` in ``tmp_path``."""

    def runner(
        *args: str, env: Mapping[str, str] | None = None, timeout: float = 20
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "veowrap.cli", *args],
            env=dict(env if env is not None else clean_environment()),
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    return runner


@pytest.fixture
def invoke(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> Invoke:
    """Runs the click app in-process, in ``tmp_path``, with exactly the given environment."""
    monkeypatch.chdir(tmp_path)

    from click.testing import CliRunner

    from veowrap.cli._app import cli

    def invoker(*args: str, env: Mapping[str, str] | None = None) -> Result:
        environment = dict(env if env is not None else clean_environment())
        for name in os.environ:
            if name.startswith(("GOOGLE_", "GEMINI_", "VEOWRAP_")) and name not in environment:
                monkeypatch.delenv(name)
        return CliRunner().invoke(
            cli, list(args), env=environment, catch_exceptions=False, prog_name="veowrap"
        )

    return invoker
