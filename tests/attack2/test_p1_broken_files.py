"""Promise 1: never leave or bless a broken file (nothing partial at a destination; nothing
truncated or non-video saved as a video)."""

from __future__ import annotations

import gzip
import os
import signal
import socket
import struct
import subprocess
import time
import zlib
from pathlib import Path

import a2
import pytest
from a2 import MP4, Hostile, Request, send

import veowrap
from veowrap.testing import Fault, VeoEmulator

HALF = len(MP4) // 2


def _sample_data_end(data: bytes) -> int:
    """Where the media data of the first track ends by its sample table: the largest chunk
    offset (stco/co64) plus the sizes (stsz) of the samples in that chunk (stsc); a tiny
    walker, independent of veowrap's."""
    tables: dict[bytes, tuple[int, int]] = {}

    def walk(start: int, end: int) -> None:
        pos = start
        while pos + 8 <= end:
            size, kind = struct.unpack_from(">I4s", data, pos)
            head = 8
            if size == 1:
                (size,) = struct.unpack_from(">Q", data, pos + 8)
                head = 16
            elif size == 0:
                size = end - pos
            if size < head or pos + size > end:
                return
            if kind in (b"moov", b"trak", b"mdia", b"minf", b"stbl"):
                walk(pos + head, pos + size)
            elif kind in (b"stco", b"co64", b"stsz", b"stsc"):
                tables.setdefault(kind, (pos + head, pos + size))
            pos += size

    walk(0, len(data))
    kind = b"stco" if b"stco" in tables else b"co64"
    fmt = ">I" if kind == b"stco" else ">Q"
    start = tables[kind][0]
    (count,) = struct.unpack_from(">I", data, start + 4)
    offsets = [
        struct.unpack_from(fmt, data, start + 8 + i * struct.calcsize(fmt))[0] for i in range(count)
    ]
    start = tables[b"stsz"][0]
    uniform, samples = struct.unpack_from(">II", data, start + 4)
    sizes = (
        [uniform] * samples
        if uniform
        else list(struct.unpack_from(f">{samples}I", data, start + 12))
    )
    start = tables[b"stsc"][0]
    (runs,) = struct.unpack_from(">I", data, start + 4)
    per_chunk = {}
    for i in range(runs):
        first, count, _ = struct.unpack_from(">III", data, start + 8 + 12 * i)
        per_chunk[first] = count
    best, sample, count = -1, 0, 0
    for chunk, offset in enumerate(offsets, start=1):
        count = per_chunk.get(chunk, count)
        best = max(best, offset + sum(sizes[sample : sample + count]))
        sample += count
    return best


def _save(server: Hostile, tmp_path: Path) -> Path:
    _, res = a2.result_from(server, output_gcs_uri="gs://bucket/out/")
    return res.videos[0].save(tmp_path / "v.mp4", timeout=5)


# -- bodies that must be refused -------------------------------------------------------------------

REFUSED = {
    "prefix_with_true_length": a2.raw_body(MP4[:HALF]),
    "prefix_close_delimited": a2.raw_body(MP4[:HALF], length=False),
    "trailing_ascii_garbage": a2.raw_body(MP4 + b"GARBAGE!!garbage"),
    "trailing_short_garbage": a2.raw_body(MP4 + b"\x01\x02\x03"),
    "largesize_past_eof": a2.raw_body(a2.with_mdat_size(MP4, 10**12, large=True)),
    "largesize_below_header": a2.raw_body(a2.with_mdat_size(MP4, 9, large=True)),
    "moov_missing": a2.raw_body(MP4[:32] + MP4[1505:]),
    "gzip_content_encoding": a2.raw_body(gzip.compress(MP4), headers={"Content-Encoding": "gzip"}),
    "deflate_content_encoding": a2.raw_body(
        zlib.compress(MP4), headers={"Content-Encoding": "deflate"}
    ),
    "br_content_encoding": a2.raw_body(MP4, headers={"Content-Encoding": "br"}),
    "chunked_truncated": a2.chunked([MP4[:HALF]]),
    "html_200": a2.raw_body(b"<!doctype html><p>proxy</p>", content_type="text/html"),
    "html_sent_as_video_mp4": a2.raw_body(b"<html>login</html>" * 10),
    "json_200": a2.raw_body(b'{"error": "nope"}' * 3, content_type="application/json"),
    "empty_200": a2.raw_body(b""),
    "ftyp_only": a2.raw_body(MP4[:32]),
}


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_hostile_body_refused_and_nothing_left(name, tmp_path):
    server = a2.gcs_server(REFUSED[name])
    try:
        with pytest.raises(veowrap.DownloadError):
            _save(server, tmp_path)
        assert a2.all_files(tmp_path) == []
    finally:
        server.close()


