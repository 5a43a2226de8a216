"""One batch worker in its own process: ``python _worker5.py CONFIG_JSON``.

Like tests/postgres/_worker.py, plus: ``skew`` (seconds added to this process's wall clock,
as on a host whose clock is wrong), ``lock_timeout`` and ``timeout``. Prints one JSON line per
item, then ``{"end": true}``.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path


def main() -> None:
    config = json.loads(sys.argv[1])
    skew = float(config.get("skew", 0))
    if skew:
        real = time.time
        time.time = lambda: real() + skew  # type: ignore[assignment]
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
        timeout=config.get("gen_timeout", 60.0),
    )
    prompts = config.get("prompts") or [f"clip number {i}" for i in range(config["count"])]
    requests = [veowrap.VideoRequest(prompt=p, model=config["model"]) for p in prompts]
    keys = config.get("keys") or [f"clip-{i:03d}" for i in range(len(prompts))]
    journal: object = config["journal"]
    batch = config.get("batch", "default")
    if "lock_timeout" in config:
        journal = veowrap.PostgresJournal(
            config["journal"], batch=batch, lock_timeout=config["lock_timeout"]
        )
        batch = None
    if config.get("ready"):
        Path(config["ready"]).touch()
        while not Path(config["go"]).exists():
            time.sleep(0.005)
    for item in gen.generate_many(
        requests,
        keys=keys,
        concurrency=config.get("concurrency", 4),
        requests_per_minute=config.get("rpm"),
        journal=journal,  # type: ignore[arg-type]
        batch=batch,
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
            "text": str(item.error) if item.error else None,
        }
        print(json.dumps(record), flush=True)
    print(json.dumps({"end": True}), flush=True)


if __name__ == "__main__":
    main()
