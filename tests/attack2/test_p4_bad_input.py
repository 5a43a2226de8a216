"""Promise 4: bad input gets a clear typed error before any network call."""

from __future__ import annotations

import json
import os
import subprocess
import threading

import a2
import pytest

import veowrap
from veowrap.testing import VeoEmulator

MODEL = "veo-3.1-generate-001"
VERTEX_OP = "projects/p/locations/us-central1/publishers/google/models/m/operations/"


@pytest.fixture
def emu():
    with VeoEmulator(latency=0.05) as emulator:
        yield emulator


def _gen(emu: VeoEmulator, vertex: bool = True):
    client = emu.client(vertex=vertex)
    gen = veowrap.VideoGenerator(
        client=client,
        poll_schedule=veowrap.PollSchedule.fixed(0.02),
        retry_policy=veowrap.RetryPolicy(attempts=1, initial_delay=0.01),
    )
    gen._keep = client  # type: ignore[attr-defined]
    return gen


def _env(emu: VeoEmulator) -> dict[str, str]:
    return {
        "GOOGLE_API_KEY": emu.api_key,
        "GEMINI_API_KEY": "",
        "GOOGLE_GENAI_USE_VERTEXAI": "true",
        "GOOGLE_CLOUD_PROJECT": "",
        "GOOGLE_CLOUD_LOCATION": "",
    }


def _cli(emu: VeoEmulator, *args: str, timeout: float = 6):
    return a2.cli(*args, "--emulator", emu.base_url, "-q", env=_env(emu), timeout=timeout)


def _returns_within(fn, seconds: float):
    box: list = []

    def run() -> None:
        try:
            box.append(fn())
        except BaseException as error:
            box.append(error)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    return (not thread.is_alive()), box


# -- request files ------------------------------------------------------------------------

