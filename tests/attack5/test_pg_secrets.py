"""Attack: the password of a postgresql:// journal URL must never be shown (promise 3)."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import traceback
from pathlib import Path

import pytest

import veowrap
from veowrap.testing import VeoEmulator

from .h5 import SECRET, with_password

# URLs libpq cannot parse: its error message quotes the URL, or the token around the password.
UNPARSABLE = {
    "ipv6-bracket": f"postgresql://u:{SECRET}@[::1/db",
    "percent-escape": f"postgresql://u:{SECRET}%ZZ@localhost/db",
}
# URLs libpq parses, on a server that is not there.
UNREACHABLE = {
    "refused-port": f"postgresql://u:{SECRET}@127.0.0.1:1/db",
    "bad-sslmode": f"postgresql://u:{SECRET}@localhost/db?sslmode=bogus",
    "bad-query": f"postgresql://u:{SECRET}@localhost/db?bogus=1",
    "no-socket": f"postgresql://u:{SECRET}@/db?host=/nonexistent",
    "password-param": f"postgresql://u@/db?host=/nonexistent&password={SECRET}",
}


def _everything(error: BaseException) -> str:
    parts = [repr(error), str(error), "".join(traceback.format_exception(error))]
    for name in ("hint", "path"):
        parts.append(str(getattr(error, name, "")))
    seen = error.__context__
    while seen is not None:  # what a debugger or `raise ... from` chain could show
        parts.append(repr(seen))
        seen = seen.__context__
    return "\n".join(parts)


def _refused(dsn: str) -> veowrap.JournalError:
    with VeoEmulator() as emu:
        gen = veowrap.VideoGenerator(client=emu.client(vertex=True))
        with pytest.raises(veowrap.JournalError) as caught:
            gen.generate_many(["a boat"], journal=dsn, batch="b", requests_per_minute=60)
        assert emu.accepted_submissions == 0
    return caught.value


@pytest.mark.parametrize("dsn", UNREACHABLE.values(), ids=list(UNREACHABLE))
def test_unreachable_journal_error_hides_password(dsn: str) -> None:
    assert SECRET not in _everything(_refused(dsn))


@pytest.mark.parametrize("dsn", UNPARSABLE.values(), ids=list(UNPARSABLE))
def test_unparsable_journal_url_error_hides_password(dsn: str) -> None:
    assert SECRET not in str(_refused(dsn))


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "veowrap.cli", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path), "NO_COLOR": "1"},
    )


@pytest.mark.parametrize("dsn", UNPARSABLE.values(), ids=list(UNPARSABLE))
def test_cli_batch_status_unparsable_url_hides_password(dsn: str) -> None:
    done = _cli("batch", "status", "--journal", dsn, "--batch", "b")
    assert done.returncode == 7
    assert SECRET not in done.stdout + done.stderr


def test_cli_batch_unparsable_url_hides_password(tmp_path: Path) -> None:
    jobs = tmp_path / "jobs.jsonl"
    jobs.write_text('{"prompt": "a boat", "key": "k1"}\n')
    done = _cli(
        "batch", str(jobs), "-o", str(tmp_path / "out"), "--offline",
        "--journal", UNPARSABLE["percent-escape"], "--batch", "b",
    )  # fmt: skip
    assert done.returncode == 7
    assert SECRET not in done.stdout + done.stderr


def test_working_journal_with_password_never_shows_it(
    dsn: str, emu: VeoEmulator, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A real run with a password in the URL: reprs, items, events, logs, status output."""
    secret_dsn = with_password(dsn)
    events: list[object] = []
    gen = veowrap.VideoGenerator(
        client=emu.client(vertex=True), poll_schedule=veowrap.PollSchedule.fixed(0.02)
    )
    caplog.set_level(logging.DEBUG)
    journal = veowrap.PostgresJournal(secret_dsn, batch="secrets")
    items = list(
        gen.generate_many(
            ["a boat", "a kite"], journal=journal, requests_per_minute=6000,
            on_event=events.append, output_dir=tmp_path / "out",
        )
    )  # fmt: skip
    assert all(item.ok for item in items)
    shown = [repr(journal), str(journal.path), caplog.text]
    shown += [repr(item) for item in items] + [repr(e) for e in events]
    shown += [repr(entry) for entry in journal.entries()]
    journal.close()
    # A closed journal's error, and the "newer schema" error, name the journal too.
    with pytest.raises(veowrap.JournalError) as closed:
        journal.entries()
    shown.append(_everything(closed.value))
    status = _cli("batch", "status", "--journal", secret_dsn, "--batch", "secrets", "--json")
    shown += [status.stdout, status.stderr]
    assert status.returncode == 0, status.stderr
    assert not [text for text in shown if SECRET in text]


def test_newer_schema_error_hides_password(dsn: str, emu: VeoEmulator) -> None:
    from .h5 import sql

    veowrap.PostgresJournal(dsn, batch="x").close()
    sql(dsn, "UPDATE veowrap_schema SET version = version + 5")
    gen = veowrap.VideoGenerator(client=emu.client(vertex=True))
    with pytest.raises(veowrap.JournalError) as caught:
        gen.generate_many(["a"], journal=with_password(dsn), batch="x", requests_per_minute=60)
    assert "newer veowrap" in str(caught.value)
    assert SECRET not in _everything(caught.value)
    assert emu.accepted_submissions == 0
    status = _cli("batch", "status", "--journal", with_password(dsn), "--batch", "x")
    assert status.returncode == 7
    assert SECRET not in status.stdout + status.stderr
