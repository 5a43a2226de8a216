"""One batch worker in its own process: ``python _worker.py CONFIG_JSON``.

A real google-genai client pointed at the test's emulator (Vertex AI route, static token) runs
``VideoGenerator.generate_many`` on a PostgreSQL journal and prints one JSON line per item.
Optionally it waits for a start signal, so several workers begin at the same moment.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path


def main() -> None:
    config = json.loads(sys.argv[1])
    import google.oauth2.credentials
    from google import genai
    from google.genai import types

    import veowrap

    client = genai.Client(
        vertexai=True,
        project="test-project",
        location="us-central1",
        credentials=google.oauth2.credentials.Credentials(token=config["token"]),
        http_options=types.HttpOptions(base_url=config["base_url"]),
    )
    gen = veowrap.VideoGenerator(
        client=client,
        poll_schedule=veowrap.PollSchedule.fixed(config.get("poll", 0.02)),
        retry_policy=veowrap.RetryPolicy(attempts=4, initial_delay=0.01, max_delay=0.05, jitter=0),
    )
    count = config["count"]
    requests = [
        veowrap.VideoRequest(prompt=f"clip number {i}", model=config["model"]) for i in range(count)
    ]
    keys = [f"clip-{i:03d}" for i in range(count)]
    if config.get("ready"):
        Path(config["ready"]).touch()
        while not Path(config["go"]).exists():
            time.sleep(0.005)
    for item in gen.generate_many(
        requests,
        keys=keys,
        concurrency=config.get("concurrency", 4),
        requests_per_minute=config.get("rpm"),
        journal=config["journal"],
        batch=config.get("batch"),
        output_dir=config.get("output_dir"),
        resend_uncertain=config.get("resend_uncertain", False),
    ):
        record = {
            "key": item.key,
            "ok": item.ok,
            "skipped": item.skipped,
            "held": item.held_elsewhere,
            "sent": item.sent,
            "error": type(item.error).__name__ if item.error else None,
        }
        print(json.dumps(record), flush=True)


if __name__ == "__main__":
    main()
