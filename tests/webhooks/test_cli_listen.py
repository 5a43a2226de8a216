"""``veowrap webhooks listen``: a real process receiving real signed deliveries over loopback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request

from veowrap.testing import WebhookSigner


def test_listen_prints_verified_events_and_refuses_forgeries() -> None:
    signer = WebhookSigner()
    env = {**os.environ, "HOOK_SECRET": signer.secret}
    command = [sys.executable, "-m", "veowrap.cli", "webhooks", "listen", "--port", "0"]
    command += ["--secret-env", "HOOK_SECRET", "--max-events", "1"]
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert process.stderr is not None and process.stdout is not None
        first = process.stderr.readline()
        assert first.startswith("listening on http://127.0.0.1:"), first
        url = first.split()[-1]
        body = signer.body("interaction.completed", {"id": "v1_abc"})
        headers = signer.headers(body)

        def post(data: bytes, heads: dict[str, str]) -> int:
            request = urllib.request.Request(url, data=data, headers=heads, method="POST")
            try:
                with urllib.request.urlopen(request, timeout=10) as response:
                    return int(response.status)
            except urllib.error.HTTPError as error:
                error.close()
                return int(error.code)

        assert post(body + b" ", headers) == 400
        assert "refused (signature)" in process.stderr.readline()
        assert post(body, headers) == 204
        out, err = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, err
    (line,) = out.splitlines()
    event = json.loads(line)
    assert event["type"] == "interaction.completed" and event["interaction_id"] == "v1_abc"
    assert signer.secret not in out + err


def test_listen_needs_a_secret_or_keys() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "veowrap.cli", "webhooks", "listen", "--secret-env", "NOPE_X"],
        env={k: v for k, v in os.environ.items() if k != "NOPE_X"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode != 0 and "NOPE_X" in completed.stderr


def test_manage_webhooks_from_the_command_line() -> None:
    from click.testing import CliRunner

    from veowrap.cli._app import cli
    from veowrap.testing import VeoEmulator

    with VeoEmulator() as emu:
        env: dict[str, str | None] = {**emu.env(), "GOOGLE_API_KEY": None}
        env.update(GOOGLE_CLOUD_PROJECT=None, GOOGLE_CLOUD_LOCATION=None)
        runner = CliRunner()

        def run(*args: str) -> str:
            result = runner.invoke(cli, ["webhooks", *args], env=env, catch_exceptions=False)
            assert result.exit_code == 0, result.output
            return result.output

        created = run("create", "--uri", "https://example.com/h", "--event", "video.generated")
        lines = dict(line.split(": ", 1) for line in created.splitlines() if ": " in line)
        hook_id, secret = lines["id"], lines["secret"]
        assert secret.startswith("whsec_")
        listed = run("list", "--json")
        assert json.loads(listed)["id"] == hook_id and secret not in listed
        rotated = run("rotate", hook_id)
        assert "secret: whsec_" in rotated and secret not in rotated
        assert "pinged" in run("ping", hook_id)
        assert "deleted" in run("delete", hook_id)
        assert run("list") == ""
        # The secret went to stdout once and nowhere else (the emulator's log masks nothing
        # it did not receive: the secret was never sent back to the service).
        assert all(secret not in json.dumps(r.body) for r in emu.requests)
