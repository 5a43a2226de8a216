"""Faults injected by the emulator reach the caller as typed errors, never as double payment."""

from __future__ import annotations

import json
import logging
import socket
from pathlib import Path
from typing import Any

import pytest

import veowrap
from veowrap.testing import Fault, Outcome, VeoEmulator

from .conftest import (
    API_KEY,
    FAST_POLLS,
    FAST_RETRIES,
    TOKEN,
    Driver,
    creates,
    resume_in_new_process,
)

MODEL = "veo-3.1-generate-001"


def test_429_then_success_on_create_submits_once(vertex: Driver, emu: VeoEmulator) -> None:
    emu.inject("create", Fault.http(429, retry_after=0.01), times=2)
    retries: list[veowrap.events.Retrying] = []
    result = vertex.generate(
        "a fox",
        model=MODEL,
        on_event=lambda e: retries.append(e) if e.kind == "retrying" else None,
    )
    assert len(result.videos) == 1
    assert creates(emu) == 3
    assert emu.accepted_submissions == 1
    assert [event.phase for event in retries] == ["submit", "submit"]


def test_reset_after_acceptance_is_uncertain_and_not_resent(
    vertex: Driver, emu: VeoEmulator
) -> None:
    emu.inject("create", Fault.reset_after_accept())
    with pytest.raises(veowrap.SubmissionUncertainError) as caught:
        vertex.generate("a fox", model=MODEL)
    assert caught.value.request.prompt == "a fox"
    assert creates(emu) == 1
    assert emu.accepted_submissions == 1


def test_reset_before_acceptance_is_also_uncertain_to_the_client(
    vertex: Driver, emu: VeoEmulator
) -> None:
    # The client cannot tell the two resets apart, so it must not re-send either.
    emu.inject("create", Fault.reset_before_accept())
    with pytest.raises(veowrap.SubmissionUncertainError):
        vertex.generate("a fox", model=MODEL)
    assert creates(emu) == 1
    assert emu.accepted_submissions == 0


def test_read_timeout_on_create_is_uncertain(emu: VeoEmulator, flavour: str) -> None:
    driver = Driver(flavour, client=emu.client(vertex=True, timeout_ms=300))
    emu.inject("create", Fault.stall(1.0))
    with pytest.raises(veowrap.SubmissionUncertainError):
        driver.generate("a fox", model=MODEL)
    assert creates(emu) == 1


def test_connection_refused_is_retried_then_reported(flavour: str) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    from google import genai
    from google.genai import types

    client = genai.Client(
        api_key=API_KEY,
        vertexai=True,
        http_options=types.HttpOptions(base_url=f"http://127.0.0.1:{port}"),
    )
    events: list[str] = []
    driver = Driver(flavour, client=client)
    with pytest.raises(veowrap.ServiceUnavailableError):
        driver.generate("a fox", model=MODEL, on_event=lambda e: events.append(e.kind))
    assert events.count("retrying") == 3  # attempts=4 in the fast policy


@pytest.mark.parametrize("status", [500, 502, 503, 504, 429])
def test_transient_poll_errors_are_retried(vertex: Driver, emu: VeoEmulator, status: int) -> None:
    emu.inject("poll", Fault.http(status), times=2)
    assert len(vertex.generate("a fox", model=MODEL).videos) == 1
    assert emu.accepted_submissions == 1


def test_malformed_poll_answer_is_retried(vertex: Driver, emu: VeoEmulator) -> None:
    emu.inject("poll", Fault.malformed_json())
    assert len(vertex.generate("a fox", model=MODEL).videos) == 1


def test_quota_that_never_clears(vertex: Driver, emu: VeoEmulator) -> None:
    emu.inject("create", Fault.http(429, retry_after=0.01), times=10)
    with pytest.raises(veowrap.QuotaExceededError) as caught:
        vertex.generate("a fox", model=MODEL)
    assert caught.value.retry_after == pytest.approx(0.01)
    assert emu.accepted_submissions == 0


# -- a caller's client whose google-genai retries are on: veowrap's decide alone ----------------
# google-genai would retry 408/429/5xx and broken connections five times on such a client; a
# create it re-sent could start (and bill) a second video. veowrap sends through a view of the
# client with the SDK's retries off, built once per backend, and leaves the client untouched.


def _sdk_retrying_client(emu: VeoEmulator) -> Any:
    from google.genai import types

    retries = types.HttpRetryOptions(attempts=5, initial_delay=0.01, max_delay=0.02)
    return emu.client(vertex=True, retry_options=retries)


