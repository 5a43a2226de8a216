"""Suite-wide: with VEOWRAP_STRICT_SKIPS=1 (set by .ci/run), a skip is allowed only for a
reason that is true on this machine, so a test that was meant to run never skips silently.

Each allowed reason names the fact that makes it legitimate (the installed google-genai major
version, whether google-generativeai is installed, running as root, a missing optional tool).
Any other skip fails the session and is listed.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import signal
from collections.abc import Callable
from typing import Any

import pytest


def _sdk_major() -> int:
    from google.genai import version

    return int(version.__version__.split(".")[0])


def _root() -> bool:
    return os.geteuid() == 0


# (pattern of the skip reason, whether it may be true here)
_ALLOWED: list[tuple[str, Callable[[], bool]]] = [
    (r"google-genai 3\.x (has no|refuses|cannot)", lambda: _sdk_major() >= 3),
    (r"only google-genai 3\.x refuses", lambda: _sdk_major() < 3),
    (r"this google-genai still sends Veo", lambda: _sdk_major() < 3),
    (
        r"could not import 'google\.(generativeai|api_core)",
        lambda: importlib.util.find_spec("google.generativeai") is None,
    ),
    (r"needs unshare as root", lambda: not _root()),
    (r"root (reads any file|ignores file modes)", _root),
    (r"ffprobe not installed", lambda: shutil.which("ffprobe") is None),
    (
        r"opentelemetry-sdk not installed",
        lambda: (
            importlib.util.find_spec("opentelemetry") is None
            or importlib.util.find_spec("opentelemetry.sdk") is None
        ),
    ),
    (r"chattr is not available", lambda: shutil.which("chattr") is None),
    # Containers may forbid the immutable attribute and user namespaces even to root.
    (r"cannot set the immutable attribute here", lambda: True),
    (r"needs unshare and mount in a user namespace", lambda: True),
]

_skips: list[tuple[str, str]] = []


def pytest_configure(config: pytest.Config) -> None:
    # A run started in the background of a non-interactive shell, or under nohup, inherits
    # SIGINT/SIGHUP as *ignored*, and so would every CLI child a test starts: the tests that
    # send Ctrl-C or close a terminal would then test nothing. Restore the usual dispositions.
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    if signal.getsignal(signal.SIGHUP) is signal.SIG_IGN:
        signal.signal(signal.SIGHUP, signal.SIG_DFL)


def _reason(report: pytest.TestReport) -> str:
    longrepr: Any = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2])
    return str(longrepr)


def _allowed(reason: str) -> bool:
    return any(re.search(pattern, reason) and holds() for pattern, holds in _ALLOWED)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.skipped and not hasattr(report, "wasxfail"):
        _skips.append((report.nodeid, _reason(report)))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if os.environ.get("VEOWRAP_STRICT_SKIPS") != "1":
        return
    unexpected = [(node, reason) for node, reason in _skips if not _allowed(reason)]
    if unexpected:
        lines = "\n".join(f"  {node}: {reason}" for node, reason in unexpected[:50])
        print(f"\n{len(unexpected)} test(s) skipped for a reason not true here:\n{lines}")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture(autouse=True)
def _private_cache(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each test gets its own veowrap cache directory: latency history recorded by one test
    never reaches the real user cache, nor shapes another test's poll schedule."""
    # XDG_CACHE_HOME, not VEOWRAP_CACHE_DIR: the CLI tests strip VEOWRAP_* variables from the
    # environments they run commands in, and those commands must not reach the real cache.
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("veowrap-cache")))
    monkeypatch.delenv("VEOWRAP_CACHE_DIR", raising=False)
    monkeypatch.delenv("VEOWRAP_NO_HISTORY", raising=False)
