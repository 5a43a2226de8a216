"""FakeBackend through both generators: every scripted outcome, in virtual time."""

from __future__ import annotations

import inspect
import time
from pathlib import Path
from typing import Any

import pytest

import veowrap
from veowrap.backends.fake import (
    Failure,
    FakeBackend,
    FakeHTTPError,
    Filtered,
    NeverFinishes,
    QuotaExceeded,
    Success,
    UncertainSubmission,
    asset_video,
)

# The fixtures fake_backend, fake_generator and fake_async_generator come from veowrap's pytest
# plugin (veowrap.testing.pytest_plugin), as they do for users.


# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------


@pytest.fixture(params=["sync", "async"])
def generator(request: pytest.FixtureRequest) -> Any:
    """Each test runs through VideoGenerator and AsyncVideoGenerator."""
    name = "fake_generator" if request.param == "sync" else "fake_async_generator"
    return request.getfixturevalue(name)


async def call(generator: Any, method: str, *args: Any, **kwargs: Any) -> Any:
    """Calls a generator method, awaiting it on the async generator."""
    result = getattr(generator, method)(*args, **kwargs)
    return await result if inspect.isawaitable(result) else result


async def save(result: veowrap.GenerationResult, path: Path, flavour: Any) -> list[Path]:
    if isinstance(flavour, veowrap.AsyncVideoGenerator):
        return list(await result.save_async(path))
    return list(result.save(path))


# ---------------------------------------------------------------------------------------------
# Outcomes through the generators
# ---------------------------------------------------------------------------------------------


async def test_success_saves_the_real_asset_in_virtual_time(
    generator: Any, fake_backend: FakeBackend, tmp_path: Path
) -> None:
    fake_backend.script(Success())
    started = time.monotonic()
    result = await call(generator, "generate", "a paper boat", aspect_ratio="9:16")
    assert time.monotonic() - started < 2.0  # 30 s of latency took no real time
    assert fake_backend.clock() >= 30.0
    paths = await save(result, tmp_path, generator)
    assert len(paths) == 1
    data = paths[0].read_bytes()
    assert data == asset_video("9:16", 8)
    assert data[4:8] == b"ftyp"
    assert [request.prompt for request in fake_backend.submitted] == ["a paper boat"]
    assert result.handle.name == fake_backend.operations[0]
    assert result.handle.platform == "vertex"


async def test_inline_success_with_several_videos(
    generator: Any, fake_backend: FakeBackend, tmp_path: Path
) -> None:
    fake_backend.script(Success(videos=2, inline=True))
    result = await call(generator, "generate", "two boats", duration_seconds=4)
    assert len(result.videos) == 2
    assert all(video.uri is None for video in result.videos)
    paths = await save(result, tmp_path, generator)
    assert [path.read_bytes() for path in paths] == [asset_video("16:9", 4)] * 2


async def test_failure_raises_operation_failed(generator: Any, fake_backend: FakeBackend) -> None:
    fake_backend.script(Failure(code=3, message="The image could not be read."))
    with pytest.raises(veowrap.OperationFailedError) as caught:
        await call(generator, "generate", "a boat")
    assert caught.value.code == 3
    assert "could not be read" in str(caught.value)
    assert caught.value.handle is not None
    assert caught.value.handle.name == fake_backend.operations[0]


async def test_filtered_raises_content_filtered(generator: Any, fake_backend: FakeBackend) -> None:
    fake_backend.script(Filtered(reasons=("person generation is not allowed",)))
    with pytest.raises(veowrap.ContentFilteredError) as caught:
        await call(generator, "generate", "a boat")
    assert caught.value.reasons == ("person generation is not allowed",)
    assert caught.value.filtered_count == 1


