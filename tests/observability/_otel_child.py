"""Submits a job under an application span, then dies: ``python _otel_child.py CONFIG_JSON``.

Prints the application span's trace id, then the handle's JSON as soon as the job is
submitted, and exits at once with ``os._exit`` (no span is ended or exported: the process is
gone, as after a kill).
"""

from __future__ import annotations

import json
import os
import sys


def main() -> None:
    config = json.loads(sys.argv[1])
    import google.oauth2.credentials
    from google import genai
    from google.genai import types
    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider

    import veowrap
    from veowrap.events import Submitted

    trace.set_tracer_provider(TracerProvider())
    client = genai.Client(
        vertexai=True,
        project="test-project",
        location="us-central1",
        credentials=google.oauth2.credentials.Credentials(token=config["token"]),
        http_options=types.HttpOptions(base_url=config["base_url"]),
    )
    gen = veowrap.VideoGenerator(client=client, poll_schedule=veowrap.PollSchedule.fixed(0.02))

    def die_after_submit(event: object) -> None:
        if isinstance(event, Submitted):
            print(json.dumps({"handle": event.handle.to_json()}), flush=True)
            os._exit(0)

    with trace.get_tracer("app").start_as_current_span("app.job") as span:
        print(json.dumps({"trace_id": f"{span.get_span_context().trace_id:032x}"}), flush=True)
        gen.generate("a paper boat", model=config["model"], on_event=die_after_submit)


if __name__ == "__main__":
    main()
