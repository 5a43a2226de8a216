"""Resume after a crash: submit in one process, save the handle, collect it in another.

1. A child process submits a job, writes the handle's JSON to disk and dies abruptly.
2. This process reads the JSON, asks for the status once, waits with a deadline that is too
   short (``OperationTimeoutError`` hands the handle back) and then waits for real.

Both processes build a plain ``VideoGenerator()`` from the environment, exactly as production
code would; the environment points them at the built-in emulator (Vertex AI express mode).

    python examples/resume_after_crash.py [OUTPUT_DIR]
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import veowrap
from veowrap.testing import VeoEmulator, inspect_mp4

MODEL = "veo-3.1-generate-001"


def submit_and_crash(job_file: Path) -> None:
    """The child: submit, persist the handle (no secrets inside), then die without cleanup."""
    generator = veowrap.VideoGenerator(poll_schedule=veowrap.PollSchedule.fixed(0.1))
    handle = generator.submit("a lighthouse in a storm", model=MODEL, duration_seconds=8)
    job_file.write_text(handle.to_json(), encoding="utf-8")
    print(f"[child] submitted {handle.name}; crashing now")
    sys.stdout.flush()
    os._exit(137)  # no finally blocks, no atexit: as if the machine went away


def main(output_dir: Path) -> Path:
    output_dir.mkdir(parents=True, exist_ok=True)
    job_file = output_dir / "job.json"
    with VeoEmulator(latency=2.0) as emulator:
        for name in ("GOOGLE_CLOUD_PROJECT", "GOOGLE_CLOUD_LOCATION"):
            os.environ.pop(name, None)
        os.environ.update(emulator.env(vertex=True))

        child = subprocess.run([sys.executable, __file__, "--submit-and-crash", str(job_file)])
        print(f"child exited with {child.returncode}; {job_file} holds the handle")

        generator = veowrap.VideoGenerator(poll_schedule=veowrap.PollSchedule.fixed(0.1))
        handle = veowrap.OperationHandle.from_json(job_file.read_text(encoding="utf-8"))
        status = generator.status(handle)  # one poll, no waiting
        print(f"status: {status.state} (done: {status.done})")
        try:
            result = generator.wait(handle, timeout=0.2)
        except veowrap.OperationTimeoutError as error:
            print(f"timed out ({error.hint}); waiting again with the handle it carries")
            assert error.handle is not None
            result = generator.wait(error.handle, timeout=30)
        (path,) = result.save(output_dir / "resumed.mp4")
        print(f"accepted creates: {emulator.accepted_submissions} (the job was never re-sent)")
    print(f"saved {path}: {inspect_mp4(path)}")
    return path


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--submit-and-crash":
        submit_and_crash(Path(sys.argv[2]))
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("out/resume_after_crash"))
