"""Promise 2: nothing the user already has is overwritten silently."""

from __future__ import annotations

import base64
import os
import socket
import threading
import time

import a2
import pytest
from a2 import MP4, Hostile, Request, send

import veowrap
from veowrap.testing import Fault, VeoEmulator
from veowrap.testing._assets import asset_bytes

MODEL = "veo-3.1-generate-001"
OTHER_MP4 = asset_bytes("9:16", 8)


def _gen(emu: VeoEmulator, **kw):
    client = emu.client(vertex=True)
    gen = veowrap.VideoGenerator(
        client=client,
        poll_schedule=veowrap.PollSchedule.fixed(0.02),
        retry_policy=veowrap.RetryPolicy(attempts=2, initial_delay=0.01),
        **kw,
    )
    gen._keep_client = client  # type: ignore[attr-defined]
    return gen


def _result(emu: VeoEmulator, **kw):
    gen = _gen(emu)
    kw.setdefault("output_gcs_uri", "gs://bucket/out/")
    return gen, gen.generate("a cat", model=MODEL, timeout=5, **kw)


def _downloads(emu: VeoEmulator) -> int:
    return sum(1 for r in emu.requests if r.endpoint == "gcs_download")


@pytest.fixture
def emu():
    with VeoEmulator(latency=0.05) as emulator:
        yield emulator


def test_existing_file_refused_before_download(emu, tmp_path):
    _, res = _result(emu)
    dest = tmp_path / "v.mp4"
    dest.write_bytes(b"mine")
    with pytest.raises(veowrap.DestinationExistsError):
        res.save(dest)
    with pytest.raises(veowrap.DestinationExistsError):
        res.videos[0].save(dest)
    assert dest.read_bytes() == b"mine"
    assert _downloads(emu) == 0


def test_file_created_during_download_is_not_replaced(emu, tmp_path):
    _, res = _result(emu)
    emu.inject("gcs_download", Fault.slow(30_000))
    dest = tmp_path / "v.mp4"
    errors: list[BaseException] = []

    def run() -> None:
        try:
            res.videos[0].save(dest, timeout=6)
        except BaseException as error:
            errors.append(error)

    thread = threading.Thread(target=run)
    thread.start()
    end = time.monotonic() + 5
    while not any(".veowrap-partial-" in n for n in a2.all_files(tmp_path)):
        assert time.monotonic() < end
        time.sleep(0.01)
    dest.write_bytes(b"user wrote this meanwhile")
    thread.join(8)
    assert errors and isinstance(errors[0], veowrap.DestinationExistsError), errors
    assert dest.read_bytes() == b"user wrote this meanwhile"
    assert a2.all_files(tmp_path) == ["v.mp4"]


def test_symlink_created_during_download_is_not_followed_or_replaced(emu, tmp_path):
    _, res = _result(emu)
    emu.inject("gcs_download", Fault.slow(30_000))
    user = tmp_path / "precious.bin"
    user.write_bytes(b"precious")
    dest = tmp_path / "v.mp4"
    errors: list[BaseException] = []
    thread = threading.Thread(
        target=lambda: _catch(errors, lambda: res.videos[0].save(dest, timeout=6))
    )
    thread.start()
    time.sleep(0.3)
    dest.symlink_to(user)
    thread.join(8)
    assert errors and isinstance(errors[0], veowrap.DestinationExistsError), errors
    assert dest.is_symlink() and user.read_bytes() == b"precious"


def _catch(errors: list[BaseException], fn) -> None:
    try:
        fn()
    except BaseException as error:
        errors.append(error)


def test_several_videos_to_file_name_with_second_name_taken(emu, tmp_path):
    _, res = _result(emu, number_of_videos=3)
    assert len(res.videos) == 3
    (tmp_path / "x-2.mp4").write_bytes(b"mine")
    with pytest.raises(veowrap.DestinationExistsError):
        res.save(tmp_path / "x.mp4")
    assert a2.all_files(tmp_path) == ["x-2.mp4"]
    assert (tmp_path / "x-2.mp4").read_bytes() == b"mine"
    assert _downloads(emu) == 0
    paths = res.save(tmp_path / "y.mp4")
    assert [p.name for p in paths] == ["y.mp4", "y-1.mp4", "y-2.mp4"]


def test_several_videos_into_directory_with_taken_name(emu, tmp_path):
    _, res = _result(emu, number_of_videos=2)
    out = tmp_path / "out"
    out.mkdir()
    first = res.save(out)
    with pytest.raises(veowrap.DestinationExistsError):
        res.save(out)
    assert sorted(p.name for p in first) == a2.all_files(out)