BAD_FILES = {
    "truncated.jsonl": b'{"prompt": "a"}\n{"prompt": \n',
    "list.jsonl": b"[1,2]\n",
    "deep.jsonl": b"[" * 100000 + b"]" * 100000 + b"\n",
    "nan.jsonl": b'{"prompt": "a", "duration_seconds": NaN}\n',
    "bigint.jsonl": b'{"prompt": "a", "seed": ' + b"9" * 5000 + b"}\n",
    "unknown.jsonl": b'{"prompt": "a", "promt": "b"}\n',
    "dupfield.jsonl": b'{"prompt": "a", "prompt": "b"}\n',
    "dupkey.jsonl": b'{"prompt": "a", "key": "x"}\n{"prompt": "b", "key": "x"}\n',
    "utf16.jsonl": '{"prompt": "a"}\n'.encode("utf-16"),
    "latin1.jsonl": '{"prompt": "caf\xe9"}\n'.encode("latin-1"),
    "nul.jsonl": b'{"prompt": "a"}\x00\n',
    "empty.jsonl": b"",
    # Over the file's 1 MiB line cap. (900,000 characters used to break VideoRequest's fixed
    # 8,000-character cap, now gone: a model's prompt limit is the catalog's, graded.)
    "huge_prompt.jsonl": b'{"prompt": "' + b"a" * 1_100_000 + b'"}\n',
    "key_object.jsonl": b'{"prompt": "a", "key": {"x": 1}}\n',
    "gcs_http.jsonl": b'{"prompt": "a", "output_gcs_uri": "http://x/y"}\n',
    "png.jsonl": b"\x89PNG\r\n\x1a\n" + bytes(range(256)),
    "ragged.csv": b"prompt,key\na,b,c\n",
    "bad_header.csv": b"promt,key\na,b\n",
    "quote.csv": b'prompt,key\n"a cat,k1\n',
    "big_cell.csv": b'prompt,key\n"' + b"a" * 200000 + b'",k\n',
    "dur_text.csv": b"prompt,duration_seconds\na,eight\n",
    "header_only.csv": b"prompt,key\n",
}


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_bad_request_files_typed(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(BAD_FILES[name])
    with pytest.raises(veowrap.RequestValidationError) as info:
        veowrap.load_requests(path)
    assert name in str(info.value)


@pytest.mark.parametrize("special", ["/dev/zero", "/proc/self/mem", "dir", "missing", "nul"])
def test_special_request_paths_typed(tmp_path, special):
    path = {"dir": str(tmp_path), "missing": str(tmp_path / "no.jsonl"), "nul": "a\0b.jsonl"}.get(
        special, special
    )
    with pytest.raises(veowrap.RequestValidationError):
        veowrap.load_requests(path)


def test_break_fifo_request_file_hangs(tmp_path):
    fifo = tmp_path / "req.jsonl"
    os.mkfifo(fifo)
    finished, box = _returns_within(lambda: veowrap.load_requests(fifo), 2)
    if not finished:  # unblock the reader so the thread ends
        fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
        os.close(fd)
    assert finished, "load_requests is still blocked after 2 s"
    assert isinstance(box[0], veowrap.RequestValidationError)


def test_cli_batch_bad_file_exit_3_no_request(emu, tmp_path):
    path = tmp_path / "r.jsonl"
    path.write_bytes(b'{"prompt": "a"}\n{"prompt": 5}\n')
    done = _cli(emu, "batch", str(path), "-o", str(tmp_path / "o"))
    assert done.returncode == 3, done.stderr
    assert emu.requests == []


def test_break_cli_batch_fifo_hangs(emu, tmp_path):
    fifo = tmp_path / "r.jsonl"
    os.mkfifo(fifo)
    try:
        done = _cli(emu, "batch", str(fifo), "-o", str(tmp_path / "o"), timeout=5)
    except subprocess.TimeoutExpired:
        pytest.fail("veowrap batch on a FIFO hung")
    assert done.returncode == 3


# -- absurd values through the Python API ---------------------------------------------------

TYPED_BEFORE_NETWORK = {
    "empty_prompt": lambda g, d: g.generate("", model=MODEL, timeout=3),
    "timeout_zero": lambda g, d: g.generate("a", model=MODEL, timeout=0),
    "timeout_negative": lambda g, d: g.generate("a", model=MODEL, timeout=-1),
    "aspect_banana": lambda g, d: g.generate("a", model=MODEL, timeout=3, aspect_ratio="banana"),
    "model_traversal": lambda g, d: g.generate("a", model="../../x", timeout=3),
    "model_url": lambda g, d: g.generate("a", model="http://127.0.0.1:1/x", timeout=3),
    "gcs_empty": lambda g, d: g.generate("a", model=MODEL, timeout=3, output_gcs_uri="gs://"),
    "fps_false": lambda g, d: g.generate("a", model=MODEL, timeout=3, fps=False),
    "duration_59": lambda g, d: g.generate("a", model=MODEL, timeout=3, duration_seconds=59),
    "concurrency_0": lambda g, d: list(g.generate_many(["a"], concurrency=0)),
    "keys_dup": lambda g, d: list(g.generate_many(["a", "b"], keys=["x", "x"])),
    "keys_short": lambda g, d: list(g.generate_many(["a", "b"], keys=["x"])),
    "budget_nan": lambda g, d: list(g.generate_many(["a"], budget=float("nan"))),
    "outdir_file": lambda g, d: list(g.generate_many(["a"], output_dir="/etc/passwd")),
    "outdir_proc": lambda g, d: list(g.generate_many(["a"], output_dir="/proc/x")),
    "journal_dir": lambda g, d: list(g.generate_many(["a"], journal=str(d))),
    "journal_devnull": lambda g, d: list(g.generate_many(["a"], journal="/dev/null")),
    "request_none": lambda g, d: list(g.generate_many([None])),
    "request_dict": lambda g, d: list(g.generate_many([{"prompt": "a"}])),
}


@pytest.mark.parametrize("case", sorted(TYPED_BEFORE_NETWORK))
def test_absurd_values_typed_before_network(emu, tmp_path, case):
    gen = _gen(emu)
    with pytest.raises(veowrap.VeowrapError):
        TYPED_BEFORE_NETWORK[case](gen, tmp_path)
    assert emu.requests == []


BROKEN_API = {
    "timeout_nan": (
        lambda g, d: g.generate("a", model=MODEL, timeout=float("nan")),
        "timeout=NaN gives SubmissionUncertainError ('may have accepted ... billing') though "
        "nothing was sent",
    ),
    "timeout_inf": (
        lambda g, d: g.generate("a", model=MODEL, timeout=float("inf")),
        "timeout=inf is sent and PAID, then fails with ServiceUnavailableError(OverflowError)",
    ),
    "timeout_str": (
        lambda g, d: g.generate("a", model=MODEL, timeout="5"),
        "timeout='5' raises a raw TypeError",
    ),
    "rpm_zero": (
        lambda g, d: list(g.generate_many(["a"], requests_per_minute=0)),
        "requests_per_minute=0 raises a raw ValueError",
    ),
    "rpm_negative": (
        lambda g, d: list(g.generate_many(["a"], requests_per_minute=-5)),
        "requests_per_minute=-5 raises a raw ValueError",
    ),
    "keys_int": (
        lambda g, d: list(g.generate_many(["a"], keys=[5])),
        "keys=[5] raises a raw TypeError from unicodedata.normalize",
    ),
    "journal_nul": (
        lambda g, d: list(g.generate_many(["a"], journal="a\0b")),
        "journal='a\\0b' raises a raw ValueError",
    ),
    "batch_timeout_negative": (
        lambda g, d: list(g.generate_many(["a"], timeout=-1, journal=str(d / "j.sqlite"))),
        "generate_many(timeout=-1) is not checked up front: the create is sent and PAID, then "
        "the item fails with RequestValidationError(timeout)",
    ),
    "requests_is_a_string": (
        lambda g, d: list(g.generate_many("abc", journal=str(d / "j2.sqlite"))),
        "generate_many('abc') pays for three one-letter videos 'a', 'b', 'c'",
    ),
}


@pytest.mark.parametrize("case", sorted(BROKEN_API))
def test_break_api_absurd_values(emu, tmp_path, case):
    gen = _gen(emu)
    fn = BROKEN_API[case][0]
    try:
        result = fn(gen, tmp_path)
    except veowrap.RequestValidationError:
        pass
    else:
        errors = [i.error for i in result] if isinstance(result, list) else []
        pytest.fail(f"no RequestValidationError up front; item errors: {errors!r}")
    assert emu.requests == []


# -- hostile handle JSON -------------------------------------------------------------------------

GOOD_HANDLE_ERRORS = {
    "list": "[1,2]",
    "name_null": json.dumps({"name": None, "platform": "vertex"}),
    "platform_mars": json.dumps({"name": "x", "platform": "mars"}),
    "deep": "{" + '"a":' + "[" * 50000 + "]" * 50000 + "}",
    "binary": "\x00\x01\x02{",
}


@pytest.mark.parametrize("case", sorted(GOOD_HANDLE_ERRORS))
def test_cli_wait_bad_handle_exit_3(emu, tmp_path, case):
    path = tmp_path / "h.json"
    path.write_text(GOOD_HANDLE_ERRORS[case])
    done = _cli(emu, "wait", str(path), "-o", str(tmp_path / "w"))
    assert done.returncode == 3, done.stderr
    assert "bug" not in done.stderr.lower()
    assert emu.requests == []


HOSTILE_NAMES = {
    "vertex_traversal": {"name": VERTEX_OP + "../../../../../../x", "platform": "vertex"},
    "gemini_traversal": {
        "name": "models/veo/operations/../../../../files/abc",
        "platform": "gemini",
    },
    "absolute_url": {"name": "http://127.0.0.1:9/steal", "platform": "gemini"},
    "query": {"name": "models/veo/operations/x?alt=media&key=zzz", "platform": "gemini"},
    "crlf": {"name": "models/veo/operations/x\r\nX-Injected: 1", "platform": "gemini"},
    "negative_videos": {"name": VERTEX_OP + "1", "platform": "vertex", "expected_videos": -3},
}


@pytest.mark.parametrize("case", sorted(HOSTILE_NAMES))
def test_break_hostile_handle_json_reaches_network(emu, case):
    gen = _gen(emu, vertex=HOSTILE_NAMES[case]["platform"] == "vertex")
    with pytest.raises(veowrap.RequestValidationError):
        handle = veowrap.OperationHandle.from_json(json.dumps(HOSTILE_NAMES[case]))
        gen.wait(handle, timeout=2)
    assert emu.requests == []


def test_break_cli_wait_traversal_handle(emu, tmp_path):
    path = tmp_path / "h.json"
    path.write_text(json.dumps(HOSTILE_NAMES["vertex_traversal"]))
    done = _cli(emu, "wait", str(path), "-o", str(tmp_path / "w"), "--timeout", "3")
    assert done.returncode == 3, (done.returncode, done.stderr[-500:])
    assert emu.requests == []


def test_break_cli_wait_fifo_handle_hangs(emu, tmp_path):
    fifo = tmp_path / "h.json"
    os.mkfifo(fifo)
    try:
        done = _cli(emu, "wait", str(fifo), "-o", str(tmp_path / "w"), timeout=5)
    except subprocess.TimeoutExpired:
        pytest.fail("veowrap wait on a FIFO hung")
    assert done.returncode == 3


# -- CLI options and outputs -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["generate", "a", "-o", "{f}/x.mp4"],
        ["generate", "a", "-o", "/proc/nope/x.mp4"],
        ["generate", "a", "-o", "{d}/" + "x" * 300 + ".mp4"],
        ["generate", "a", "-o", "{d}/t.mp4", "--timeout", "0"],
        ["generate", "a", "-o", "{d}/t.mp4", "-n", "0"],
        ["generate", "a", "-o", "{d}/t.mp4", "--image", "{d}"],
        ["generate", "a", "-o", "{d}/t.mp4", "--max-cost", "nan"],
        ["batch", "{d}/ok.jsonl", "-o", "{f}"],
        ["batch", "{d}/ok.jsonl", "-o", "{d}/b", "--journal", "{d}"],
        ["batch", "{d}/ok.jsonl", "-o", "{d}/b", "--journal", "{f}"],
        ["batch", "{d}/ok.jsonl", "-o", "{d}/b", "--concurrency", "0"],
    ],
    ids=[
        "o_under_file",
        "o_proc",
        "o_long_name",
        "timeout_0",
        "count_0",
        "image_dir",
        "max_cost_nan",
        "batch_o_file",
        "journal_dir",
        "journal_not_sqlite",
        "concurrency_0",
    ],
)
def test_cli_bad_options_typed_before_network(emu, tmp_path, args):
    (tmp_path / "f").write_text("mine")
    (tmp_path / "ok.jsonl").write_text('{"prompt": "a"}\n')
    real = [a.format(d=tmp_path, f=tmp_path / "f") for a in args]
    done = _cli(emu, *real)
    assert done.returncode in (2, 3, 7), (done.returncode, done.stderr[-500:])
    assert "bug" not in done.stderr.lower()
    assert emu.requests == []
    assert (tmp_path / "f").read_text() == "mine"


