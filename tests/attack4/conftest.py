"""Round-4 attack suite: webhooks and catalog. h4.py is importable from every test here."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from veowrap.testing import WebhookSigner

sys.path.insert(0, str(Path(__file__).parent))

from h4 import KeyHost


@pytest.fixture(scope="module")
def signer() -> WebhookSigner:
    return WebhookSigner()


@pytest.fixture
def keyhost(signer: WebhookSigner) -> Iterator[KeyHost]:
    host = KeyHost(signer)
    try:
        yield host
    finally:
        host.close()