def _content_length_lie(declared: int, body: bytes) -> a2.Body:
    def handler(server: Hostile, request: Request, sock: socket.socket) -> bool:
        head = f"HTTP/1.1 200 OK\r\nContent-Type: video/mp4\r\nContent-Length: {declared}\r\n"
        sock.sendall((head + "Connection: close\r\n\r\n").encode() + body)
        return False

    return handler


@pytest.mark.parametrize(
    ("declared", "body"),
    [(HALF, MP4), (len(MP4) + 100, MP4), (len(MP4) - 3, MP4), (0, MP4)],
    ids=["cl_half", "cl_longer", "cl_3_short", "cl_zero"],
)
def test_content_length_lies(declared, body, tmp_path):
    server = a2.gcs_server(_content_length_lie(declared, body))
    try:
        with pytest.raises(veowrap.DownloadError):
            _save(server, tmp_path)
        assert a2.all_files(tmp_path) == []
    finally:
        server.close()


# -- bodies that are fine --------------------------------------------------------------------------

ACCEPTED = {
    "plain": a2.raw_body(MP4),
    "chunked": a2.chunked([MP4[:1000], MP4[1000:20000], MP4[20000:]]),
    "identity_encoding": a2.raw_body(MP4, headers={"Content-Encoding": "identity"}),
    "mdat_largesize_exact": a2.raw_body(
        a2.with_mdat_size(MP4, len(MP4) - a2.mdat_offset() + 8, large=True)
    ),
    "trailing_free_box": a2.raw_body(MP4 + a2.box(b"free", b"x" * 10)),
}


@pytest.mark.parametrize("name", sorted(ACCEPTED))
def test_valid_variants_are_saved_whole(name, tmp_path):
    server = a2.gcs_server(ACCEPTED[name])
    try:
        path = _save(server, tmp_path)
        assert path.read_bytes()[: len(MP4) - 8][:32] == MP4[:32]
        assert a2.all_files(tmp_path) == ["v.mp4"]
    finally:
        server.close()


# -- fixed breaks: structurally "complete" files that are not whole videos -------------------------


def test_break_trailing_nul_padding_then_garbage_is_saved(tmp_path):
    body = MP4 + b"\x00" * 8 + b"<html>proxy appended this</html>"
    server = a2.gcs_server(a2.raw_body(body))
    try:
        with pytest.raises(veowrap.DownloadError):
            _save(server, tmp_path)
        assert a2.all_files(tmp_path) == []
    finally:
        server.close()


def test_break_truncated_mp4_with_open_ended_mdat_is_saved(tmp_path):
    body = a2.with_mdat_size(MP4, 0)[:HALF]
    assert _sample_data_end(body) > len(body)  # the sample table points past EOF
    server = a2.gcs_server(a2.raw_body(body))
    try:
        with pytest.raises(veowrap.DownloadError):
            _save(server, tmp_path)
        assert a2.all_files(tmp_path) == []
    finally:
        server.close()


def test_break_ftyp_plus_empty_moov_is_saved(tmp_path):
    server = a2.gcs_server(a2.raw_body(MP4[:32] + a2.box(b"moov")))
    try:
        with pytest.raises(veowrap.DownloadError):
            _save(server, tmp_path)
    finally:
        server.close()


