"""P5 (bad input typed before the network) and P6 (typed errors), round 3.

New angles: text that is not valid Unicode (lone surrogates, as `surrogateescape` makes from
undecodable bytes and as JSON's ``\\ud800`` escape gives), in prompts, keys and request files;
subnormal pacing rates.
"""

from __future__ import annotations

import json

import pytest
from h3 import MODEL, cli, timed

import veowrap

LONE = "\ud800"


@pytest.mark.parametrize("field", ["prompt", "negative_prompt"])
def test_lone_surrogate_text_refused_before_sending(emu, field):
    gen = emu.generator(vertex=True, model=MODEL)
    kwargs = {"prompt": "a boat", field: f"a {LONE} b"}
    out, _ = timed(lambda: gen.generate(kwargs.pop("prompt"), timeout=3, **kwargs))
    assert isinstance(out, veowrap.RequestValidationError), repr(out)
    assert out.field == field
    assert emu.requests == []


def test_lone_surrogate_key_refused_before_sending(emu, tmp_path):
    gen = emu.generator(vertex=True, model=MODEL)
    with pytest.raises(veowrap.RequestValidationError) as caught:
        list(
            gen.generate_many(
                ["lone key"],
                keys=[f"k{LONE}"],
                journal=tmp_path / "j.sqlite",
                output_dir=tmp_path / "o",
            )
        )
    assert "key" in str(caught.value)
    assert emu.requests == []


def test_lone_surrogate_key_never_pays(emu, tmp_path):
    """Whatever the error, a key the journal cannot store must not cost a create."""
    gen = emu.generator(vertex=True, model=MODEL)
    out, _ = timed(
        lambda: list(
            gen.generate_many(["lone key"], keys=[f"k{LONE}"], journal=tmp_path / "j.sqlite")
        )
    )
    assert emu.accepted_submissions == 0
    if isinstance(out, list):
        assert all(isinstance(i.error, veowrap.VeowrapError) for i in out)
    else:
        assert isinstance(out, veowrap.VeowrapError), repr(out)


def test_cli_batch_lone_surrogate_key_exit_3(emu, tmp_path):
    jobs = tmp_path / "jobs.jsonl"
    jobs.write_text(json.dumps({"key": "k\ud800", "prompt": "x", "model": MODEL}) + "\n")
    done = cli("batch", str(jobs), "-o", str(tmp_path / "o"), "--emulator", emu.base_url)
    assert done.returncode == 3, (done.returncode, done.stderr[-600:])
    assert "bug" not in done.stderr.lower()
    assert emu.accepted_submissions == 0


def test_load_requests_refuses_lone_surrogate(tmp_path):
    jobs = tmp_path / "jobs.jsonl"
    jobs.write_text('{"prompt": "a \\ud800 b"}\n')
    with pytest.raises(veowrap.RequestValidationError):
        veowrap.load_requests(jobs)


@pytest.mark.parametrize("rpm", [5e-324, 1e-300, 1e-6])
def test_subnormal_pacing_rates_refused_before_sending(emu, rpm):
    gen = emu.generator(vertex=True, model=MODEL)
    out, elapsed = timed(
        lambda: list(gen.generate_many(["a", "b"], requests_per_minute=rpm, timeout=2))
    )
    assert isinstance(out, veowrap.RequestValidationError), repr(out)
    assert elapsed < 1
    assert emu.requests == []


def test_cli_batch_lone_surrogate_prompt_never_says_bug(emu, tmp_path):
    jobs = tmp_path / "jobs.jsonl"
    jobs.write_text(json.dumps({"prompt": "x\ud800", "model": MODEL}) + "\n")
    done = cli(
        "batch",
        str(jobs),
        "-o",
        str(tmp_path / "o"),
        "--emulator",
        emu.base_url,
        "--json",
        "--poll-interval",
        "0.05",
    )
    assert done.returncode != 1, done.stderr[-600:]
    assert "this is a bug" not in (done.stdout + done.stderr).lower()
