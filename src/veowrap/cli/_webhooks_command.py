"""``veowrap webhooks``: manage the project's Gemini API webhooks, and a local receiver.

``list``/``create``/``rotate``/``ping``/``delete`` call google-genai's ``client.webhooks``
(Gemini API; credentials from the environment, as ``genai.Client()`` reads them). A new
signing secret is printed once, to stdout only, and never logged. ``listen`` is a local
receiver for development: point a tunnel (or the emulator's ``webhooks.configure``) at it and
watch what arrives; its secret is read from an environment variable, never from the command
line (where it would land in shell history and ``ps``).
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import click

from veowrap.cli._failing import guard
from veowrap.cli._options import Output

__all__ = ["webhooks"]


@click.group()
def webhooks() -> None:
    """Gemini API webhooks: manage them, or run a local receiver for development."""


def _client() -> Any:
    from google import genai

    from veowrap._errors import UnsupportedCapabilityError

    client = genai.Client()
    if not hasattr(client, "webhooks"):
        raise UnsupportedCapabilityError(
            f"google-genai {genai.__version__} has no webhooks resource.",
            hint="pip install -U google-genai (webhooks need 1.73.1 or later).",
        )
    return client


def _resource(hook: Any) -> dict[str, Any]:
    fields = ("id", "name", "uri", "subscribed_events", "state")
    return {name: getattr(hook, name, None) for name in fields}


def _show_secret(secret: str | None) -> None:
    # stdout only, once: never through logging, never on stderr (often captured to files).
    click.echo(f"secret: {secret}")
    click.echo("Store it now: it is not shown again.", err=True)


@webhooks.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per webhook.")
def list_(as_json: bool) -> None:
    """List the project's webhooks (secrets are never shown)."""

    def body() -> None:
        client = _client()  # kept: google-genai closes its pool when a client is collected
        page = client.webhooks.list()
        for hook in getattr(page, "webhooks", None) or []:
            row = _resource(hook)
            if as_json:
                click.echo(json.dumps(row))
            else:
                events = ",".join(row["subscribed_events"] or [])
                click.echo(f"{row['id']}  {row['state']}  {row['uri']}  {events}")

    guard(Output(as_json=as_json), body)


@webhooks.command()
@click.option("--uri", required=True, help="The HTTPS endpoint to deliver to.")
@click.option(
    "--event",
    "events",
    multiple=True,
    required=True,
    help="An event to subscribe to (repeatable), e.g. video.generated.",
)
@click.option("--name", default=None, help="A display name.")
def create(uri: str, events: tuple[str, ...], name: str | None) -> None:
    """Register a webhook; prints its id, and its signing secret once."""

    def body() -> None:
        from veowrap._core.webhooks import check_url

        # The same rule as webhook= (one home), before anything is sent.
        check_url("uri", uri, hint="Give the HTTPS URL Google should deliver to.")
        client = _client()
        hook = client.webhooks.create(uri=uri, subscribed_events=list(events), name=name)
        click.echo(f"id: {hook.id}")
        _show_secret(hook.new_signing_secret)

    guard(Output(), body)


@webhooks.command()
@click.argument("webhook_id")
@click.option(
    "--revoke-now", is_flag=True, help="Revoke the old secret at once (default: after 24 h)."
)
def rotate(webhook_id: str, revoke_now: bool) -> None:
    """Rotate a webhook's signing secret; prints the new one once."""

    def body() -> None:
        behavior = (
            "revoke_previous_secrets_immediately"
            if revoke_now
            else "revoke_previous_secrets_after_h24"
        )
        client = _client()
        answer = client.webhooks.rotate_signing_secret(id=webhook_id, revocation_behavior=behavior)
        _show_secret(answer.secret)

    guard(Output(), body)


@webhooks.command()
@click.argument("webhook_id")
def ping(webhook_id: str) -> None:
    """Ask Google to send a test delivery to a webhook."""

    def body() -> None:
        client = _client()
        client.webhooks.ping(id=webhook_id)
        click.echo("pinged")

    guard(Output(), body)


@webhooks.command()
@click.argument("webhook_id")
def delete(webhook_id: str) -> None:
    """Delete a webhook."""

    def body() -> None:
        client = _client()
        client.webhooks.delete(id=webhook_id)
        click.echo("deleted")

    guard(Output(), body)


@webhooks.command()
@click.option("--port", type=int, default=8787, show_default=True, help="Port (0: any free).")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--secret-env",
    metavar="VAR",
    default=None,
    help="Environment variable holding the whsec_ secret (static webhooks).",
)
@click.option(
    "--jwks",
    metavar="URL",
    default=None,
    help="Key set for dynamic webhooks (v1a/JWT); 'google' for Google's.",
)
@click.option("--max-events", type=int, default=None, help="Exit after this many events.")
def listen(
    port: int, host: str, secret_env: str | None, jwks: str | None, max_events: int | None
) -> None:
    """Receive webhook deliveries, verify them, print each new event as a JSON line.

    Refused deliveries are answered 400 and reported on stderr with the check that failed;
    repeats of a delivery id are answered 204 and not printed again. Stop with Ctrl-C.
    """
    guard(Output(), lambda: _listen(port, host, secret_env, jwks, max_events))


def _listen(
    port: int, host: str, secret_env: str | None, jwks: str | None, max_events: int | None
) -> None:
    from veowrap import webhooks as hooks
    from veowrap._errors import ConfigurationError

    secret = None
    if secret_env is not None:
        secret = os.environ.get(secret_env)
        if not secret:
            raise ConfigurationError(
                f"The environment variable {secret_env} is not set or empty.",
                hint=f"export {secret_env}=whsec_... (the secret shown when the webhook was "
                "created).",
            )
    if secret is None and jwks is None:
        raise ConfigurationError(
            "Nothing to verify with.",
            hint="Pass --secret-env VAR (static webhooks) and/or --jwks google (dynamic).",
        )
    keys = hooks.GOOGLE_JWKS_URL if jwks == "google" else jwks
    inbox = hooks.Inbox(secret=secret, jwks=keys)
    done = threading.Event()
    printed = [0]
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: events go to stdout, refusals to stderr."""

        def do_POST(self) -> None:
            length = self.headers.get("Content-Length") or "0"
            if not length.isdigit() or int(length) > hooks.MAX_BODY_BYTES:
                self._answer(413)
                return
            body = self.rfile.read(int(length))
            try:
                event = inbox.deliver(body, list(self.headers.items()))
            except hooks.WebhookVerificationError as error:
                click.echo(f"refused ({error.check}): {error.message}", err=True)
                self._answer(400)
                return
            self._answer(204)
            if event is not None:
                with lock:
                    click.echo(json.dumps(_summary(event)))
                    sys.stdout.flush()
                    printed[0] += 1
                    if max_events is not None and printed[0] >= max_events:
                        done.set()

        def _answer(self, status: int) -> None:
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    click.echo(f"listening on http://{host}:{server.server_address[1]}/", err=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        done.wait()
    except KeyboardInterrupt:  # Ctrl-C is how a development listener ends
        pass
    finally:
        server.shutdown()
        thread.join(timeout=5)
        with contextlib.suppress(OSError):
            server.server_close()


def _summary(event: Any) -> dict[str, Any]:
    fields = ("id", "type", "scheme", "operation_name", "interaction_id", "batch_id")
    out = {name: getattr(event, name) for name in fields if getattr(event, name) is not None}
    out["timestamp"] = event.timestamp.isoformat()
    for name in ("output_uri", "error_code", "error_message"):
        if getattr(event, name) is not None:
            out[name] = getattr(event, name)
    return out