def test_break_inline_empty_moov_read_bytes(tmp_path):
    server = a2.inline_server([MP4[:32] + a2.box(b"moov")])
    try:
        gen = a2.generator(server)
        res = gen.generate("a cat", model=a2.hostile.MODEL, timeout=5)
        with pytest.raises(veowrap.DownloadError):
            res.videos[0].read_bytes()
    finally:
        server.close()


# -- inline videos ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "payload",
    [b"<html>x</html>", MP4[:HALF], b"\x1f\x8b\x08" + b"\0" * 40, MP4 + b"junk"],
    ids=["html", "truncated", "gzip", "trailing_junk"],
)
def test_inline_non_mp4_refused(payload, tmp_path):
    server = a2.inline_server([payload])
    try:
        gen = a2.generator(server)
        res = gen.generate("a cat", model=a2.hostile.MODEL, timeout=5)
        with pytest.raises(veowrap.DownloadError):
            res.save(tmp_path / "v.mp4")
        with pytest.raises(veowrap.DownloadError):
            res.videos[0].read_bytes()
        assert a2.all_files(tmp_path) == []
    finally:
        server.close()


# -- redirects -------------------------------------------------------------------------------------


def test_redirect_chain_ending_in_html(tmp_path):
    def download(server: Hostile, request: Request, sock: socket.socket) -> bool:
        hop = request.path.count("hop")
        if hop < 3:
            sep = "&" if "?" in request.path else "?"
            location = request.path + f"{sep}hop{hop}"
            send(sock, 302, b"", headers={"Location": location})
        else:
            send(sock, 200, b"<html><body>Sign in</body></html>", content_type="text/html")
        return True

    server = a2.gcs_server(download)
    try:
        with pytest.raises(veowrap.DownloadError) as info:
            _save(server, tmp_path)
        assert "HTML" in info.value.message
        assert a2.all_files(tmp_path) == []
    finally:
        server.close()


def test_redirect_loop_is_bounded(tmp_path):
    def download(server: Hostile, request: Request, sock: socket.socket) -> bool:
        send(sock, 302, b"", headers={"Location": request.path})
        return True

    server = a2.gcs_server(download)
    try:
        started = time.monotonic()
        with pytest.raises(veowrap.DownloadError):
            _save(server, tmp_path)
        assert time.monotonic() - started < 5
        assert a2.all_files(tmp_path) == []
    finally:
        server.close()


# -- hostile disks and processes -------------------------------------------------------------------

CHILD_SAVE = """
import sys, veowrap, google.oauth2.credentials
from google import genai
from google.genai import types
base, dest = sys.argv[1], sys.argv[2]
overwrite = len(sys.argv) > 3 and sys.argv[3] == "overwrite"
client = genai.Client(vertexai=True, project="p", location="us-central1",
    credentials=google.oauth2.credentials.Credentials(token="test-token"),
    http_options=types.HttpOptions(base_url=base))
gen = veowrap.VideoGenerator(client=client, poll_schedule=veowrap.PollSchedule.fixed(0.02),
    retry_policy=veowrap.RetryPolicy(attempts=2, initial_delay=0.01))
res = gen.generate("a cat", model="veo-3.1-generate-001", timeout=10,
    output_gcs_uri="gs://bucket/out/")
print("GENERATED", flush=True)
try:
    p = res.videos[0].save(dest, timeout=20, overwrite=overwrite)
    print("SAVED", p, flush=True)
except veowrap.VeowrapError as e:
    print("ERROR", type(e).__name__, e.message, flush=True)
"""