CLI_BREAKS = {
    "poll_interval_0": (
        ["generate", "a", "-o", "{d}/t.mp4", "--poll-interval", "0"],
        "--poll-interval 0 exits 1 'This is a bug' (raw ValueError from PollSchedule)",
    ),
    "rpm_0": (
        ["batch", "{d}/ok.jsonl", "-o", "{d}/b", "--rpm", "0"],
        "--rpm 0 exits 1 'This is a bug' (raw ValueError from the pacer)",
    ),
    "timeout_nan": (
        ["generate", "a", "-o", "{d}/t.mp4", "--timeout", "nan"],
        "--timeout nan exits 9 saying the submission is uncertain (check your billing); nothing "
        "was sent",
    ),
    "timeout_inf": (
        ["generate", "a", "-o", "{d}/t.mp4", "--timeout", "inf"],
        "--timeout inf exits 9 (service trouble, 'check the network') instead of 3",
    ),
    "batch_timeout_negative": (
        ["batch", "{d}/ok.jsonl", "-o", "{d}/b", "--timeout", "-1"],
        "batch --timeout -1 submits (PAYS) then fails the item with RequestValidationError",
    ),
    "batch_rpm_nan": (
        ["batch", "{d}/ok.jsonl", "-o", "{d}/b", "--rpm", "nan"],
        "batch --rpm nan pays for the first item, then hangs",
    ),
    "batch_timeout_nan": (
        ["batch", "{d}/ok.jsonl", "-o", "{d}/b", "--timeout", "nan"],
        "batch --timeout nan pays for the item, then hangs",
    ),
}


