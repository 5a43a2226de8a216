"""Every example script and notebook runs offline against the emulator and makes its videos.

Scripts run in a subprocess with their output directory as the argument; notebooks are executed
with nbclient in a temporary working directory (they write to ``out/``). Each produced MP4 is
checked with ``veowrap.testing.inspect_mp4``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbclient
import nbformat
import pytest

from veowrap.testing import inspect_mp4

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

# script -> (argument relative to the temporary directory, how many MP4s it must leave there)
SCRIPTS = {
    "offline_quickstart.py": ("boat.mp4", 1),
    "image_to_video.py": ("out", 2),
    "async_batch.py": ("out", 5),
    "resume_after_crash.py": ("out", 1),
    "testing_with_fake.py": ("out", 1),
    "webhooks_fastapi.py": ("out", 1),
}
# notebook -> how many MP4s it must leave under out/
NOTEBOOKS = {
    "quickstart.ipynb": 2,
    "batch.ipynb": 2,
}


def _clean_env() -> dict[str, str]:
    """The caller's environment without Google settings, so no example can reach a real API."""
    prefixes = ("GOOGLE_", "GEMINI_")
    return {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}


def _check_videos(root: Path, expected: int) -> None:
    videos = sorted(root.rglob("*.mp4"))
    assert len(videos) == expected, videos
    for video in videos:
        info = inspect_mp4(video)
        assert info.codec == "avc1" and info.width > 0 and info.duration_s > 0, (video, info)


def test_every_example_is_tested() -> None:
    assert sorted(p.name for p in EXAMPLES.glob("*.py")) == sorted(SCRIPTS)
    assert sorted(p.name for p in EXAMPLES.glob("*.ipynb")) == sorted(NOTEBOOKS)


@pytest.mark.parametrize("script", sorted(SCRIPTS))
def test_script_runs_offline(script: str, tmp_path: Path) -> None:
    argument, expected = SCRIPTS[script]
    completed = subprocess.run(
        [sys.executable, str(EXAMPLES / script), str(tmp_path / argument)],
        cwd=tmp_path,
        env=_clean_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "saved" in completed.stdout or "ok" in completed.stdout
    _check_videos(tmp_path, expected)


@pytest.mark.parametrize("notebook", sorted(NOTEBOOKS))
def test_notebook_runs_offline(notebook: str, tmp_path: Path) -> None:
    shutil.copy(EXAMPLES / notebook, tmp_path / notebook)
    book = nbformat.read(tmp_path / notebook, as_version=4)
    client = nbclient.NotebookClient(
        book,
        timeout=120,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
    )
    client.execute(env=_clean_env())  # passed on to the kernel process
    _check_videos(tmp_path / "out", NOTEBOOKS[notebook])


@pytest.mark.parametrize("notebook", sorted(NOTEBOOKS))
def test_notebook_is_committed_without_outputs(notebook: str) -> None:
    book = nbformat.read(EXAMPLES / notebook, as_version=4)
    nbformat.validate(book)
    for cell in book.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, cell.source[:60]
