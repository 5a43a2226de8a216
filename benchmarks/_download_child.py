"""The measured process of benchmark 4: saves one video one way and reports time and memory.

Run as ``python -m benchmarks._download_child SPEC_JSON``; prints one JSON line. The peak-RSS mark
is reset just before the transfer, so the reported growth is the transfer's alone.
"""

from __future__ import annotations

import json
import os
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

from benchmarks._common import gemini_client, peak_rss_reset, read_memory, vertex_client

CHUNK = 1 << 20


def _urllib_copy(url: str, headers: dict[str, str], destination: Path, fsync: bool) -> None:
    request = urllib.request.Request(url, headers=headers)
    with urllib.request.urlopen(request, timeout=60) as response, open(destination, "wb") as out:
        while chunk := response.read(CHUNK):
            out.write(chunk)
        if fsync:
            out.flush()
            os.fsync(out.fileno())


def main() -> None:
    """Prepares the chosen way of downloading, then measures only the transfer."""
    spec: dict[str, Any] = json.loads(sys.argv[1])
    mode, destination = spec["mode"], Path(spec["destination"])
    transfer: Any
    if mode == "veowrap":
        import veowrap

        generator = veowrap.VideoGenerator(client=vertex_client(spec["base_url"]))
        result = generator.wait(veowrap.OperationHandle.from_json(spec["handle"]))

        def transfer() -> None:
            result.videos[0].save(destination)

    elif mode in ("urllib", "urllib_fsync"):

        def transfer() -> None:
            _urllib_copy(spec["url"], spec["headers"], destination, mode == "urllib_fsync")

    elif mode in ("files_download", "files_download_destination"):
        client = gemini_client(spec["base_url"])
        client.files.get(name=spec["file"])  # warm the connection and the SDK's code paths

        def transfer() -> None:
            if mode == "files_download":
                data = client.files.download(file=spec["file"])
                destination.write_bytes(data)
            else:
                client.files.download(file=spec["file"], destination=str(destination))

    else:
        raise SystemExit(f"unknown mode {mode!r}")
    reset = peak_rss_reset()
    before = read_memory()
    start = time.perf_counter()
    transfer()
    seconds = time.perf_counter() - start
    after = read_memory()
    size = destination.stat().st_size
    destination.unlink()
    print(
        json.dumps(
            {
                "mode": mode,
                "seconds": seconds,
                "bytes": size,
                "rss_before": before["VmRSS"],
                "peak_after": after["VmHWM"],
                "growth": max(0, after["VmHWM"] - before["VmRSS"]),
                "peak_reset": reset,
            }
        )
    )


if __name__ == "__main__":
    main()
