"""Fuzzed HANDLE arguments and handle files: the command line never reports a bug for them.

Random text (and random bytes in a handle file) go to ``veowrap status``/``wait`` against the
emulator. Whatever they are, the command ends with a typed error's exit code (3 for input it
cannot use, 9 for a well-formed name the service does not know), one ``error:`` line without
terminal control characters, and never "This is a bug".
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from veowrap.testing import VeoEmulator

if importlib.util.find_spec("click") is None or importlib.util.find_spec("tqdm") is None:
    pytest.skip("the command line needs the cli extra", allow_module_level=True)

from click.testing import CliRunner

from veowrap.cli._app import cli
from veowrap.cli._exit import ExitCode

SETTINGS = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
ALLOWED = {ExitCode.VALIDATION, ExitCode.SERVICE}


class _Environment(dict[str, str]):
    def __repr__(self) -> str:  # hypothesis prints arguments: not the whole environment
        return "<the emulator's environment>"


@pytest.fixture(scope="module")
def environment() -> Iterator[dict[str, str]]:
    with VeoEmulator(latency=0.1) as emulator:
        clean = {
            name: value
            for name, value in os.environ.items()
            if not name.startswith(("GOOGLE_", "GEMINI_", "VEOWRAP_"))
        }
        yield _Environment({**clean, **emulator.env(vertex=True)})


def _run(args: list[str], env: dict[str, str]) -> Any:
    return CliRunner().invoke(cli, args, env=env, catch_exceptions=False, prog_name="veowrap")


def _check(result: Any) -> None:
    assert result.exit_code in ALLOWED, (result.exit_code, result.stderr[:300])
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, result.stderr[:500]
    assert "bug" not in result.stderr and "Traceback" not in result.stderr
    assert "\x1b" not in result.stderr and "\x00" not in result.stderr


texts = st.text(max_size=60) | st.text(alphabet='{}[]":,/ \\.-_aZ09\x00\x1b\n', max_size=60)


@SETTINGS
@given(value=texts)
@example(value="x" * 100_000)
@example(value="{" * 10_000)
@example(value="projects//locations//publishers/google/models//operations/")
@example(value="models/a/operations/b\n\x1b[2J")
def test_random_handle_arguments(environment: dict[str, str], value: str) -> None:
    if "\x00" in value:  # no process can receive a NUL in an argument
        value = value.replace("\x00", "")
    _check(_run(["status", "--", value], environment))


@SETTINGS
@given(data=st.binary(max_size=400) | texts.map(lambda text: text.encode("utf-8")))
@example(data=b'{"name": "models/m/operations/o", "platform": "vertex", "route": "nope"}')
@example(data=b"\xef\xbb\xbf" + b'{"name": 1}')
def test_random_handle_files(
    environment: dict[str, str], tmp_path_factory: pytest.TempPathFactory, data: bytes
) -> None:
    path: Path = tmp_path_factory.mktemp("handles") / "job.handle.json"
    path.write_bytes(data)
    output = str(path.parent) + "/"
    _check(_run(["wait", "-o", output, "--timeout", "1", "--", str(path)], environment))