@pytest.mark.parametrize(
    "name",
    ["vid\neo.mp4", "vídéo-ü.mp4", "tab\tname.mp4", " lead space.mp4", "a" * 251 + ".mp4"],
    ids=["newline", "unicode", "tab", "space", "255_bytes"],
)
def test_odd_names_saved_exactly_or_refused(emu, tmp_path, name):
    _, res = _result(emu)
    path = res.videos[0].save(tmp_path / name)
    assert path.name == name
    assert a2.all_files(tmp_path) == [name]


def test_too_long_name_refused_before_download(emu, tmp_path):
    _, res = _result(emu)
    with pytest.raises(veowrap.VeowrapError):
        res.videos[0].save(tmp_path / ("é" * 200 + ".mp4"))
    assert a2.all_files(tmp_path) == []
    assert _downloads(emu) == 0


def test_directory_at_destination_refused(emu, tmp_path):
    _, res = _result(emu)
    (tmp_path / "v.mp4").mkdir()
    (tmp_path / "v.mp4" / "keep").write_text("x")
    # A directory is a place to save into, by the documented rule; the user's content stays.
    path = res.videos[0].save(tmp_path / "v.mp4")
    assert path.parent == tmp_path / "v.mp4"
    assert (tmp_path / "v.mp4" / "keep").read_text() == "x"


def test_parent_is_a_file(emu, tmp_path):
    _, res = _result(emu)
    (tmp_path / "f").write_text("mine")
    with pytest.raises(veowrap.VeowrapError) as info:
        res.save(tmp_path / "f" / "v.mp4")
    assert isinstance(info.value, veowrap.DestinationError | veowrap.DownloadError)
    assert (tmp_path / "f").read_text() == "mine"


def test_hard_link_destination_not_written_through(emu, tmp_path):
    _, res = _result(emu)
    user = tmp_path / "user.bin"
    user.write_bytes(b"precious")
    os.link(user, tmp_path / "v.mp4")
    res.videos[0].save(tmp_path / "v.mp4", overwrite=True)
    assert user.read_bytes() == b"precious"


# -- batch names -----------------------------------------------------------------------------------


def _batch(gen, requests, tmp_path, **kw):
    kw.setdefault("output_dir", tmp_path / "out")
    kw.setdefault("journal", tmp_path / "run.sqlite")
    kw.setdefault("concurrency", 4)
    return list(gen.generate_many(requests, **kw))


def test_batch_keys_that_sanitise_alike_get_distinct_files(emu, tmp_path):
    keys = ["a/b", "a b", "A-B", "a-b", "a\nb", "a..b", ".a-b", "ａ-ｂ", "a-b " * 40, "a-b " * 41]
    gen = _gen(emu)
    items = _batch(gen, [f"prompt {i}" for i in range(len(keys))], tmp_path, keys=keys)
    assert all(item.ok for item in items), [i.error for i in items if not i.ok]
    paths = [p for item in items for p in item.paths]
    assert len({str(p).lower() for p in paths}) == len(keys)
    assert len(a2.all_files(tmp_path / "out")) == len(keys)


def test_batch_does_not_replace_user_file_with_expected_name(emu, tmp_path):
    gen = _gen(emu)
    out = tmp_path / "out"
    out.mkdir()
    (out / "k.mp4").write_bytes(b"user file")
    items = _batch(gen, ["a cat"], tmp_path, keys=["k"])
    assert (out / "k.mp4").read_bytes() == b"user file"
    assert not items[0].ok
    assert isinstance(items[0].error, veowrap.DestinationExistsError)


def test_batch_rerun_keeps_user_edited_output(emu, tmp_path):
    gen = _gen(emu)
    items = _batch(gen, ["a cat", "a dog"], tmp_path, keys=["c", "d"])
    assert all(i.ok for i in items)
    (tmp_path / "out" / "c.mp4").write_bytes(b"edited by user")
    paid = emu.accepted_submissions
    again = _batch(gen, ["a cat", "a dog"], tmp_path, keys=["c", "d"])
    assert emu.accepted_submissions == paid
    assert all(i.ok and i.skipped for i in again)
    assert (tmp_path / "out" / "c.mp4").read_bytes() == b"edited by user"


