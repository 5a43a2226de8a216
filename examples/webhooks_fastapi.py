"""Webhooks instead of polling: a FastAPI endpoint feeds an Inbox, and the wait completes on push.

In production, serve ``build_app(inbox)`` with any ASGI server (``uvicorn``) at the HTTPS URL
you registered with ``client.webhooks.create`` (static webhooks, ``whsec_`` secret), and
generate in the same process with ``webhooks=inbox``. Offline, as here, the built-in emulator
signs and delivers the webhooks to the app over loopback HTTP, so the whole path runs with no
account and no cost:

    pip install "veowrap[webhooks]" fastapi
    python examples/webhooks_fastapi.py [OUTPUT_DIR]
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from fastapi import FastAPI, Request, Response

import veowrap
from veowrap import webhooks
from veowrap.testing import VeoEmulator, WebhookReceiver


def build_app(inbox: webhooks.Inbox) -> FastAPI:
    """The endpoint: verify each delivery into ``inbox``; 204 if good (or a repeat), 400 if not."""
    app = FastAPI()

    @app.post("/webhooks/gemini")
    async def gemini_webhook(request: Request) -> Response:
        body = await request.body()  # the raw bytes: the signature covers them exactly
        try:
            # In a thread: a dynamic (v1a/JWT) delivery may fetch Google's key set first.
            await asyncio.to_thread(inbox.deliver, body, request.headers)
        except webhooks.WebhookVerificationError as error:
            # Names the failed check ("signature", "timestamp", ...), never the secret.
            return Response(status_code=400, content=error.check)
        return Response(status_code=204)

    return app


def main(output: Path) -> None:
    with VeoEmulator(latency=0.5) as emulator:
        # Production: webhooks.Inbox(secret=os.environ["GEMINI_WEBHOOK_SECRET"]).
        inbox = webhooks.Inbox(secret=emulator.webhooks.secret)
        with WebhookReceiver(app=build_app(inbox)) as endpoint:
            emulator.webhooks.configure(endpoint.url)  # Google: client.webhooks.create(uri=...)
            generator = veowrap.VideoGenerator(client=emulator.client())
            result = generator.generate(
                "a paper boat on a rainy street",
                model="gemini-omni-1.2-flash",
                webhooks=inbox,  # completes on the delivery; polls only every 60 s as a backstop
                timeout=120,
                on_event=lambda event: print(f"  {event.kind}"),
            )
            event = inbox.event_for(result.handle.name)
            print(f"  webhook {event.type if event else None} ({event.scheme if event else '-'})")
            (path,) = result.save(output)
    print(f"saved {path}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("out"))
