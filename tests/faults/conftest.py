"""Fixtures of the fault matrix, and the row count in pytest's terminal summary."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from veowrap.testing import VeoEmulator

from .harness import LATENCY

API_KEY = "AIza-SECRET-0123456789abcdefghijklmnopqrstu"
TOKEN = "ya29.SECRET-fedcba9876543210-token"


@pytest.fixture
def emu() -> Iterator[VeoEmulator]:
    with VeoEmulator(latency=LATENCY, api_key=API_KEY, token=TOKEN) as emulator:
        yield emulator


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: Any) -> None:
    from .scenarios import SCENARIOS
    from .test_matrix import MEASURED, RAN

    if not RAN:
        return
    routes = sorted({row.route for row in SCENARIOS})
    terminalreporter.write_sep("-", "veowrap fault matrix")
    terminalreporter.write_line(
        f"fault matrix: {len(SCENARIOS)} scenarios over {len(routes)} routes "
        f"({', '.join(routes)}); {len(RAN)} row runs (sync + async) executed this session"
    )
    if MEASURED:
        worst = max(MEASURED, key=lambda row: row[2])
        terminalreporter.write_line(
            f"figures: most paid submissions for one request {max(m[1] for m in MEASURED)}; "
            f"partial files left {sum(m[3] for m in MEASURED)}; credentials seen by a foreign "
            f"origin {sum(m[4] for m in MEASURED)}; worst return past the deadline "
            f"{max(0.0, worst[2]):.2f} s ({worst[0]})"
        )
