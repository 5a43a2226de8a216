"""Benchmark 4: saving a large result, streamed, in a measured child process.

The emulator (in this process) serves a valid MP4 of N MiB (``Outcome.large``) without holding it
in memory. Each way of saving it runs in a fresh child process (``_download_child``) that resets
its peak-RSS mark just before the transfer and reports ``VmHWM`` after it minus ``VmRSS``
before. Files go to tmpfs (``/dev/shm``) where it exists, so the figures are the streaming
path's, not the disk's:

- **veowrap**: Vertex AI with ``output_gcs_uri``; ``GeneratedVideo.save`` streams the ``gs://``
  object to a temporary file, checks its length, fsyncs and renames it.
- **urllib**: the baseline, a raw streamed ``urllib`` copy of the same object to disk in 1 MiB
  chunks (no fsync); also run once with an fsync, to show what durability costs.
- **files.download**: the Gemini API Files path, ``client.files.download(file=uri)``, which
  returns the whole video as bytes; and, where the SDK has it, ``destination=`` streaming.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import quote

from ._common import API_KEY, HERE, TOKEN, Row, verdict

__all__ = ["run"]

MIB = 1 << 20
GROWTH_TARGET = 32 * MIB
THROUGHPUT_TARGET = 0.9


def _child(spec: dict[str, Any]) -> dict[str, Any]:
    os.sync()  # start each transfer with no earlier run's dirty pages still being written back
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(HERE.parent), *sys.path[1:]])}
    done = subprocess.run(
        [sys.executable, "-W", "ignore", "-m", "benchmarks._download_child", json.dumps(spec)],
        check=True,
        capture_output=True,
        text=True,
        env=env,
    )
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _gemini_file(base_url: str) -> str:
    # google-genai 3.x refuses generate_videos on the Gemini API, so create the operation the
    # way the REST docs do, then read the Files API URI of its video.
    headers = {"x-goog-api-key": API_KEY, "Content-Type": "application/json"}
    body = json.dumps({"instances": [{"prompt": "a paper boat"}]}).encode()
    create = urllib.request.Request(
        f"{base_url}/v1beta/models/veo-3.1-generate-preview:predictLongRunning",
        data=body,
        headers=headers,
    )
    with urllib.request.urlopen(create, timeout=30) as response:
        name = json.load(response)["name"]
    while True:
        poll = urllib.request.Request(f"{base_url}/v1beta/{name}", headers=headers)
        with urllib.request.urlopen(poll, timeout=30) as response:
            operation = json.load(response)
        if operation.get("done"):
            samples = operation["response"]["generateVideoResponse"]["generatedSamples"]
            return str(samples[0]["video"]["uri"])
        time.sleep(0.05)


def _mb_s(result: dict[str, Any]) -> float:
    return float(result["bytes"]) / MIB / float(result["seconds"])


def run(*, quick: bool) -> list[Row]:
    """Saves the same large video every way; returns table rows."""
    from google.genai import files as genai_files

    import veowrap
    from veowrap.testing import Outcome, VeoEmulator

    megabytes = 64 if quick else 1024
    repeats = 1 if quick else 6
    # Write to tmpfs where there is one: the benchmark measures the streaming path, and on a
    # disk the page cache's writeback of the previous run's gigabyte swamps it (±3× run to run).
    shm = Path("/dev/shm")
    where = str(shm) if shm.is_dir() and os.access(shm, os.W_OK) else None
    with (
        VeoEmulator(latency=0.0) as emulator,
        tempfile.TemporaryDirectory(dir=where) as scratch,
    ):
        destination = str(Path(scratch) / "video.mp4")
        generator = veowrap.VideoGenerator(
            client=emulator.client(vertex=True), poll_schedule=veowrap.PollSchedule.fixed(0.05)
        )
        emulator.script(Outcome.large(megabytes))
        handle = generator.submit(
            "a paper boat",
            model="veo-3.1-generate-001",
            output_gcs_uri="gs://veowrap-bench/out/",
        )
        uri = generator.wait(handle).videos[0].uri
        assert uri is not None and uri.startswith("gs://")
        bucket, _, name = uri.removeprefix("gs://").partition("/")
        storage_url = (
            f"{emulator.base_url}/storage/v1/b/{bucket}/o/{quote(name, safe='')}?alt=media"
        )
        emulator.script(Outcome.large(megabytes))
        file_uri = _gemini_file(emulator.base_url)
        common = {"base_url": emulator.base_url, "destination": destination}
        specs: dict[str, dict[str, Any]] = {
            "veowrap": {**common, "mode": "veowrap", "handle": handle.to_json()},
            "urllib": {
                **common,
                "mode": "urllib",
                "url": storage_url,
                "headers": {"Authorization": f"Bearer {TOKEN}"},
            },
        }
        results: dict[str, list[dict[str, Any]]] = {"veowrap": [], "urllib": []}
        for index in range(repeats):  # interleaved, alternating order, best of `repeats`
            order = ("urllib", "veowrap") if index % 2 == 0 else ("veowrap", "urllib")
            for mode in order:
                results[mode].append(_child(specs[mode]))
        results["urllib_fsync"] = [_child({**specs["urllib"], "mode": "urllib_fsync"})]
        files_common = {**common, "file": file_uri}
        results["files_download"] = [_child({**files_common, "mode": "files_download"})]
        import inspect

        if "destination" in inspect.signature(genai_files.Files.download).parameters:
            results["files_download_destination"] = [
                _child({**files_common, "mode": "files_download_destination"})
            ]
    best = {mode: max(runs, key=_mb_s) for mode, runs in results.items()}
    growth = {mode: max(r["growth"] for r in runs) / MIB for mode, runs in results.items()}
    speed = {mode: _mb_s(result) for mode, result in best.items()}
    ratio = speed["veowrap"] / speed["urllib"]
    size = f"{megabytes:,} MiB" if megabytes < 1024 else f"{megabytes // 1024} GiB"
    details = {
        "megabytes": megabytes,
        "destination_dir": where or tempfile.gettempdir(),
        "results": results,
        "throughput_mb_s": speed,
    }
    rows = [
        Row(
            "4a",
            f"streamed save of a {size} gs:// result: peak RSS growth",
            f"{growth['veowrap']:.1f} MiB",
            f"urllib copy {growth['urllib']:.1f} MiB; files.download "
            f"{growth['files_download']:,.0f} MiB",
            None,
            "≤ 32 MiB",
            verdict(growth["veowrap"] * MIB <= GROWTH_TARGET),
            details,
        ),
        Row(
            "4b",
            f"streamed save of a {size} gs:// result: throughput (best of {repeats}"
            f"{', to tmpfs' if where else ''})",
            f"{speed['veowrap']:,.0f} MiB/s",
            f"raw urllib copy {speed['urllib']:,.0f} MiB/s "
            f"(with fsync {speed['urllib_fsync']:,.0f} MiB/s)",
            ratio,
            f"≥ {THROUGHPUT_TARGET}×",
            verdict(ratio >= THROUGHPUT_TARGET),
        ),
        Row(
            "4c",
            "Gemini Files path: client.files.download (whole video in memory)",
            f"{growth['files_download']:,.0f} MiB RSS growth, {speed['files_download']:,.0f} MiB/s",
            f"veowrap {growth['veowrap']:.1f} MiB",
            None,
            "none (for reference)",
            "info",
        ),
    ]
    if "files_download_destination" in speed:
        rows.append(
            Row(
                "4d",
                "Gemini Files path: files.download(destination=) (google-genai ≥ 3.x)",
                f"{growth['files_download_destination']:,.1f} MiB RSS growth, "
                f"{speed['files_download_destination']:,.0f} MiB/s",
                f"veowrap {growth['veowrap']:.1f} MiB",
                None,
                "none (for reference)",
                "info",
            )
        )
    return rows
