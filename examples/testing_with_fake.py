"""Testing your own code with veowrap's FakeBackend: offline, deterministic, in virtual time.

``make_trailer`` stands for your application code: it takes a generator (dependency injection)
and turns outcomes into decisions. The checks below drive it through success, a safety filter,
a quota storm and a job that never finishes; the fake's virtual clock makes the 30-second jobs,
30-second ``Retry-After`` waits and the 15-minute timeout take milliseconds. Run it directly or
with pytest (``pytest examples/testing_with_fake.py``).

    python examples/testing_with_fake.py [OUTPUT_DIR]
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import veowrap
from veowrap.backends.fake import FakeBackend, Filtered, NeverFinishes, QuotaExceeded, Success
from veowrap.testing import inspect_mp4


def make_trailer(generator: veowrap.VideoGenerator, prompt: str, output: Path) -> str:
    """Application code under test: returns what happened, never raises for expected outcomes."""
    try:
        result = generator.generate(prompt, model="veo-3.1-generate-001", timeout=900)
    except veowrap.ContentFilteredError as error:
        return f"rejected: {error.reasons[0]}"
    except veowrap.QuotaExceededError as error:
        return f"try later (retry after {error.retry_after:.0f} s)"
    except veowrap.OperationTimeoutError as error:
        assert error.handle is not None
        return f"still running: {error.handle.name}"
    result.save(output)
    return f"saved {output.name}"


def test_success_saves_a_real_video(tmp_path: Path) -> None:
    fake = FakeBackend(latency=30.0).script(Success())
    outcome = make_trailer(veowrap.VideoGenerator(backend=fake), "a boat", tmp_path / "t.mp4")
    assert outcome == "saved t.mp4"
    assert inspect_mp4(tmp_path / "t.mp4").codec == "avc1"
    assert fake.clock() >= 30.0  # thirty virtual seconds passed


def test_filtered_prompt_is_reported(tmp_path: Path) -> None:
    fake = FakeBackend().script(Filtered(reasons=("unsafe prompt",)))
    outcome = make_trailer(veowrap.VideoGenerator(backend=fake), "bad", tmp_path / "t.mp4")
    assert outcome == "rejected: unsafe prompt"


def test_quota_storm_is_retried_then_reported(tmp_path: Path) -> None:
    fake = FakeBackend().script(*[QuotaExceeded(retry_after=30)] * 6)
    outcome = make_trailer(veowrap.VideoGenerator(backend=fake), "x", tmp_path / "t.mp4")
    assert outcome == "try later (retry after 30 s)"
    assert fake.submitted == []  # a 429 means nothing was accepted, nothing billed


def test_job_that_never_finishes_times_out_with_a_handle(tmp_path: Path) -> None:
    fake = FakeBackend().script(NeverFinishes())
    outcome = make_trailer(veowrap.VideoGenerator(backend=fake), "x", tmp_path / "t.mp4")
    assert outcome == f"still running: {fake.operations[0]}"
    assert fake.clock() >= 900  # the whole 15-minute deadline, in virtual time


def main(output_dir: Path) -> Path:
    output_dir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    for check in (
        test_success_saves_a_real_video,
        test_filtered_prompt_is_reported,
        test_quota_storm_is_retried_then_reported,
        test_job_that_never_finishes_times_out_with_a_handle,
    ):
        case_dir = output_dir / check.__name__.removeprefix("test_")
        case_dir.mkdir(exist_ok=True)
        check(case_dir)
        print(f"ok  {check.__name__}")
    print(f"4 checks in {time.perf_counter() - started:.2f} s of real time")
    return output_dir / "success_saves_a_real_video" / "t.mp4"


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("out/testing_with_fake"))
