"""MkDocs hooks for the veowrap site (configured in mkdocs.yml, not part of the package)."""

from __future__ import annotations

import re
from typing import Any

# veowrap's docstrings use Sphinx roles (":class:`X`") for readers of help() and IDEs; the
# Google-style renderer shows them literally. Drop the role and keep the code span.
_ROLE = re.compile(r":(?:class|func|meth|mod|attr|exc|data|obj):(?=<code>)")


def on_page_content(html: str, **kwargs: Any) -> str:
    return _ROLE.sub("", html)
