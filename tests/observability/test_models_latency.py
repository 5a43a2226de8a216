"""``veowrap models --latency``: the catalog's distribution next to the learned one."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from veowrap._core.latency import MIN_SAMPLES
from veowrap._history import HistoryRow, LatencyHistory
from veowrap.cli._app import cli

MODEL = "veo-3.1-generate-001"


def _run(*args: str) -> str:
    result = CliRunner().invoke(cli, ["models", "--latency", *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


def test_catalog_only_until_history_has_enough_jobs() -> None:
    records = json.loads(_run("--platform", "vertex", "--json"))
    veo = next(r for r in records if r["model"] == MODEL)
    assert veo["history"] is None and veo["samples"] == 0 and veo["in_use"] == "catalog"
    assert veo["catalog"]["p10"] < veo["catalog"]["p50"] < veo["catalog"]["p90"]


def test_learned_quantiles_appear_next_to_the_catalogs() -> None:
    store = LatencyHistory()
    for seconds in range(MIN_SAMPLES):
        store.record(HistoryRow(MODEL, "vertex", "succeeded", 30.0 + seconds))
    records = json.loads(_run("--platform", "vertex", "--json"))
    veo = next(r for r in records if r["model"] == MODEL)
    assert veo["samples"] == MIN_SAMPLES and veo["in_use"] == "history"
    assert veo["history"]["p50"] == 39.5
    table = _run("--platform", "vertex")
    assert table.splitlines()[0].split()[:3] == ["MODEL", "PLATFORM", "CATALOG"]
    line = next(line for line in table.splitlines() if line.startswith(MODEL + " "))
    assert "39s" in line and "history" in line
    assert str(store.path) in table


def test_offline_generation_stays_out_of_history(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(
        cli,
        ["generate", "--offline", "--offline-latency", "0.1", "a kite", "-o", "kite.mp4"],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "kite.mp4").exists()
    assert LatencyHistory().rows() == []