@pytest.mark.parametrize("status", [500, 503])
def test_sdk_retries_never_resend_a_veo_create(emu: VeoEmulator, flavour: str, status: int) -> None:
    driver = Driver(flavour, client=_sdk_retrying_client(emu))
    emu.inject("create", Fault.http(status), times=20)
    with pytest.raises(veowrap.VeowrapError):
        for _ in range(2):  # the second create reuses the view built by the first
            driver.generate("a fox", model=MODEL)
    # 500 may follow an accepted create: one try, no retry. 503 proves a refusal: veowrap's
    # four attempts. Never the SDK's five per attempt.
    assert creates(emu) == (1 if status == 500 else FAST_RETRIES.attempts)
    driver.loop.close()


def test_sdk_retries_never_resend_a_create_after_a_reset(emu: VeoEmulator, flavour: str) -> None:
    driver = Driver(flavour, client=_sdk_retrying_client(emu))
    emu.inject("create", Fault.reset_after_accept())
    with pytest.raises(veowrap.SubmissionUncertainError):
        driver.generate("a fox", model=MODEL)
    assert creates(emu) == 1
    assert emu.accepted_submissions == 1
    driver.loop.close()


def test_sdk_retries_do_not_stack_under_veowrap_polls(emu: VeoEmulator, flavour: str) -> None:
    driver = Driver(flavour, client=_sdk_retrying_client(emu))
    emu.inject("poll", Fault.http(503), times=2)
    events: list[veowrap.events.Event] = []
    assert len(driver.generate("a fox", model=MODEL, on_event=events.append).videos) == 1
    # Each failed poll is seen (and retried) by veowrap, not swallowed by SDK backoff.
    assert [e.phase for e in events if e.kind == "retrying"] == ["poll", "poll"]
    driver.loop.close()


def test_without_the_view_each_create_carries_its_own_retry_options(
    emu: VeoEmulator, flavour: str
) -> None:
    from veowrap.backends._no_retry import no_retry_api_client

    assert no_retry_api_client(object()) is None  # an SDK without the seams gets no view
    driver = Driver(flavour, client=_sdk_retrying_client(emu))
    driver.generator.backend._no_retry_tried = True  # as if this SDK had no seams
    emu.inject("create", Fault.http(500), times=20)
    with pytest.raises(veowrap.SubmissionUncertainError):
        driver.generate("a fox", model=MODEL)
    assert creates(emu) == 1
    driver.loop.close()


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # prompt=: works on every SDK
def test_the_callers_client_keeps_its_own_retries_and_connections(emu: VeoEmulator) -> None:
    import gc

    client = _sdk_retrying_client(emu)
    generator = veowrap.VideoGenerator(client=client, poll_schedule=FAST_POLLS)
    generator.generate("a fox", model=MODEL)
    del generator
    gc.collect()  # the view must not close the client's connections when it goes
    emu.inject("create", Fault.http(503), times=2)
    before = creates(emu)
    operation = client.models.generate_videos(model=MODEL, prompt="a fox")
    assert operation.name
    assert creates(emu) - before == 3  # the client's own policy: two retries, then accepted


def test_operation_error(vertex: Driver, emu: VeoEmulator) -> None:
    emu.script(Outcome.error(code=3, message="the prompt is too vague"))
    with pytest.raises(veowrap.OperationFailedError) as caught:
        vertex.generate("a fox", model=MODEL)
    assert caught.value.code == 3 and "too vague" in str(caught.value)
    assert caught.value.handle is not None


def test_all_filtered(vertex: Driver, emu: VeoEmulator) -> None:
    emu.script(Outcome.filtered(reasons=["celebrity likeness"]))
    with pytest.raises(veowrap.ContentFilteredError) as caught:
        vertex.generate("a fox", model=MODEL)
    assert caught.value.reasons == ("celebrity likeness",)
    assert caught.value.handle is not None


def test_expired_operation(vertex: Driver, emu: VeoEmulator) -> None:
    handle = vertex.submit("a fox", model=MODEL)
    emu.expire(handle.name)
    with pytest.raises(veowrap.OperationNotFoundError):
        vertex.wait(handle)


def test_server_side_validation_error(emu: VeoEmulator, flavour: str) -> None:
    unchecked = Driver(flavour, client=emu.client(vertex=True), strict=False)
    with pytest.raises(veowrap.ServiceRejectedError, match="durationSeconds") as caught:
        unchecked.generate("a fox", model=MODEL, duration_seconds=5)
    assert caught.value.field == "duration_seconds"  # the field the server named
    assert emu.accepted_submissions == 0


def test_catalog_refuses_before_any_request(vertex: Driver, emu: VeoEmulator) -> None:
    with pytest.raises(veowrap.RequestValidationError, match="duration_seconds=5") as caught:
        vertex.generate("a fox", model=MODEL, duration_seconds=5)
    # A live model that would take it (Veo 2 took 5 s but retired on Vertex AI 2026-06-30).
    assert "gemini-omni-1.2-flash takes 5 s" in str(caught.value)
    assert "Source: https://docs.cloud.google.com/" in str(caught.value)
    assert emu.requests == []


