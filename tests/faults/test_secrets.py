"""No credential ever reaches a log, an exception, a handle, an event or a repr.

A representative subset of the fault matrix runs with a recognisable API key and bearer token
(``conftest.API_KEY``/``TOKEN``): successes, retried faults, uncertain submissions, failed and
filtered operations, timeouts, Ctrl-C, download and disk failures, on every route. Everything a
user could see or log is collected and searched.

(veowrap's CLI is being written separately; its output is not covered here yet.)
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest

from veowrap.testing import VeoEmulator

from .conftest import API_KEY, TOKEN
from .harness import LATENCY, ROUTES, Harness, sdk_sends_gemini_veo
from .scenarios import SCENARIOS

SUBSET = [
    "vx-create-429-retry-after",
    "vx-create-503-always",
    "vx-create-refused",
    "vx-create-reset-after-accept",
    "vx-create-read-timeout",
    "vx-create-malformed",
    "vx-poll-503-always",
    "vx-poll-malformed-always",
    "vx-op-error",
    "vx-op-filtered",
    "vx-op-not-found",
    "vx-deadline",
    "vx-ctrl-c-wait",
    "vx-disk-full",
    "gcs-download-cut-always",
    "gcs-download-503-always",
    "gcs-download-slow-always",
    "gcs-permission-denied",
    "gcs-some-filtered",
    "gm-create-429-bare",
    "gm-op-error",
    "gm-download-503-always",
    "ix-create-429-retry-after",
    "ix-create-reset-after-accept",
    "ix-op-error",
    "ix-op-filtered",
    "ix-deadline",
    "ixf-download-cut-always",
    "ixf-disk-full",
]
ROWS = {row.id: row for row in SCENARIOS}


def _exception_texts(error: BaseException | None) -> list[str]:
    texts: list[str] = []
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        texts += [str(error), repr(error), *getattr(error, "__notes__", ())]
        for name in ("handle", "request", "hint", "message"):
            value = getattr(error, name, None)
            if value is not None:
                texts.append(repr(value))
                if hasattr(value, "to_json"):
                    texts.append(value.to_json())
        error = error.__cause__ or error.__context__
    return texts


def test_subset_covers_every_route() -> None:
    assert {ROWS[row_id].route for row_id in SUBSET} == set(ROUTES)


@pytest.mark.parametrize("flavour", ["sync", "async"])
def test_no_secret_anywhere(
    flavour: str,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    caplog.set_level(logging.DEBUG)  # the root logger: veowrap, google_genai, httpx, urllib3
    for name in ("veowrap", "google_genai", "httpx", "httpx2", "httpcore", "urllib3"):
        logging.getLogger(name).setLevel(logging.DEBUG)
    texts: list[str] = []
    ran = 0
    for row_id in SUBSET:
        row = ROWS[row_id]
        route = ROUTES[row.route]
        if route.needs_sdk2 and not sdk_sends_gemini_veo():
            continue
        with VeoEmulator(latency=LATENCY, api_key=API_KEY, token=TOKEN) as emu:
            destination = tmp_path / row_id
            destination.mkdir()
            with monkeypatch.context() as patch:
                h = Harness(
                    emu,
                    flavour,
                    route,
                    destination,
                    patch,
                    client_timeout_ms=row.client_timeout_ms,
                    refused=row.refused,
                )
                try:
                    row.arrange(h)
                    run = row.act(h, row) if row.act else h.run(row.timeout, row.fields)
                finally:
                    h.close()
            ran += 1
            texts += [repr(h.generator), repr(h.generator.backend)]
            texts += [repr(event) for event in run.events]
            texts += _exception_texts(run.error)
            if run.result is not None:
                texts += [repr(run.result), run.result.handle.to_json(), repr(run.result.handle)]
                texts += [repr(video) for video in run.result.videos]
                texts += [str(path) for path in run.paths]
            # The emulator's own request log masks credentials too.
            texts += [repr(request) for request in emu.requests]
    assert ran >= len(SUBSET) - 3
    captured = capfd.readouterr()
    texts += [captured.out, captured.err]
    for record in caplog.records:
        texts.append(record.getMessage())
        texts.append(repr(record.args))
        if record.exc_info:
            texts += _exception_texts(record.exc_info[1])
    blob = "\n".join(texts)
    assert len(blob) > 10_000  # the search ran over real material
    for secret in (API_KEY, TOKEN, API_KEY[10:], TOKEN[10:]):
        assert secret not in blob, _context(blob, secret)


def _context(blob: str, secret: str) -> Any:
    at = blob.index(secret)
    return f"secret found: ...{blob[max(0, at - 300) : at + 60]}..."
