"""docs/reliability.md is generated from the fault matrix; this fails when the two drift apart."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

from .scenarios import SCENARIOS

ROOT = Path(__file__).resolve().parents[2]


def _generator() -> ModuleType:
    path = ROOT / "scripts" / "gen_reliability_doc.py"
    spec = importlib.util.spec_from_file_location("gen_reliability_doc", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_committed_reliability_page_matches_the_matrix() -> None:
    expected = _generator().render()
    actual = (ROOT / "docs" / "reliability.md").read_text(encoding="utf-8")
    assert actual == expected, "docs/reliability.md is stale: run scripts/gen_reliability_doc.py"


def test_page_lists_every_row() -> None:
    text = (ROOT / "docs" / "reliability.md").read_text(encoding="utf-8")
    for row in SCENARIOS:
        assert f"`{row.id}`" in text
