"""The site's Python examples fit the page at 1280 px and are valid Python.

Material for MkDocs shows about 88 characters of code beside both sidebars at 1280 px; longer
lines scrolled sideways. Command output and JSON wrap instead (docs/stylesheets/code.css).
"""

from __future__ import annotations

import ast
import re
import textwrap
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[2] / "docs"
WIDTH = 88
FENCE = re.compile(r"^(?P<indent> *)```(?P<lang>[\w-]*)")


def _python_blocks() -> list[tuple[str, int, str]]:
    blocks: list[tuple[str, int, str]] = []
    for page in sorted(DOCS.rglob("*.md")):
        lines = page.read_text(encoding="utf-8").splitlines()
        start: int | None = None
        lang = ""
        for number, line in enumerate(lines, 1):
            fence = FENCE.match(line)
            if fence is None:
                continue
            if start is None:
                start, lang = number, fence["lang"]
            else:
                if lang in ("python", "py"):
                    body = textwrap.dedent("\n".join(lines[start : number - 1]))
                    blocks.append((str(page.relative_to(DOCS)), start, body))
                start = None
    return blocks


BLOCKS = _python_blocks()


def test_the_docs_have_python_examples() -> None:
    assert len(BLOCKS) > 20


@pytest.mark.parametrize(("page", "line", "body"), BLOCKS, ids=[f"{p}:{n}" for p, n, _ in BLOCKS])
def test_python_example_fits_and_parses(page: str, line: int, body: str) -> None:
    long = [text for text in body.splitlines() if len(text) > WIDTH]
    assert not long, f"{page}:{line}: lines over {WIDTH} characters: {long}"
    if not body.lstrip().startswith(">>>"):
        ast.parse(body)
