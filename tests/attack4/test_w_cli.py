"""Attacks on ``veowrap webhooks listen``: a real process, real loopback HTTP."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from veowrap.testing import WebhookSigner

CREDENTIAL = "pw-s3cr3t-attack4"


@contextmanager
def listener(*args: str, env: dict[str, str]) -> Iterator[tuple[subprocess.Popen[str], str]]:
    command = [sys.executable, "-m", "veowrap.cli", "webhooks", "listen", "--port", "0", *args]
    process = subprocess.Popen(
        command,
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stderr is not None
        first = process.stderr.readline()
        yield process, first
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=10)


def post(url: str, body: bytes, headers: dict[str, str]) -> int | str:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        error.close()
        return int(error.code)
    except (urllib.error.URLError, ConnectionError) as error:
        return type(error).__name__


def test_w_listen_refuses_forgeries_and_prints_no_secret() -> None:
    signer = WebhookSigner()
    with listener("--secret-env", "HOOK4", "--max-events", "1", env={"HOOK4": signer.secret}) as (
        process,
        first,
    ):
        assert first.startswith("listening on http://127.0.0.1:"), first
        url = first.split()[-1]
        body = signer.body("interaction.completed", {"id": "v1_abc"})
        good = signer.headers(body)
        stale = signer.headers(body, timestamp=int(time.time()) - 3600)
        assert post(url, body.replace(b"abc", b"abd"), good) == 400
        assert post(url, body, stale) == 400
        assert post(url, body, {**good, "webhook-signature": "v1,AAAA " * 9}) == 400
        assert post(url, body, good) == 204
        out, err = process.communicate(timeout=20)
    assert process.returncode == 0
    assert signer.secret not in out + err and signer.secret[6:] not in out + err
    assert good["webhook-signature"].split(",", 1)[1] not in out + err
    assert err.count("refused (") == 3


def test_w_listen_refuses_a_bad_key_set_url_at_start_without_echoing_it() -> None:
    signer = WebhookSigner()
    bad = f"https://alice:{CREDENTIAL}@127.0.0.1:9/jwks"
    outputs: list[Any] = []
    with listener(
        "--secret-env", "HOOK4", "--jwks", bad, "--max-events", "1", env={"HOOK4": signer.secret}
    ) as (process, first):
        if first.startswith("listening"):
            url = first.split()[-1]
            body = signer.body("interaction.completed", {"id": "v1_abc"})
            outputs.append(post(url, body, signer.headers(body, schemes=("v1a",))))
            post(url, body, signer.headers(body))  # ends the listener (--max-events 1)
        out, err = process.communicate(timeout=20)
    assert CREDENTIAL not in first + out + err
    assert not first.startswith("listening"), (first, outputs)
    assert process.returncode != 0


def test_w_listen_refuses_an_empty_key_secret_at_start() -> None:
    signer = WebhookSigner()
    with listener("--secret-env", "HOOK4", "--max-events", "1", env={"HOOK4": "whsec_"}) as (
        process,
        first,
    ):
        answers = []
        if first.startswith("listening"):
            url = first.split()[-1]
            body = signer.body("interaction.completed", {"id": "v1_abc"})
            answers.append(post(url, body, signer.headers(body)))
            process.kill()
        process.communicate(timeout=20)
    assert not first.startswith("listening"), (first, answers)


def test_w_webhooks_create_refuses_a_plain_http_uri_before_sending() -> None:
    from click.testing import CliRunner

    from veowrap.cli._app import cli
    from veowrap.testing import VeoEmulator

    with VeoEmulator() as emu:
        env: dict[str, str | None] = {**emu.env(), "GOOGLE_API_KEY": None}
        env.update(GOOGLE_CLOUD_PROJECT=None, GOOGLE_CLOUD_LOCATION=None)
        result = CliRunner().invoke(
            cli,
            ["webhooks", "create", "--uri", "http://example.com/h", "--event", "video.generated"],
            env=env,
        )
        sent = [r for r in emu.requests if r.endpoint == "webhooks"]
    assert sent == [], result.output
    assert result.exit_code != 0
