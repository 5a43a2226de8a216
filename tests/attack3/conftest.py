"""Round-3 attack suite: h3.py is importable from every test file here."""

import sys
from pathlib import Path

import pytest

from veowrap.testing import VeoEmulator

sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture
def emu():
    with VeoEmulator(latency=0.03) as emulator:
        yield emulator
