"""Helpers of attack round 5."""

from __future__ import annotations

import collections
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import psycopg

from veowrap.testing import VeoEmulator

WORKER = Path(__file__).with_name("_worker5.py")
MODEL = "veo-3.1-generate-001"
SECRET = "S3CRETpw-Zq9"


def spawn(emu: VeoEmulator, dsn: str, **config: Any) -> subprocess.Popen[str]:
    settings = {"base_url": emu.base_url, "token": emu.token, "model": MODEL, "journal": dsn}
    return subprocess.Popen(
        [sys.executable, str(WORKER), json.dumps({**settings, **config})],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )


def finish(worker: subprocess.Popen[str], timeout: float = 90) -> list[dict[str, Any]]:
    out, err = worker.communicate(timeout=timeout)
    assert worker.returncode == 0, err[-3000:]
    lines = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    assert lines and lines[-1] == {"end": True}, out[-2000:]
    return lines[:-1]


def creates_per_prompt(emu: VeoEmulator) -> collections.Counter[str]:
    return collections.Counter(
        r.body["instances"][0]["prompt"]  # type: ignore[index]
        for r in emu.requests
        if r.endpoint == "create"
    )


def rows(dsn: str, batch: str = "default") -> dict[str, tuple[str, str | None]]:
    """key -> (state, handle) of one batch (empty before the schema exists)."""
    with psycopg.connect(dsn) as db:
        try:
            found = db.execute(
                "SELECT key, state, handle FROM veowrap_items WHERE batch = %s", (batch,)
            ).fetchall()
        except psycopg.errors.UndefinedTable:
            return {}
    return {str(k): (str(s), h) for k, s, h in found}


def states(dsn: str, batch: str = "default") -> dict[str, str]:
    return {k: s for k, (s, _) in rows(dsn, batch).items()}


def sql(dsn: str, statement: str, *params: Any) -> None:
    with psycopg.connect(dsn, autocommit=True) as db:
        db.execute(statement, params)  # type: ignore[arg-type]


def wait_for(check: Any, what: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, what
        time.sleep(0.01)


def with_password(dsn: str) -> str:
    """The same database, with a password in the URL (the test server trusts every login)."""
    return dsn.replace("postgresql://veowrap@", f"postgresql://veowrap:{SECRET}@", 1)
