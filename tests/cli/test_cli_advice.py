"""The command line gives command-line advice: options, variables and `veowrap` commands,
never the library's Python advice (`client=`, `backend="fake"`, `VideoGenerator(...)`)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import veowrap
from veowrap._environment import CLI_SETUP_HELP, SETUP_HELP
from veowrap._errors import ConfigurationError, DownloadError, OperationTimeoutError
from veowrap.cli import _describe
from veowrap.cli._describe import describe, in_command_line_words, speaks_python
from veowrap.cli._exit import ExitCode
from veowrap.testing import VeoEmulator

from .conftest import Invoke

SOURCES = Path(veowrap.__file__).parent
PYTHON_ADVICE = ("client=", "api_key=", "backend=", "VideoGenerator(", "vertexai=True", ".doctor()")


def assert_command_line_advice(text: str) -> None:
    for words in PYTHON_ADVICE:
        assert words not in text, text


def test_setup_help_becomes_the_command_line_setup_help() -> None:
    _, hint = describe(ConfigurationError("Nothing is configured.", hint=SETUP_HELP))
    assert hint == CLI_SETUP_HELP
    for advice in ("--offline", "--emulator URL", "--vertex --project P --location L"):
        assert advice in CLI_SETUP_HELP
    assert "veowrap doctor" in CLI_SETUP_HELP and "GEMINI_API_KEY" in CLI_SETUP_HELP
    assert not speaks_python(CLI_SETUP_HELP)


def test_every_translated_phrase_is_one_the_library_says() -> None:
    library = "".join(
        path.read_text(encoding="utf-8")
        for path in [*SOURCES.rglob("*.py"), SOURCES / "catalog.json"]
        if "cli" not in path.relative_to(SOURCES).parts
    )
    library = " ".join(library.replace('"\n', "").replace('    "', "").split())
    for python, _ in _describe._PHRASES:
        assert " ".join(python.split()) in library, f"stale translation: {python!r}"


def _catalog_hints(data: object) -> list[str]:
    if isinstance(data, dict):
        found = [value for key, value in data.items() if key == "hint" and isinstance(value, str)]
        return found + [hint for value in data.values() for hint in _catalog_hints(value)]
    if isinstance(data, list):
        return [hint for value in data for hint in _catalog_hints(value)]
    return []


def test_every_catalog_hint_reads_as_command_line_advice() -> None:
    hints = _catalog_hints(json.loads((SOURCES / "catalog.json").read_text(encoding="utf-8")))
    assert hints
    for template in hints:
        hint = in_command_line_words(template.replace("{field}", "seed"))
        assert not speaks_python(hint), hint
        assert_command_line_advice(hint)


@pytest.mark.parametrize(
    ("error", "resumable", "expected"),
    [
        (OperationTimeoutError("Too slow.", hint="Resume with generator.wait(error.handle)."),
         True, "The job may still be running; the command below picks it up."),
        (OperationTimeoutError("Too slow.", hint="Resume with generator.wait(error.handle)."),
         False, None),  # an --offline job: nothing to resume, and no Python advice either
        (DownloadError("Disk full.", hint="Call save() again, or generator.wait(handle)."),
         True, "Nothing partial was left there. The videos wait on the server (about two days): "
               "fix the destination, then run the command below (or change its -o)."),
    ],
)  # fmt: skip
def test_a_hint_only_python_understands_is_never_shown(
    error: Exception, resumable: bool, expected: str | None
) -> None:
    assert describe(error, resumable=resumable)[1] == expected


def test_no_configuration_advises_options_and_variables(invoke: Invoke) -> None:
    result = invoke("generate", "a boat", "-m", "veo-3.1-generate-001")
    assert result.exit_code == ExitCode.CONFIGURATION
    assert result.stderr.startswith("error: veowrap found no Google configuration: no --vertex")
    assert f"\nhint: {CLI_SETUP_HELP}\n" in result.stderr
    assert_command_line_advice(result.stderr)


def test_json_errors_carry_the_same_advice(invoke: Invoke) -> None:
    result = invoke("status", "models/m/operations/x", "--json")
    assert result.exit_code == ExitCode.CONFIGURATION
    assert json.loads(result.stdout)["error"]["hint"] == CLI_SETUP_HELP


def test_vertex_only_fields_point_at_vertex_options(
    invoke: Invoke, emu: VeoEmulator, gemini_env: dict[str, str]
) -> None:
    veo = ["generate", "a boat", "-m", "veo-3.1-generate-001"]
    for args in (veo, [*veo, "--seed", "3"]):
        result = invoke(*args, env=gemini_env)
        assert result.exit_code in (ExitCode.CONFIGURATION, ExitCode.VALIDATION)
        assert "Use Vertex AI (--vertex --project P --location L)" in result.stderr
        assert_command_line_advice(result.stderr)
    assert "or leave out seed (--seed)." in result.stderr
    assert emu.requests == []


def test_budget_advice_names_the_option(
    invoke: Invoke, emu: VeoEmulator, vertex_env: dict[str, str]
) -> None:
    result = invoke(
        "generate", "a boat", "-m", "veo-3.1-generate-001", "--max-cost", "0.01", env=vertex_env
    )
    assert result.exit_code == ExitCode.VALIDATION
    assert "hint: Raise --max-cost," in result.stderr
    assert "budget=" not in result.stderr


def test_doctor_gives_command_line_fixes(invoke: Invoke) -> None:
    result = invoke("doctor")
    assert result.exit_code == ExitCode.CONFIGURATION
    assert f"fix: {CLI_SETUP_HELP}" in result.stdout
    assert "settings passed in code" not in result.stdout
    assert_command_line_advice(result.stdout)
    report = json.loads(invoke("doctor", "--json").stdout)
    assert [problem["fix"] for problem in report["problems"]] == [CLI_SETUP_HELP]