def _child(base: str, dest: Path, *extra: str, pre: str = "") -> subprocess.Popen:
    code = pre + CHILD_SAVE
    env = dict(os.environ)
    env["PYTHONPATH"] = str(a2.ROOT / "src")
    return subprocess.Popen(
        [a2.PYTHON, "-c", code, base, str(dest), *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def _wait_for_partial(directory: Path, timeout: float = 6) -> list[str]:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        partials = [n for n in a2.all_files(directory) if ".veowrap-partial-" in n]
        if partials and any((directory / n).stat().st_size > 0 for n in partials):
            return partials
        time.sleep(0.02)
    raise AssertionError(f"no partial file appeared: {a2.all_files(directory)}")


def test_kill9_mid_save_leaves_nothing_at_destination_and_is_swept(tmp_path):
    with VeoEmulator(latency=0.05) as emu:
        emu.inject("gcs_download", Fault.trickle_body(interval=0.05, after_bytes=4096), times=5)
        proc = _child(emu.base_url, tmp_path / "v.mp4")
        try:
            partials = _wait_for_partial(tmp_path)
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(5)
        finally:
            if proc.poll() is None:
                proc.kill()
        assert "v.mp4" not in a2.all_files(tmp_path)
        assert a2.visible_files(tmp_path) == []
        # A later save into the same folder removes the dead process's partial file.
        emu.reset()
        client = emu.client(vertex=True)
        gen = veowrap.VideoGenerator(
            client=client,
            poll_schedule=veowrap.PollSchedule.fixed(0.02),
            retry_policy=veowrap.RetryPolicy(attempts=2, initial_delay=0.01),
        )
        res = gen.generate(
            "a cat", model="veo-3.1-generate-001", timeout=5, output_gcs_uri="gs://bucket/out/"
        )
        res.videos[0].save(tmp_path / "w.mp4", timeout=5)
        assert a2.all_files(tmp_path) == ["w.mp4"], partials


def test_file_size_limit_efbig_is_typed_and_leaves_nothing(tmp_path):
    pre = (
        "import resource, signal\n"
        "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
        "resource.setrlimit(resource.RLIMIT_FSIZE, (10000, 10000))\n"
    )
    with VeoEmulator(latency=0.05) as emu:
        proc = _child(emu.base_url, tmp_path / "v.mp4", pre=pre)
        out, err = proc.communicate(timeout=8)
    assert "ERROR DownloadError" in out, (out, err[-2000:])
    assert "Traceback" not in err
    assert a2.all_files(tmp_path) == []


@pytest.mark.skipif(os.geteuid() != 0, reason="needs unshare as root")
def test_full_disk_enospc_is_typed_and_user_file_intact(tmp_path):
    mount = tmp_path / "disk"
    mount.mkdir()
    with VeoEmulator(latency=0.05) as emu:
        script = (
            f"mount -t tmpfs -o size=48k tmpfs {mount} && "
            f"head -c 20000 /dev/urandom > {mount}/user.bin && "
            f"cp {mount}/user.bin {tmp_path}/user.copy && "
            f"{a2.PYTHON} -c '{CHILD_SAVE.replace(chr(39), chr(34))}' {emu.base_url} "
            f"{mount}/v.mp4; ls -a {mount}; cmp {mount}/user.bin {tmp_path}/user.copy && "
            "echo USER_FILE_INTACT"
        )
        env = dict(os.environ)
        env["PYTHONPATH"] = str(a2.ROOT / "src")
        done = subprocess.run(
            ["unshare", "-rm", "sh", "-c", script],
            capture_output=True,
            text=True,
            timeout=9,
            env=env,
        )
    out = done.stdout
    assert "ERROR DownloadError" in out or "ERROR DestinationError" in out, (out, done.stderr)
    assert "disk" in out.lower() or "space" in out.lower(), out
    listing = out.split("\n")
    assert "v.mp4" not in listing
    assert not any(".veowrap-partial-" in line for line in listing), out
    assert "USER_FILE_INTACT" in out


def test_two_processes_save_same_path_one_wins_whole(tmp_path):
    with VeoEmulator(latency=0.05) as emu:
        emu.inject("gcs_download", Fault.slow(40_000), times=2)
        dest = tmp_path / "v.mp4"
        procs = [_child(emu.base_url, dest) for _ in range(2)]
        outs = [p.communicate(timeout=9)[0] for p in procs]
    saved = [o for o in outs if "SAVED" in o]
    refused = [o for o in outs if "DestinationExistsError" in o]
    assert len(saved) == 1 and len(refused) == 1, outs
    assert a2.all_files(tmp_path) == ["v.mp4"]
    veowrap.testing.inspect_mp4(dest)


def test_two_processes_overwrite_same_path_file_is_whole(tmp_path):
    with VeoEmulator(latency=0.05) as emu:
        emu.inject("gcs_download", Fault.slow(40_000), times=2)
        dest = tmp_path / "v.mp4"
        dest.write_bytes(b"old")
        procs = [_child(emu.base_url, dest, "overwrite") for _ in range(2)]
        outs = [p.communicate(timeout=9)[0] for p in procs]
    assert all("SAVED" in o for o in outs), outs
    assert a2.all_files(tmp_path) == ["v.mp4"]
    veowrap.testing.inspect_mp4(dest)


def _emu_result(emu: VeoEmulator):
    client = emu.client(vertex=True)
    gen = veowrap.VideoGenerator(
        client=client,
        poll_schedule=veowrap.PollSchedule.fixed(0.02),
        retry_policy=veowrap.RetryPolicy(attempts=2, initial_delay=0.01),
    )
    res = gen.generate(
        "a cat", model="veo-3.1-generate-001", timeout=5, output_gcs_uri="gs://bucket/out/"
    )
    return client, gen, res


def test_destination_directory_replaced_by_file_mid_save(tmp_path):
    import threading

    out = tmp_path / "out"
    out.mkdir()
    with VeoEmulator(latency=0.05) as emu:
        _client, _gen, res = _emu_result(emu)
        emu.inject("gcs_download", Fault.slow(30_000))
        errors: list[BaseException] = []

        def run() -> None:
            try:
                res.videos[0].save(out / "v.mp4", timeout=6)
            except BaseException as error:
                errors.append(error)

        thread = threading.Thread(target=run)
        thread.start()
        _wait_for_partial(out)
        moved = tmp_path / "moved"
        out.rename(moved)
        out.write_bytes(b"user file now lives here")
        thread.join(8)
        assert not thread.is_alive()
    assert errors and isinstance(errors[0], veowrap.VeowrapError), errors
    assert out.read_bytes() == b"user file now lives here"
    # Nothing visible is left in the moved folder (a hidden partial stays until swept: it is
    # unlinked by a path that now runs through a regular file).
    assert a2.visible_files(moved) == [], a2.all_files(moved)
    assert "v.mp4" not in a2.all_files(moved)


def test_symlink_at_destination_to_user_file(tmp_path):
    user = tmp_path / "precious.txt"
    user.write_bytes(b"precious")
    link = tmp_path / "v.mp4"
    link.symlink_to(user)
    with VeoEmulator(latency=0.05) as emu:
        _client, _gen, res = _emu_result(emu)
        with pytest.raises(veowrap.DestinationExistsError):
            res.videos[0].save(link)
        with pytest.raises(veowrap.DestinationExistsError):
            res.save(link)
        assert user.read_bytes() == b"precious"
        # overwrite=True replaces the link itself, never writes through it
        res.videos[0].save(link, overwrite=True)
    assert user.read_bytes() == b"precious"
    assert not link.is_symlink()


def test_dangling_symlink_at_destination(tmp_path):
    link = tmp_path / "v.mp4"
    target = tmp_path / "elsewhere" / "created.mp4"
    link.symlink_to(target)
    with VeoEmulator(latency=0.05) as emu:
        _client, _gen, res = _emu_result(emu)
        with pytest.raises(veowrap.DestinationExistsError):
            res.videos[0].save(link)
    assert not target.exists()


def test_predictable_partial_names_cannot_be_symlink_hijacked(tmp_path):
    """Plant symlinks named like every partial name the pid could use is not possible (random
    part), so instead plant a symlink at a staged temp name pattern: nothing follows it."""
    user = tmp_path / "precious.txt"
    user.write_bytes(b"precious")
    for i in range(50):
        (tmp_path / f".v.mp4.veowrap-partial-{os.getpid()}-deadbeef-{i:08x}").symlink_to(user)
    with VeoEmulator(latency=0.05) as emu:
        _client, _gen, res = _emu_result(emu)
        res.videos[0].save(tmp_path / "v.mp4")
    assert user.read_bytes() == b"precious"