async def test_never_finishes_times_out_in_virtual_time(
    generator: Any, fake_backend: FakeBackend
) -> None:
    fake_backend.script(NeverFinishes())
    started = time.monotonic()
    with pytest.raises(veowrap.OperationTimeoutError) as caught:
        await call(generator, "generate", "a boat", timeout=600)
    assert time.monotonic() - started < 2.0
    assert 600.0 - 1e-6 <= fake_backend.clock() < 700.0
    assert caught.value.handle is not None
    assert caught.value.handle.name == fake_backend.operations[0]
    assert not any(call.op == "cancel" for call in fake_backend.calls)


async def test_timeout_with_cancel_on_timeout_cancels(
    generator: Any, fake_backend: FakeBackend
) -> None:
    fake_backend.script(NeverFinishes())
    with pytest.raises(veowrap.OperationTimeoutError, match="cancelled"):
        await call(generator, "generate", "a boat", timeout=60, cancel_on_timeout=True)
    assert [call.op for call in fake_backend.calls][-1] == "cancel"


async def test_quota_errors_are_retried_then_raised(
    generator: Any, fake_backend: FakeBackend
) -> None:
    attempts = generator.retry_policy.attempts
    fake_backend.script(*[QuotaExceeded(retry_after=30.0)] * attempts)
    events: list[Any] = []
    started = time.monotonic()
    with pytest.raises(veowrap.QuotaExceededError) as caught:
        await call(generator, "generate", "a boat", on_event=events.append)
    assert time.monotonic() - started < 2.0
    assert caught.value.retry_after == 30.0
    assert fake_backend.submitted == []  # refused each time: nothing was accepted
    assert sum(call.op == "submit" for call in fake_backend.calls) == attempts
    retries = [event for event in events if isinstance(event, veowrap.events.Retrying)]
    assert len(retries) == attempts - 1
    assert all(event.delay >= 30.0 for event in retries)  # Retry-After is honoured
    assert fake_backend.clock() >= 30.0 * (attempts - 1)


async def test_one_quota_error_then_success(generator: Any, fake_backend: FakeBackend) -> None:
    fake_backend.script(QuotaExceeded(retry_after=5.0), Success())
    result = await call(generator, "generate", "a boat")
    assert len(result.videos) == 1
    assert len(fake_backend.submitted) == 1
    assert fake_backend.remaining == ()


async def test_uncertain_submission_is_not_resent(
    generator: Any, fake_backend: FakeBackend, tmp_path: Path
) -> None:
    fake_backend.script(UncertainSubmission())
    with pytest.raises(veowrap.SubmissionUncertainError) as caught:
        await call(generator, "generate", "a boat")
    assert caught.value.request.prompt == "a boat"
    assert len(fake_backend.submitted) == 1  # recorded, and never sent again
    assert sum(call.op == "submit" for call in fake_backend.calls) == 1
    # The operation exists on the "server": it can be found and waited for.
    result = await call(generator, "wait", fake_backend.operations[0])
    assert len(await save(result, tmp_path, generator)) == 1


async def test_submit_then_status_then_wait(generator: Any, fake_backend: FakeBackend) -> None:
    handle = await call(generator, "submit", "a boat")
    status = await call(generator, "status", handle)
    assert status.done is False
    fake_backend.advance(31)
    status = await call(generator, "status", handle)
    assert status.done is True
    result = await call(generator, "wait", handle)
    assert result.handle.name == handle.name


async def test_cancel_ends_the_operation(generator: Any, fake_backend: FakeBackend) -> None:
    handle = await call(generator, "submit", "a boat")
    await call(generator, "cancel", handle)
    with pytest.raises(veowrap.OperationFailedError) as caught:
        await call(generator, "wait", handle)
    assert caught.value.code == 1


async def test_unknown_operation_is_not_found(generator: Any) -> None:
    with pytest.raises(veowrap.OperationNotFoundError):
        await call(
            generator,
            "wait",
            "projects/p/locations/l/publishers/google/models/veo-3.1-generate-001/operations/x",
        )


