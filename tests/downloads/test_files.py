"""`_files`: temporary names within NAME_MAX, stale partial files swept, no-clobber placement,
and the atomic bytes writer."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
import threading
import time
import types
from pathlib import Path
from typing import Any

import pytest

import veowrap._files as files
from veowrap._files import (
    TEMP_MARK,
    PartialFile,
    PartialFileDiscarded,
    file_stem,
    indexed_path,
    sweep_stale_partials,
    temporary_name,
    video_file_name,
    write_bytes_atomically,
)

# -- names ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("operation", "index", "expected"),
    [
        ("projects/p/locations/l/operations/abc123", 0, "abc123.mp4"),
        ("projects/p/locations/l/operations/abc123", 2, "abc123-2.mp4"),
        ("models/m/operations/../../etc", 0, "etc.mp4"),
        ("interactions/..", 0, "video.mp4"),
        ("a b/c d", 1, "c-d-1.mp4"),
    ],
)
def test_video_file_names(operation: str, index: int, expected: str) -> None:
    assert video_file_name(operation, index) == expected


def test_long_stems_keep_a_digest() -> None:
    one, two = file_stem("x" * 300), file_stem("x" * 299 + "y")
    assert len(one) == 100 and one != two


@pytest.mark.parametrize(
    ("path", "index", "expected"),
    [("out/x.mp4", 0, "out/x.mp4"), ("out/x.mp4", 1, "out/x-1.mp4"), ("x.mov", 3, "x-3.mov")],
)
def test_indexed_paths(path: str, index: int, expected: str) -> None:
    assert indexed_path(Path(path), index) == Path(expected)


@pytest.mark.parametrize(
    "name",
    ["v.mp4", "a" * 240 + ".mp4", "é" * 125 + ".mp4", "🎬" * 62 + ".mp4", "b" * 255],
    ids=["short", "244-bytes", "250-bytes-accented", "252-bytes-emoji", "255-bytes"],
)
def test_temporary_names_fit_in_name_max(name: str) -> None:
    assert len(name.encode()) <= 255
    temporary = temporary_name(name)
    assert len(temporary.encode()) <= 255
    assert temporary.startswith(".") and TEMP_MARK in temporary
    assert f"{TEMP_MARK}{os.getpid()}-" in temporary
    assert temporary != temporary_name(name)  # random part


def test_a_244_byte_file_name_can_be_saved(tmp_path: Path) -> None:
    # Used to fail: the temporary name added 26 bytes and went past NAME_MAX.
    target = tmp_path / ("a" * 240 + ".mp4")
    write_bytes_atomically(target, b"data")
    assert target.read_bytes() == b"data"
    assert [p.name for p in tmp_path.iterdir()] == [target.name]


# -- stale partial files -------------------------------------------------------------------


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def _partial(directory: Path, name: str, pid: int, host: str | None = None) -> Path:
    host = host or files._host_tag()
    path = directory / f".{name}{TEMP_MARK}{pid}-{host}-0123abcd"
    path.write_bytes(b"partial")
    return path


def test_sweep_removes_only_veowraps_stale_partial_files(tmp_path: Path) -> None:
    dead = _partial(tmp_path, "a.mp4", _dead_pid())
    mine = _partial(tmp_path, "b.mp4", os.getpid())  # this process: maybe in progress
    alive = _partial(tmp_path, "c.mp4", os.getppid())
    other_host = _partial(tmp_path, "d.mp4", _dead_pid(), host="ffffffff")
    old_other_host = _partial(tmp_path, "e.mp4", 12345, host="eeeeeeee")
    ancient = time.time() - files.STALE_AFTER - 60
    os.utime(old_other_host, (ancient, ancient))
    legacy_old = tmp_path / ".f.mp4.veowrap-partial-89abcdef"
    legacy_old.write_bytes(b"x")
    os.utime(legacy_old, (ancient, ancient))
    legacy_new = tmp_path / ".g.mp4.veowrap-partial-89abcdef"
    legacy_new.write_bytes(b"x")
    users = [tmp_path / "video.mp4", tmp_path / ".hidden", tmp_path / "x.veowrap-partial-1-2-3"]
    for path in users:
        path.write_bytes(b"keep")
    os.utime(users[0], (ancient, ancient))
    (tmp_path / f".dir{TEMP_MARK}1-{files._host_tag()}-0123abcd").mkdir()

    removed = sweep_stale_partials(tmp_path)
    assert sorted(removed) == sorted([dead.name, old_other_host.name, legacy_old.name])
    for path in [mine, alive, other_host, legacy_new, *users]:
        assert path.exists(), path.name
    assert sweep_stale_partials(tmp_path) == []  # once per directory per process


def test_a_save_after_kill_9_cleans_up(tmp_path: Path) -> None:
    script = (
        "import sys, time, pathlib, veowrap._files as f\n"
        "p = f.PartialFile(pathlib.Path(sys.argv[1]))\n"
        "p.write(b'half a video'); p.sync()\n"
        "print('ready', flush=True); time.sleep(60)\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    child = subprocess.Popen(
        [sys.executable, "-c", script, str(tmp_path / "v.mp4")],
        stdout=subprocess.PIPE,
        env=env,
    )
    assert child.stdout is not None and child.stdout.readline().strip() == b"ready"
    child.kill()  # SIGKILL: nothing of the child's runs any more
    child.wait()
    [left] = list(tmp_path.iterdir())
    assert TEMP_MARK in left.name and f"-{child.pid}-" in left.name
    write_bytes_atomically(tmp_path / "next.bin", b"x")  # the next save into the directory
    sweep_stale_partials(tmp_path)  # (write_bytes_atomically does not sweep; saves do)
    assert [p.name for p in tmp_path.iterdir()] == ["next.bin"]


# -- placement -----------------------------------------------------------------------------


def _os_with(**overrides: Any) -> Any:
    namespace = types.SimpleNamespace(**{k: getattr(os, k) for k in dir(os) if k[0] != "_"})
    for name, replacement in overrides.items():
        setattr(namespace, name, replacement)
    return namespace


def _fail(code: int) -> Any:
    def fail(*args: Any, **kwargs: Any) -> Any:
        raise OSError(code, os.strerror(code))

    return fail


@pytest.mark.parametrize("links", ["hard-links", "no-hard-links"])
def test_no_clobber_placement(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, links: str) -> None:
    if links == "no-hard-links":
        monkeypatch.setattr(files, "os", _os_with(link=_fail(errno.EPERM)))
    target = tmp_path / "v.mp4"
    write_bytes_atomically(target, b"first", overwrite=False)
    assert target.read_bytes() == b"first"
    with pytest.raises(FileExistsError):
        write_bytes_atomically(target, b"second", overwrite=False)
    assert target.read_bytes() == b"first"
    write_bytes_atomically(target, b"third", overwrite=True)
    assert target.read_bytes() == b"third"
    assert [p.name for p in tmp_path.iterdir()] == ["v.mp4"]


def test_a_file_appearing_during_the_write_is_not_replaced(tmp_path: Path) -> None:
    target = tmp_path / "v.mp4"
    partial = PartialFile(target)
    partial.write(b"video")
    partial.sync()
    target.write_bytes(b"the user's own file")  # created meanwhile
    with pytest.raises(FileExistsError):
        partial.commit(overwrite=False)
    partial.discard()
    assert target.read_bytes() == b"the user's own file"
    assert [p.name for p in tmp_path.iterdir()] == ["v.mp4"]


def test_link_errors_other_than_unsupported_are_raised(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(files, "os", _os_with(link=_fail(errno.EACCES)))
    with pytest.raises(PermissionError):
        write_bytes_atomically(tmp_path / "v.mp4", b"x", overwrite=False)
    monkeypatch.undo()
    assert list(tmp_path.iterdir()) == []


def test_commit_and_discard_exclude_each_other(tmp_path: Path) -> None:
    target = tmp_path / "v.mp4"
    first = PartialFile(target)
    assert first.discard() is True
    with pytest.raises(PartialFileDiscarded):
        first.commit(overwrite=False)
    assert not target.exists()
    second = PartialFile(target)
    second.commit(overwrite=False)
    assert second.discard() is False  # committed: the file stays
    assert target.exists()
    third = PartialFile(tmp_path / "w.mp4")
    with pytest.raises(PartialFileDiscarded):
        third.commit(overwrite=False, allowed=lambda: False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["v.mp4"]


def test_commit_racing_discard_never_leaves_a_file_after_discard_won(tmp_path: Path) -> None:
    for attempt in range(200):
        target = tmp_path / f"v{attempt}.mp4"
        partial = PartialFile(target)
        outcome: list[bool] = []
        committer = threading.Thread(target=_try_commit, args=(partial, outcome))
        committer.start()
        discarded = partial.discard()
        committer.join()
        assert target.exists() is (not discarded)
        assert outcome == [not discarded]
    assert not [p for p in tmp_path.iterdir() if TEMP_MARK in p.name]


def _try_commit(partial: PartialFile, outcome: list[bool]) -> None:
    try:
        partial.commit(overwrite=False)
    except PartialFileDiscarded:
        outcome.append(False)
    else:
        outcome.append(True)


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o077, 0o600)])
def test_write_bytes_atomically_honours_the_umask_and_mode(
    tmp_path: Path, umask: int, mode: int
) -> None:
    previous = os.umask(umask)
    try:
        default = write_bytes_atomically(tmp_path / "a" / "h.json", b"{}")
        private = write_bytes_atomically(tmp_path / "p.json", b"{}", mode=0o600)
    finally:
        os.umask(previous)
    assert default.stat().st_mode & 0o777 == mode
    assert private.stat().st_mode & 0o777 == 0o600


def test_write_bytes_atomically_leaves_nothing_when_the_disk_is_full(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "h.json"
    target.write_bytes(b"old")
    monkeypatch.setattr(files, "os", _os_with(fsync=_fail(errno.ENOSPC)))
    with pytest.raises(OSError, match="No space"):
        write_bytes_atomically(target, b"new")
    monkeypatch.undo()
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["h.json"]