def _two_video_server() -> Hostile:
    """Answers every create with two *different* inline videos, whatever was asked for."""
    vids = [
        {"bytesBase64Encoded": base64.b64encode(p).decode(), "mimeType": "video/mp4"}
        for p in (MP4, OTHER_MP4)
    ]

    def handler(server: Hostile, request: Request, sock: socket.socket) -> bool:
        if request.is_create:
            send(sock, 200, {"name": server.accept()})
        elif request.is_poll:
            name = (request.json() or {}).get("operationName", "")
            send(sock, 200, {"name": name, "done": True, "response": {"videos": vids}})
        else:
            send(sock, 404, {"error": {"code": 404, "message": "no", "status": "NOT_FOUND"}})
        return True

    return Hostile(handler)


def test_break_extra_video_name_collides_with_another_key(tmp_path):
    assert MP4 != OTHER_MP4
    server = _two_video_server()
    try:
        gen = a2.generator(server)
        items = _batch(gen, ["one", "two"], tmp_path, keys=["a", "a-extra-1"], concurrency=1)
        assert all(i.ok for i in items), [repr(i.error) for i in items]
        all_paths = [p for i in items for p in i.paths]
        assert len(set(all_paths)) == len(all_paths), all_paths
    finally:
        server.close()


def test_batch_case_only_keys_distinct(emu, tmp_path):
    gen = _gen(emu)
    items = _batch(gen, ["x", "y", "z"], tmp_path, keys=["Cat", "cat", "CAT"])
    names = sorted(p.name.lower() for i in items for p in i.paths)
    assert len(set(names)) == 3, names


def test_batch_reserved_windows_names(emu, tmp_path):
    gen = _gen(emu)
    items = _batch(gen, ["x", "y"], tmp_path, keys=["con", "NUL"])
    assert all(i.ok for i in items)
    stems = [p.stem.lower() for i in items for p in i.paths]
    assert "con" not in stems and "nul" not in stems


def test_batch_overwrite_false_output_dir_is_symlink_to_user_dir(emu, tmp_path):
    user_dir = tmp_path / "user"
    user_dir.mkdir()
    (user_dir / "k.mp4").write_bytes(b"user")
    (tmp_path / "out").symlink_to(user_dir)
    gen = _gen(emu)
    items = _batch(gen, ["x"], tmp_path, keys=["k"])
    assert (user_dir / "k.mp4").read_bytes() == b"user"
    assert isinstance(items[0].error, veowrap.DestinationExistsError)


def test_cli_generate_existing_output_refused_before_submit(tmp_path):
    with VeoEmulator(latency=0.05) as emu:
        dest = tmp_path / "v.mp4"
        dest.write_bytes(b"mine")
        done = a2.cli(
            "generate",
            "a cat",
            "-o",
            str(dest),
            "--emulator",
            emu.base_url,
            "-q",
            env=_express_env(emu),
        )
        assert done.returncode == 7, (done.stdout, done.stderr)
        assert emu.accepted_submissions == 0
        assert dest.read_bytes() == b"mine"


def _express_env(emu: VeoEmulator) -> dict[str, str]:
    env = emu.env(vertex=True)
    env.pop("GOOGLE_GEMINI_BASE_URL", None)
    env["GOOGLE_CLOUD_PROJECT"] = ""
    env["GOOGLE_CLOUD_LOCATION"] = ""
    return env


def test_dest_hidden_staging_name_taken_by_user(emu, tmp_path):
    """A user file shaped like a temporary name is never removed by a later save's sweep."""
    gen = _gen(emu)
    out = tmp_path / "out"
    out.mkdir()
    victim = out / ".notes.txt.veowrap-partial-999999-00000000-00000000"
    victim.write_text("user data that merely looks like a partial")
    gen.generate("a cat", model=MODEL, timeout=5, output_gcs_uri="gs://b/o/").save(out)
    assert victim.exists()


def test_user_file_matching_partial_pattern_with_dead_pid_is_deleted_by_sweep(emu, tmp_path):
    """The sweep deletes any file named like a partial of a dead pid on this host."""
    import hashlib

    host = hashlib.sha256(socket.gethostname().encode()).hexdigest()[:8]
    out = tmp_path / "out"
    out.mkdir()
    victim = out / f".notes.txt.veowrap-partial-999999-{host}-00000000"
    victim.write_text("user data")
    gen = _gen(emu)
    gen.generate("a cat", model=MODEL, timeout=5, output_gcs_uri="gs://b/o/").save(out)
    # By design this counts as veowrap's own debris; documented here, not a break.
    assert not victim.exists()
