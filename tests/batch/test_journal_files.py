"""Journal files: a schema version with a migration, and typed errors for every unusable file."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import veowrap
from veowrap._journal import SCHEMA_VERSION, Journal
from veowrap.testing import VeoEmulator

MODEL = "veo-3.1-fast-generate-001"

# The journal as veowrap 0.x wrote it (schema version 0, no lease columns).
V0_SCHEMA = """
CREATE TABLE items (
    key TEXT PRIMARY KEY,
    position INTEGER NOT NULL,
    fingerprint TEXT NOT NULL,
    state TEXT NOT NULL CHECK (
        state IN ('pending', 'submitting', 'submitted', 'done', 'failed', 'uncertain')
    ),
    handle TEXT,
    paths TEXT,
    error TEXT,
    updated_at REAL NOT NULL
);
"""


@pytest.fixture
def emu() -> Iterator[VeoEmulator]:
    with VeoEmulator(latency=0.05) as emulator:
        yield emulator


def requests(count: int) -> list[veowrap.VideoRequest]:
    return [veowrap.VideoRequest(prompt=f"clip number {i}", model=MODEL) for i in range(count)]


def test_a_version_0_journal_is_migrated_and_resumed(emu: VeoEmulator, tmp_path: Path) -> None:
    gen = veowrap.VideoGenerator(
        client=emu.client(vertex=True), poll_schedule=veowrap.PollSchedule.fixed(0.02)
    )
    reqs = requests(3)
    keys = ["done", "submitted", "pending"]
    handle = gen.submit(reqs[1])  # paid in the "earlier run"
    path = tmp_path / "v0.sqlite"
    with sqlite3.connect(path) as db:
        db.executescript(V0_SCHEMA)
        rows = [
            ("done", 0, reqs[0].fingerprint(), "done", None, '["earlier.mp4"]', None, 1.0),
            ("submitted", 1, reqs[1].fingerprint(), "submitted", handle.to_json(), None, None, 1.0),
            ("pending", 2, reqs[2].fingerprint(), "pending", None, None, None, 1.0),
        ]
        db.executemany("INSERT INTO items VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
    items = gen.generate_all(reqs, keys=keys, journal=path)
    assert items[0].skipped and items[0].paths == (Path("earlier.mp4"),)
    assert items[1].ok and items[1].handle is not None and items[1].handle.name == handle.name
    assert items[2].ok
    assert emu.accepted_submissions == 2  # the submitted item was waited for, not re-sent
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        columns = {row[1] for row in db.execute("PRAGMA table_info(items)")}
    assert {"owner_host", "owner_pid", "lease_at", "claims"} <= columns


def newer(path: Path) -> None:
    Journal(path).close()
    with sqlite3.connect(path) as db:
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")


def garbage(path: Path) -> None:
    path.write_bytes(os.urandom(8192))


def text_file(path: Path) -> None:
    path.write_text("key,state\nboat,done\n")


def truncated(path: Path) -> None:
    journal = Journal(path)
    for i in range(200):
        journal.register(f"key-{i}", i, f"fingerprint-{i}" * 8)
    journal.close()
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2 + 100])


def corrupt(path: Path) -> None:
    journal = Journal(path)
    for i in range(200):
        journal.register(f"key-{i}", i, f"fingerprint-{i}" * 8)
    journal.close()
    data = bytearray(path.read_bytes())
    page = int.from_bytes(data[16:18], "big")
    data[page + 8 : 3 * page] = b"\xa5" * (3 * page - page - 8)  # scribble over pages 2-3
    path.write_bytes(bytes(data))


def foreign_sqlite(path: Path) -> None:
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE photos (id INTEGER PRIMARY KEY, name TEXT)")


def directory(path: Path) -> None:
    path.mkdir()


CASES: list[tuple[str, Callable[[Path], None], str]] = [
    ("newer", newer, "newer"),
    ("garbage", garbage, "not a veowrap journal"),
    ("text", text_file, "not a veowrap journal"),
    ("truncated", truncated, "damaged"),
    ("corrupt", corrupt, "damaged"),
    ("foreign-sqlite", foreign_sqlite, "not a veowrap journal"),
    ("directory", directory, "directory"),
]


@pytest.mark.parametrize(("name", "make", "words"), CASES, ids=[case[0] for case in CASES])
def test_unusable_journal_is_a_journal_error_before_anything_is_sent(
    name: str, make: Callable[[Path], None], words: str, emu: VeoEmulator, tmp_path: Path
) -> None:
    path = tmp_path / "batch.sqlite"
    make(path)
    with pytest.raises(veowrap.JournalError) as caught:
        Journal(path)
    error = caught.value
    assert error.path == str(path) and str(path) in str(error)
    assert words in error.message and error.hint
    assert not isinstance(error.__cause__, sqlite3.Error) or error.__suppress_context__
    gen = veowrap.VideoGenerator(client=emu.client(vertex=True))
    with pytest.raises(veowrap.JournalError):
        gen.generate_many(requests(2), journal=path)
    assert emu.requests == []


@pytest.fixture
def immutable(tmp_path: Path) -> Iterator[Path]:
    """A journal with the immutable attribute (what a read-only file is even for root)."""
    if shutil.which("chattr") is None:
        pytest.skip("chattr is not available")
    path = tmp_path / "batch.sqlite"
    Journal(path).close()
    if subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode != 0:
        pytest.skip("cannot set the immutable attribute here")
    yield path
    subprocess.run(["chattr", "-i", str(path)], check=False)


def test_immutable_journal_is_a_journal_error(immutable: Path) -> None:
    with pytest.raises(veowrap.JournalError, match="cannot be written") as caught:
        Journal(immutable)
    assert caught.value.hint and "chattr" in caught.value.hint


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root ignores file modes")
@pytest.mark.parametrize(("mode", "words"), [(0o444, "cannot be written"), (0o000, "cannot be")])
def test_read_only_or_unreadable_journal_is_a_journal_error(
    mode: int, words: str, tmp_path: Path
) -> None:
    path = tmp_path / "batch.sqlite"
    Journal(path).close()
    path.chmod(mode)
    try:
        with pytest.raises(veowrap.JournalError, match=words):
            Journal(path)
    finally:
        path.chmod(0o644)


def test_journal_in_a_directory_that_cannot_be_written(tmp_path: Path) -> None:
    # SQLite needs to create its -wal and -shm files beside the journal.
    folder = tmp_path / "frozen"
    folder.mkdir()
    Journal(folder / "batch.sqlite").close()
    if os.geteuid() == 0:
        if shutil.which("chattr") is None:
            pytest.skip("chattr is not available")
        if subprocess.run(["chattr", "+i", str(folder)], capture_output=True).returncode:
            pytest.skip("cannot set the immutable attribute here")
    else:
        folder.chmod(0o555)
    try:
        with pytest.raises(veowrap.JournalError, match="frozen"):
            Journal(folder / "batch.sqlite")
    finally:
        subprocess.run(["chattr", "-i", str(folder)], check=False, capture_output=True)
        folder.chmod(0o755)


def test_new_journal_gets_the_current_schema_version(tmp_path: Path) -> None:
    path = tmp_path / "new.sqlite"
    Journal(path).close()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_empty_file_is_a_new_journal(tmp_path: Path) -> None:
    path = tmp_path / "empty.sqlite"
    path.touch()
    journal = Journal(path)
    assert journal.entries() == []
