"""P2: never leave or bless a broken file; never overwrite silently (round 3).

New angles: overwrite=True over the user's file while the download trickles, is cut, or is
cancelled; overwrite=True onto a symlink; a result naming 1,000 videos saved under a deadline;
the CLI writing to a FIFO or a character device.
"""

from __future__ import annotations

import asyncio
import os
import stat
import time
from pathlib import Path

import pytest
from h3 import MODEL, MP4, Hostile, Reply, cli, done_gcs, timed, vertex_route, vgen

import veowrap
from veowrap.testing import Fault, inspect_mp4

USER = b"USER DATA, NOT A VIDEO " * 500


def _only_whole_videos(directory, allow=()):
    for entry in directory.iterdir():
        if entry.name in allow:
            continue
        assert not entry.name.startswith("."), f"leftover {entry.name}"
        assert inspect_mp4(entry).codec, entry


@pytest.mark.parametrize(
    "fault",
    [
        Fault.trickle_body(0.05, 500),
        Fault.cut_short(300),
        Fault.http(503),
        Fault.wrong_content("html"),
    ],
    ids=["trickle", "cut", "503", "html"],
)
def test_overwrite_true_keeps_users_file_when_download_fails(emu, tmp_path, fault):
    gen = emu.generator(vertex=True, model=MODEL)
    result = gen.generate("a", output_gcs_uri="gs://b/o/")
    dest = tmp_path / "mine.mp4"
    dest.write_bytes(USER)
    emu.inject("gcs_download", fault, times=20)
    out, elapsed = timed(lambda: result.save(dest, timeout=0.8, overwrite=True))
    assert isinstance(out, veowrap.DownloadError), repr(out)
    assert elapsed < 1.8
    assert dest.read_bytes() == USER
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine.mp4"]


def test_cancelled_save_async_with_overwrite_keeps_users_file(emu, tmp_path):
    agen = emu.async_generator(vertex=True, model=MODEL)
    dest = tmp_path / "mine.mp4"
    dest.write_bytes(USER)

    async def main():
        result = await agen.generate("a", output_gcs_uri="gs://b/o/")
        emu.inject("gcs_download", Fault.trickle_body(0.02, 2000), times=5)
        task = asyncio.create_task(result.save_async(dest, overwrite=True, timeout=10))
        await asyncio.sleep(0.3)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())
    assert dest.read_bytes() == USER
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine.mp4"]


def test_overwrite_true_onto_a_symlink_never_writes_through(emu, tmp_path):
    gen = emu.generator(vertex=True, model=MODEL)
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    link = tmp_path / "link.mp4"
    link.symlink_to(victim)
    result = gen.generate("b")
    out, _ = timed(lambda: result.save(link, overwrite=True))
    assert victim.read_text() == "precious"
    if not isinstance(out, BaseException):
        assert not link.is_symlink()
        assert inspect_mp4(link).codec
    else:
        assert isinstance(out, veowrap.VeowrapError)


def test_overwrite_true_onto_a_nonempty_directory_keeps_its_files(emu, tmp_path):
    gen = emu.generator(vertex=True, model=MODEL)
    target = tmp_path / "clip.mp4"
    target.mkdir()
    (target / "keep.txt").write_text("k")
    result = gen.generate("b")
    out, _ = timed(lambda: result.save(target, overwrite=True))
    assert (target / "keep.txt").read_text() == "k"
    assert isinstance(out, (list, veowrap.VeowrapError)), repr(out)


def test_a_thousand_videos_saved_under_a_deadline(tmp_path):
    """1,000 videos announced, each served slowly: save(timeout=1) returns on time."""

    def slow(server, req, raw):
        time.sleep(0.05)
        return Reply(200, MP4, {"content-type": "video/mp4"})

    uris = [f"gs://b/o/v{i}.mp4" for i in range(1000)]
    route = vertex_route(
        poll=lambda s, r: Reply(200, done_gcs(r.json()["operationName"], uris)), download=slow
    )
    with Hostile(route) as server:
        result = vgen(server).generate("a", timeout=3, output_gcs_uri="gs://b/o/")
        out, elapsed = timed(lambda: result.save(tmp_path, timeout=1.0))
    assert elapsed < 2.0
    assert isinstance(out, (list, veowrap.DownloadError)), repr(out)
    _only_whole_videos(tmp_path)


def test_inline_video_list_of_garbage_saves_nothing(tmp_path):
    """200 inline 'videos' that are not MP4s: typed error, nothing blessed as a video."""
    import base64

    junk = [b"<html>nope</html>", b"\x00" * 64, b"ftyp" * 10, MP4[: len(MP4) // 2]] * 50

    def poll(server, req):
        name = req.json()["operationName"]
        return Reply(
            200,
            {
                "name": name,
                "done": True,
                "response": {
                    "videos": [
                        {
                            "bytesBase64Encoded": base64.b64encode(j).decode(),
                            "mimeType": "video/mp4",
                        }
                        for j in junk
                    ]
                },
            },
        )

    with Hostile(vertex_route(poll=poll)) as server:
        out, _ = timed(lambda: vgen(server).generate("a", timeout=3))
        if isinstance(out, veowrap.GenerationResult):
            out, _ = timed(lambda: out.save(tmp_path, timeout=3))
    assert isinstance(out, veowrap.VeowrapError), repr(out)
    _only_whole_videos(tmp_path)


# -- the CLI onto special files -----------------------------------------------------------------


def test_cli_output_is_a_fifo(emu, tmp_path):
    fifo = tmp_path / "clip.mp4"
    os.mkfifo(fifo)
    done = cli("generate", "--emulator", emu.base_url, "-m", MODEL, "x", "-o", str(fifo))
    assert done.returncode == 7, done.stderr
    assert emu.accepted_submissions == 0
    done = cli(
        "generate",
        "--emulator",
        emu.base_url,
        "-m",
        MODEL,
        "x",
        "-o",
        str(fifo),
        "--overwrite",
        "--poll-interval",
        "0.05",
    )
    assert done.returncode in (0, 7), done.stderr
    assert "bug" not in done.stderr.lower()
    assert emu.accepted_submissions <= 1


def test_cli_output_is_a_character_device(emu, tmp_path):
    if os.geteuid() == 0:
        # Root could replace /dev/full itself: use a twin of it where nothing else looks.
        full = tmp_path / "full"
        os.mknod(full, stat.S_IFCHR | 0o666, os.makedev(1, 7))
    else:
        full = Path("/dev/full")
    for extra in ([], ["--overwrite"]):
        done = cli(
            "generate", "--emulator", emu.base_url, "-m", MODEL, "x", "-o", str(full), *extra
        )
        assert done.returncode == 7, done.stderr
        assert "bug" not in done.stderr.lower()
    assert emu.accepted_submissions == 0
    assert stat.S_ISCHR(os.lstat(full).st_mode)