async def test_platform_rules_apply_before_any_call(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeBackend(platform="gemini")
    generator = veowrap.VideoGenerator(backend=fake)
    with pytest.raises(veowrap.RequestValidationError):
        generator.generate("a boat", output_gcs_uri="gs://bucket/out/")
    assert fake.calls == []


async def test_gemini_platform_veo_names_and_uris(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    fake = FakeBackend(platform="gemini", latency=12)
    # strict=False: the model catalog knows Veo left the Gemini API; the fake still serves it.
    generator = veowrap.VideoGenerator(backend=fake, strict=False)
    result = generator.generate("a boat", model="veo-3.1-generate-preview")
    assert result.handle.platform == "gemini"
    assert result.handle.route == "operations"
    assert result.handle.name.startswith("models/veo-3.1-generate-preview/operations/")
    assert result.videos[0].uri is not None
    assert result.videos[0].uri.startswith("https://generativelanguage.googleapis.com/")
    assert result.save(tmp_path)[0].read_bytes() == asset_video()


# ---------------------------------------------------------------------------------------------
# The interactions route (gemini-* models), like the real backend
# ---------------------------------------------------------------------------------------------


@pytest.fixture(params=["gemini", "vertex"])
def interactions_generator(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> tuple[veowrap.VideoGenerator, FakeBackend]:
    fake = FakeBackend(platform=request.param, latency=20)
    generator = veowrap.VideoGenerator(backend=fake, model="gemini-omni-1.2-flash")
    return generator, fake


def test_interactions_success(
    interactions_generator: tuple[veowrap.VideoGenerator, FakeBackend], tmp_path: Path
) -> None:
    generator, fake = interactions_generator
    fake.script(Success(), Success(inline=True))
    for _ in range(2):
        result = generator.generate("a boat")
        assert result.handle.route == "interactions"
        assert result.save(tmp_path / "out/")[0].read_bytes() == asset_video()
    assert fake.clock() >= 40


@pytest.mark.parametrize(
    ("outcome", "error"),
    [
        (Failure(code=8, message="busy"), veowrap.OperationFailedError),
        (Filtered(), veowrap.ContentFilteredError),
        (NeverFinishes(), veowrap.OperationTimeoutError),
        (QuotaExceeded(), veowrap.QuotaExceededError),
        (UncertainSubmission(), veowrap.SubmissionUncertainError),
    ],
)
def test_interactions_outcomes(
    interactions_generator: tuple[veowrap.VideoGenerator, FakeBackend],
    outcome: Any,
    error: type[Exception],
) -> None:
    generator, fake = interactions_generator
    fake.script(*[outcome] * generator.retry_policy.attempts)
    with pytest.raises(error):
        generator.generate("a boat", timeout=300)


def test_interactions_cancel(
    interactions_generator: tuple[veowrap.VideoGenerator, FakeBackend],
) -> None:
    generator, _ = interactions_generator
    handle = generator.submit("a boat")
    generator.cancel(handle)
    with pytest.raises(veowrap.OperationCancelledError):
        generator.wait(handle)


def test_the_gemini_default_model_uses_interactions() -> None:
    fake = FakeBackend(platform="gemini")
    assert fake.default_model() == "gemini-omni-1.2-flash"
    assert fake.route_for(fake.default_model()) == "interactions"
    assert FakeBackend().route_for(FakeBackend().default_model()) == "operations"


def test_interactions_refuse_what_the_route_cannot_express() -> None:
    fake = FakeBackend(platform="gemini")
    generator = veowrap.VideoGenerator(backend=fake)
    with pytest.raises(veowrap.RequestValidationError, match="seed"):
        generator.generate("a boat", seed=3)
    assert fake.calls == []


# ---------------------------------------------------------------------------------------------
# The fake on its own
# ---------------------------------------------------------------------------------------------


def test_it_implements_both_protocols() -> None:
    from veowrap.backends._protocol import AsyncBackend, Backend

    fake = FakeBackend()
    assert isinstance(fake, Backend)
    assert isinstance(fake, AsyncBackend)


def test_it_is_deterministic() -> None:
    def run() -> list[Any]:
        fake = FakeBackend(latency=20).script(Success(), Failure(), NeverFinishes())
        request = veowrap.VideoRequest(prompt="x")
        return [fake.submit(request, "veo-3.1-generate-001") for _ in range(3)]

    assert run() == run()


def test_operations_finish_after_latency_on_the_virtual_clock() -> None:
    fake = FakeBackend(latency=10)
    operation = fake.submit(veowrap.VideoRequest(prompt="x"), "veo")
    handle = veowrap.OperationHandle(name=operation["name"], platform="vertex")
    assert fake.poll(handle)["done"] is False
    fake.sleep(9.5)
    assert fake.poll(handle)["done"] is False
    fake.sleep(0.5)
    assert fake.poll(handle)["done"] is True
    assert [call.at for call in fake.calls] == [0.0, 0.0, 9.5, 10.0]


async def test_sleep_async_advances_virtual_time() -> None:
    fake = FakeBackend()
    await fake.sleep_async(12.5)
    assert fake.clock() == 12.5


def test_quota_error_is_classified_by_the_core() -> None:
    from veowrap._core.faults import classify

    fake = FakeBackend().script(QuotaExceeded(retry_after=7))
    with pytest.raises(FakeHTTPError) as caught:
        fake.submit(veowrap.VideoRequest(prompt="x"), "veo")
    verdict = classify(caught.value, "submit")
    assert verdict.retry
    assert verdict.fault.status == 429
    assert verdict.fault.retry_after == 7.0
    assert verdict.fault.reason == "RESOURCE_EXHAUSTED"


def test_uncertain_submission_is_classified_uncertain() -> None:
    from veowrap._core.faults import classify

    fake = FakeBackend().script(UncertainSubmission(then=Failure()))
    with pytest.raises(ConnectionResetError) as caught:
        fake.submit(veowrap.VideoRequest(prompt="x"), "veo")
    assert classify(caught.value, "submit").uncertain
    assert len(fake.submitted) == 1


def test_exhausted_script_without_default_raises() -> None:
    fake = FakeBackend(default=None)
    generator = veowrap.VideoGenerator(backend=fake)
    with pytest.raises(veowrap.ConfigurationError, match="exhausted"):
        generator.generate("a boat")


def test_script_refuses_non_outcomes() -> None:
    with pytest.raises(TypeError):
        FakeBackend().script("success")  # type: ignore[arg-type]


def test_real_time_mode_uses_the_real_clock() -> None:
    fake = FakeBackend(latency=0.0, virtual_time=False)
    before = time.monotonic()
    fake.sleep(0.01)
    assert fake.clock() >= before + 0.01


def test_bad_settings_are_refused() -> None:
    with pytest.raises(veowrap.ConfigurationError):
        FakeBackend(platform="azure")  # type: ignore[arg-type]
    with pytest.raises(veowrap.ConfigurationError):
        FakeBackend(latency=-1)


# ---------------------------------------------------------------------------------------------
# Needs the wiring in BaseGenerator (see the report / docs/backends.md)
# ---------------------------------------------------------------------------------------------


def test_generators_take_the_backend_clock_and_sleep() -> None:
    fake = FakeBackend()
    generator = veowrap.VideoGenerator(backend=fake)
    assert generator._clock == fake.clock
    assert generator._sleep == fake.sleep  # type: ignore[attr-defined]
    agen = veowrap.AsyncVideoGenerator(backend=fake)
    assert agen._sleep_async == fake.sleep_async  # type: ignore[attr-defined]


def test_wired_generator_runs_in_virtual_time_without_help() -> None:
    fake = FakeBackend(latency=300).script(QuotaExceeded(retry_after=60), Success())
    generator = veowrap.VideoGenerator(backend=fake)
    assert generator._clock == fake.clock  # else the real sleeps below would take 15 minutes
    started = time.monotonic()
    generator.generate("a boat")
    assert time.monotonic() - started < 2.0


def test_backend_by_name() -> None:
    generator = veowrap.VideoGenerator(backend="fake")  # type: ignore[arg-type]
    assert isinstance(generator.backend, FakeBackend)
