"""Real payloads Google's services answered, collected from public sources.

Each ``*.json`` file holds one answer and where it came from:

* ``source``: the public page (a Google notebook's stored output or an issue thread);
* ``where``: the place on that page; ``captured_by``: who ran the call;
* ``platform``, ``call``, ``http_status``, ``situation``: what the answer is to;
* ``edits``: every change made to what the source shows (``"none"`` when copied as is);
* ``compare``: ``"exact"`` when the payload is whole, ``"subset"`` when its author abbreviated
  it (then only the fields it shows are compared);
* ``part`` (optional): which field of the full answer the payload is, when the source printed
  only that field; ``query`` (optional): the query string of the matching emulator call;
* ``payload``: the answer's JSON body.

Nothing here is invented: a payload no public source shows is not a fixture.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent


def load(name: str) -> dict[str, Any]:
    """One fixture by file name without ``.json``."""
    data: dict[str, Any] = json.loads((HERE / f"{name}.json").read_text(encoding="utf-8"))
    return data


def names() -> list[str]:
    """Every fixture's name."""
    return sorted(path.stem for path in HERE.glob("*.json"))