def test_budget_guard_refuses_before_any_request(vertex: Driver, emu: VeoEmulator) -> None:
    with pytest.raises(veowrap.BudgetExceededError):
        vertex.generate("a fox", model=MODEL, duration_seconds=8, budget=0.5)
    assert emu.requests == [] and emu.accepted_submissions == 0


def test_unknown_model(vertex: Driver) -> None:
    with pytest.raises(veowrap.UnsupportedCapabilityError, match="veo-9"):
        vertex.generate("a fox", model="veo-9-imaginary")


def test_gemini_only_parameters_are_refused_before_any_call(
    gemini: Driver, emu: VeoEmulator
) -> None:
    with pytest.raises(veowrap.RequestValidationError) as caught:
        gemini.generate("a fox", model="veo-3.0-generate-preview", seed=7)
    assert caught.value.field == "seed" and "Vertex AI" in str(caught.value)
    assert emu.requests == []


def test_cut_download_leaves_no_file(vertex: Driver, emu: VeoEmulator, tmp_path: Path) -> None:
    result = vertex.generate("a fox", model=MODEL, output_gcs_uri="gs://b/o/")
    emu.inject("gcs_download", Fault.cut_short(after_bytes=100), times=10)
    target = tmp_path / "fox.mp4"
    with pytest.raises(veowrap.DownloadError) as caught:
        vertex.save(result, target)
    assert caught.value.handle == result.handle
    assert list(tmp_path.iterdir()) == []


def test_cut_download_recovers_on_retry(vertex: Driver, emu: VeoEmulator, tmp_path: Path) -> None:
    result = vertex.generate("a fox", model=MODEL, output_gcs_uri="gs://b/o/")
    emu.inject("gcs_download", Fault.cut_short(after_bytes=100))
    (path,) = vertex.save(result, tmp_path / "fox.mp4")
    assert [p.name for p in tmp_path.iterdir()] == ["fox.mp4"]
    assert path.stat().st_size > 100


def test_timeout_hands_back_a_handle_that_resumes_in_a_new_process(
    vertex: Driver, emu: VeoEmulator, tmp_path: Path
) -> None:
    emu.set_latency(1.0)
    with pytest.raises(veowrap.OperationTimeoutError) as caught:
        vertex.generate("a slow fox", model=MODEL, timeout=0.2)
    handle = caught.value.handle
    assert handle is not None
    client = f"""import google.oauth2.credentials
client = genai.Client(vertexai=True, project="test-project", location="us-central1",
    credentials=google.oauth2.credentials.Credentials(token={TOKEN!r}),
    http_options=types.HttpOptions(base_url={emu.base_url!r}))"""
    out = resume_in_new_process(client, handle, tmp_path)
    assert out.exists() and emu.accepted_submissions == 1


def test_keyboard_interrupt_during_wait_keeps_the_handle(vertex: Driver, emu: VeoEmulator) -> None:
    emu.set_latency(5.0)

    def interrupt(event: veowrap.events.Event) -> None:
        if event.kind == "polled":
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt) as caught:
        vertex.generate("a fox", model=MODEL, on_event=interrupt)
    notes = " ".join(getattr(caught.value, "__notes__", []))
    assert "still running" in notes and emu.operations[0] in notes


def test_secrets_never_leak(
    emu: VeoEmulator, flavour: str, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    caplog.set_level(logging.DEBUG)
    seen: list[str] = []
    texts: list[str] = []
    for client, gcs in ((emu.client(vertex=True), "gs://b/o/"), (emu.client(express=True), None)):
        driver = Driver(flavour, client=client)
        texts.append(repr(driver.generator))
        result = driver.generate(
            "a fox", model=MODEL, on_event=lambda e: seen.append(repr(e)), output_gcs_uri=gcs
        )
        texts += [repr(result), result.handle.to_json(), repr(result.videos[0])]
        driver.save(result, tmp_path / ("gcs.mp4" if gcs else "inline.mp4"))  # no overwrite
        emu.inject("create", Fault.http(429), times=10)
        try:
            driver.generate("a fox", model=MODEL)
        except veowrap.VeowrapError as error:
            texts += [str(error), repr(error)]
        emu.reset()
    texts += seen + [record.getMessage() for record in caplog.records]
    blob = "\n".join(texts)
    assert API_KEY not in blob and TOKEN not in blob
    assert json.loads(texts[2])["name"]


def test_express_mode_gcs_output_explains_why_it_cannot_download(
    emu: VeoEmulator, flavour: str, tmp_path: Path
) -> None:
    driver = Driver(flavour, client=emu.client(express=True))
    result = driver.generate("a fox", model=MODEL, output_gcs_uri="gs://b/o/")
    with pytest.raises(veowrap.DownloadError, match="express-mode"):
        driver.save(result, tmp_path / "fox.mp4")
    assert list(tmp_path.iterdir()) == []
