"""docs/models.md is generated from the catalog; this fails when the two drift apart."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]


def _generator() -> ModuleType:
    path = ROOT / "scripts" / "gen_models_doc.py"
    spec = importlib.util.spec_from_file_location("gen_models_doc", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_committed_models_page_matches_the_catalog() -> None:
    expected = _generator().render()
    actual = (ROOT / "docs" / "models.md").read_text(encoding="utf-8")
    assert actual == expected, "docs/models.md is stale: run python scripts/gen_models_doc.py"


def test_page_lists_every_model_and_platform() -> None:
    from veowrap._catalog import models

    text = (ROOT / "docs" / "models.md").read_text(encoding="utf-8")
    for info in models():
        for platform in info.platforms:
            assert f"| `{info.id}` | {platform} |" in text


def test_catalog_json_is_packaged_inside_the_package() -> None:
    assert (ROOT / "src" / "veowrap" / "catalog.json").is_file()
