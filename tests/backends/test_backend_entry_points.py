"""Third-party backends found through the ``veowrap.backends`` entry-point group.

The distribution under ``thirdparty_dist/`` is "installed" the cheap way: its package and a
``.dist-info`` (``METADATA`` + ``entry_points.txt`` generated from its ``pyproject.toml``) are
placed in a temporary directory put on ``sys.path``, where ``importlib.metadata`` finds them.
"""

from __future__ import annotations

import shutil
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import veowrap
from veowrap.backends._registry import (
    ENTRY_POINT_GROUP,
    available_backends,
    get_backend,
    register_backend,
    resolve_backend,
    unregister_backend,
)

DIST = Path(__file__).parent / "thirdparty_dist"
MODULE = "veowrap_thirdparty_example"


def install_dist_info(
    site: Path, name: str, version: str, entry_points: dict[str, dict[str, str]]
) -> None:
    """Writes a minimal ``.dist-info`` that ``importlib.metadata`` reads like an installed one."""
    info = site / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    lines = []
    for group, entries in entry_points.items():
        lines.append(f"[{group}]")
        lines += [f"{key} = {value}" for key, value in entries.items()]
    (info / "entry_points.txt").write_text("\n".join(lines) + "\n")


@pytest.fixture
def thirdparty(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Installs ``thirdparty_dist`` on a temporary ``sys.path`` entry for one test."""
    project = tomllib.loads((DIST / "pyproject.toml").read_text())["project"]
    site = tmp_path / "site"
    shutil.copytree(DIST / "src" / MODULE, site / MODULE)
    install_dist_info(site, project["name"], project["version"], project["entry-points"])
    monkeypatch.syspath_prepend(str(site))
    yield site
    sys.modules.pop(MODULE, None)


def test_the_dist_declares_its_entry_point() -> None:
    project = tomllib.loads((DIST / "pyproject.toml").read_text())["project"]
    assert project["entry-points"][ENTRY_POINT_GROUP] == {"echo": f"{MODULE}:EchoBackend"}


def test_listed_without_being_imported(thirdparty: Path) -> None:
    names = available_backends()
    assert names["echo"] == f"entry point {MODULE}:EchoBackend"
    assert MODULE not in sys.modules  # listing reads metadata only


def test_loaded_lazily_by_name_with_settings(thirdparty: Path) -> None:
    assert MODULE not in sys.modules
    get_backend("fake")  # other names never import it
    assert MODULE not in sys.modules
    backend: Any = get_backend("echo", greeting="hi", region="eu")
    assert MODULE in sys.modules
    assert type(backend).__name__ == "EchoBackend"
    assert backend.greeting == "hi"
    assert backend.settings == {"region": "eu"}


def test_resolved_by_name_and_driven_by_a_generator(thirdparty: Path, tmp_path: Path) -> None:
    backend = resolve_backend("echo", require="sync")
    generator = veowrap.VideoGenerator(backend=backend)  # type: ignore[arg-type]
    result = generator.generate("a paper boat")
    [path] = result.save(tmp_path / "out/")
    assert path.read_bytes()[4:8] == b"ftyp"
    assert result.handle.model == "echo-1"


def test_sync_only_backend_is_refused_for_async(thirdparty: Path) -> None:
    with pytest.raises(veowrap.UnsupportedCapabilityError, match="VideoGenerator"):
        resolve_backend("echo", require="async")


def test_builtin_and_registered_names_win_over_entry_points(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = tmp_path / "shadow"
    install_dist_info(
        site,
        "veowrap-shadow",
        "1.0",
        {ENTRY_POINT_GROUP: {"fake": "no_such_module:X", "mine": "no_such_module:Y"}},
    )
    monkeypatch.syspath_prepend(str(site))
    assert type(get_backend("fake")).__name__ == "FakeBackend"
    register_backend("mine", lambda: get_backend("fake"))
    try:
        assert type(get_backend("mine")).__name__ == "FakeBackend"
    finally:
        unregister_backend("mine")
    assert available_backends()["fake"] == "builtin"


def test_a_broken_entry_point_is_a_configuration_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = tmp_path / "broken"
    install_dist_info(
        site, "veowrap-broken", "1.0", {ENTRY_POINT_GROUP: {"broken": "no_such_module:X"}}
    )
    monkeypatch.syspath_prepend(str(site))
    with pytest.raises(veowrap.ConfigurationError, match="could not be loaded") as caught:
        get_backend("broken")
    assert "ModuleNotFoundError" in str(caught.value)