@pytest.mark.parametrize("case", sorted(CLI_BREAKS))
def test_break_cli_absurd_options(emu, tmp_path, case):
    (tmp_path / "ok.jsonl").write_text('{"prompt": "a"}\n')
    args = [a.format(d=tmp_path) for a in CLI_BREAKS[case][0]]
    try:
        done = _cli(emu, *args, timeout=5)
    except subprocess.TimeoutExpired:
        pytest.fail(f"hung; server saw {len(emu.requests)} requests")
    assert done.returncode in (2, 3), (done.returncode, done.stderr[-400:])
    assert emu.requests == []


@pytest.mark.skipif(os.geteuid() != 0, reason="needs unshare as root")
def test_cli_generate_read_only_output_exit_7(tmp_path):
    with VeoEmulator(latency=0.05) as emu:
        ro = tmp_path / "ro"
        ro.mkdir()
        env = dict(os.environ)
        env.update(_env(emu))
        env["PYTHONPATH"] = str(a2.ROOT / "src")
        script = (
            f"mount -t tmpfs -o ro,size=64k tmpfs {ro} && {a2.PYTHON} -m veowrap.cli generate a "
            f"-o {ro}/v.mp4 --emulator {emu.base_url} -q; echo RC=$?"
        )
        done = subprocess.run(
            ["unshare", "-rm", "sh", "-c", script],
            capture_output=True,
            text=True,
            timeout=9,
            env=env,
        )
        assert "RC=7" in done.stdout, (done.stdout, done.stderr[-500:])
        assert "read-only" in done.stderr
        assert emu.requests == []


def test_keep_path_argument_type_errors_typed(tmp_path):
    """save() on a result with an unwritable path type never gets past validation untyped."""
    with VeoEmulator(latency=0.05) as emu:
        gen = _gen(emu)
        res = gen.generate("a", model=MODEL, timeout=5)
        with pytest.raises(veowrap.VeowrapError):
            res.save(tmp_path / "v.mp4", timeout=0)
        with pytest.raises(veowrap.VeowrapError):
            res.save(tmp_path / "v.mp4", timeout=-3)
        assert a2.all_files(tmp_path) == []
