"""The fault matrix's harness: routes, a per-test context, and the invariants every row checks.

A :class:`Harness` builds a real ``google.genai.Client`` pointed at the emulator, wraps it in a
``VideoGenerator`` or ``AsyncVideoGenerator`` (through ``tests.generators``' ``Driver``), runs
one generation plus its download, and records what came back: the result or the exception,
the events, and how long each half took.
"""

from __future__ import annotations

import asyncio
import errno
import inspect
import os
import re
import socket
import time
import types as pytypes
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import veowrap
import veowrap._download
import veowrap._files
from veowrap.backends.genai import GenAIBackend
from veowrap.testing import VeoEmulator, inspect_mp4

RouteName = Literal["vertex", "vertex-gcs", "gemini-ops", "omni", "omni-uri"]

FAST_POLLS = veowrap.PollSchedule.fixed(0.02)
FAST_RETRIES = veowrap.RetryPolicy(attempts=4, initial_delay=0.01, max_delay=0.2, jitter=0)
LATENCY = 0.05
#: Seconds a download may stall before it is retried (``GenAIBackend(download_timeout=)``).
DOWNLOAD_TIMEOUT = 0.2
#: Seconds a client call may take in the rows that test read timeouts.
CLIENT_TIMEOUT_MS = 300
#: Slack allowed past a deadline: the last call in flight, thread hand-offs, a loaded CI box.
DEADLINE_SLACK = 0.75
#: A save has no deadline of its own; it is bounded by attempts x download_timeout + delays.
SAVE_BOUND = FAST_RETRIES.attempts * (DOWNLOAD_TIMEOUT + FAST_RETRIES.max_delay) + DEADLINE_SLACK
PROMPT = "a paper boat on a rainy street"


@dataclass(frozen=True)
class RouteSpec:
    """How to reach one wire route: the client, the model and the emulator endpoint names."""

    name: RouteName
    title: str
    model: str
    client: Literal["vertex", "gemini"]
    fields: dict[str, Any]
    create: str
    poll: str
    download: str | None  # None: the video arrives inline (no HTTP download)
    strict: bool = True
    needs_sdk2: bool = False


ROUTES: dict[str, RouteSpec] = {
    spec.name: spec
    for spec in (
        RouteSpec(
            "vertex",
            "Vertex AI operations, inline video",
            "veo-3.1-generate-001",
            "vertex",
            {},
            "create",
            "poll",
            None,
        ),
        RouteSpec(
            "vertex-gcs",
            "Vertex AI operations, output_gcs_uri",
            "veo-3.1-generate-001",
            "vertex",
            {"output_gcs_uri": "gs://bucket/out/"},
            "create",
            "poll",
            "gcs_download",
        ),
        RouteSpec(
            "gemini-ops",
            "Gemini API operations (google-genai 2.x only)",
            "veo-3.0-generate-preview",
            "gemini",
            {},
            "create",
            "poll",
            "download",
            strict=False,
            needs_sdk2=True,
        ),
        RouteSpec(
            "omni",
            "Interactions (Gemini API), inline video",
            "gemini-omni-1.2-flash",
            "gemini",
            {},
            "interaction_create",
            "interaction_get",
            None,
        ),
        RouteSpec(
            "omni-uri",
            "Interactions (Gemini API), Files API delivery",
            "gemini-omni-1.2-flash",
            "gemini",
            {"resolution": "1080p"},
            "interaction_create",
            "interaction_get",
            "download",
        ),
    )
}


def sdk_sends_gemini_veo() -> bool:
    """google-genai 2.x still sends Veo on the Gemini API; 3.x refuses before sending."""
    from google.genai import models

    return hasattr(models, "_GenerateVideosParameters_to_mldev")


def closed_port() -> int:
    """A loopback port nothing listens on (connection refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def failing_os(**overrides: Callable[..., Any]) -> Any:
    """A stand-in for the ``os`` module seen by ``veowrap._files`` (the file layer only)."""
    namespace = pytypes.SimpleNamespace(**{k: getattr(os, k) for k in dir(os) if k[0] != "_"})
    for name, replacement in overrides.items():
        setattr(namespace, name, replacement)
    return namespace


def raise_oserror(code: int) -> Callable[..., Any]:
    def fail(*args: Any, **kwargs: Any) -> Any:
        raise OSError(code, os.strerror(code))

    return fail


ENOSPC = errno.ENOSPC
EACCES = errno.EACCES


@dataclass
class Run:
    """What one row's run produced."""

    result: veowrap.GenerationResult | None = None
    paths: list[Path] = field(default_factory=list)
    error: BaseException | None = None
    failed_in: Literal["generate", "save", None] = None
    generate_seconds: float = 0.0
    save_seconds: float = 0.0
    events: list[Any] = field(default_factory=list)


class Harness:
    """One row, one flavour: the emulator, the generator, the destination, the hooks."""

    def __init__(
        self,
        emu: VeoEmulator,
        flavour: str,
        route: RouteSpec,
        destination: Path,
        monkeypatch: Any,
        client_timeout_ms: int | None = None,
        refused: bool = False,
    ) -> None:
        self.emu = emu
        self.flavour = flavour
        self.route = route
        self.destination = destination
        self.monkeypatch = monkeypatch
        self.loop = asyncio.new_event_loop()
        self.hooks: list[Callable[[Any], None]] = []
        self.events: list[Any] = []
        self.client = self._client(client_timeout_ms, refused)
        backend = GenAIBackend(
            self.client,
            download_timeout=DOWNLOAD_TIMEOUT,
            storage_base_url=emu.base_url,
        )
        kind = veowrap.VideoGenerator if flavour == "sync" else veowrap.AsyncVideoGenerator
        self.generator: Any = kind(
            backend=backend,
            poll_schedule=FAST_POLLS,
            retry_policy=FAST_RETRIES,
            strict=route.strict,
        )

    def _client(self, timeout_ms: int | None, refused: bool) -> Any:
        if refused:
            from google import genai
            from google.genai import types

            base = f"http://127.0.0.1:{closed_port()}"
            if self.route.client == "vertex":
                import google.oauth2.credentials

                return genai.Client(
                    vertexai=True,
                    project="test-project",
                    location="us-central1",
                    credentials=google.oauth2.credentials.Credentials(token=self.emu.token),  # type: ignore[no-untyped-call]
                    http_options=types.HttpOptions(base_url=base),
                )
            return genai.Client(
                api_key=self.emu.api_key,
                http_options=types.HttpOptions(base_url=base, api_version="v1beta"),
            )
        return self.emu.client(vertex=self.route.client == "vertex", timeout_ms=timeout_ms)

    # -- helpers for rows --------------------------------------------------------------------

    def endpoint(self, kind: str) -> str:
        """The emulator endpoint that plays ``kind`` (create, poll, download) on this route."""
        name = getattr(self.route, kind)
        assert name is not None, f"route {self.route.name} has no {kind} endpoint"
        return str(name)

    def inject(self, kind: str, fault: Any, times: int = 1) -> None:
        self.emu.inject(self.endpoint(kind), fault, times=times)

    def on(self, kind: str, action: Callable[[Any], None]) -> None:
        """Runs ``action(event)`` for every event of ``kind`` (submitted, polled, retrying...)."""
        self.hooks.append(lambda event: action(event) if event.kind == kind else None)

    def break_file_layer(self, **overrides: Callable[..., Any]) -> None:
        self.monkeypatch.setattr(veowrap._files, "os", failing_os(**overrides))

    def hook(self, event: Any) -> None:
        self.events.append(event)
        for hook in self.hooks:
            hook(event)

    def call(self, method: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        outcome = method(*args, **kwargs)
        if inspect.isawaitable(outcome):
            return self.loop.run_until_complete(outcome)
        return outcome

    # -- the standard act: generate, then save everything into the destination --------------

    def generate(self, timeout: float, fields: dict[str, Any]) -> veowrap.GenerationResult:
        return self.call(  # type: ignore[no-any-return]
            self.generator.generate,
            PROMPT,
            model=self.route.model,
            timeout=timeout,
            on_event=self.hook,
            **{**self.route.fields, **fields},
        )

    def save(self, result: veowrap.GenerationResult) -> list[Path]:
        if self.flavour == "sync":
            return result.save(self.destination)
        return self.loop.run_until_complete(result.save_async(self.destination))

    def run(self, timeout: float, fields: dict[str, Any]) -> Run:
        run = Run(events=self.events)
        start = time.monotonic()
        try:
            run.result = self.generate(timeout, fields)
        except BaseException as error:  # KeyboardInterrupt and CancelledError included
            run.error, run.failed_in = error, "generate"
            run.generate_seconds = time.monotonic() - start
            return run
        run.generate_seconds = time.monotonic() - start
        start = time.monotonic()
        try:
            run.paths = self.save(run.result)
        except BaseException as error:
            run.error, run.failed_in = error, "save"
        run.save_seconds = time.monotonic() - start
        return run

    def close(self) -> None:
        self.loop.close()

    # -- invariants --------------------------------------------------------------------------

    def destination_files(self) -> Iterator[Path]:
        if self.destination.exists():
            yield from sorted(self.destination.iterdir())


def complete_video(path: Path) -> bool:
    """Whether ``path`` is a whole, playable MP4 (not a temp file, not a truncated one)."""
    if path.name.startswith(".") or veowrap._download._TEMP_MARK in path.name:
        return False
    try:
        info = inspect_mp4(path)
    except Exception:
        return False
    return bool(info.codec)


def handle_of(error: BaseException) -> str | None:
    """The resumable handle an error carries: ``.handle``, or the JSON in its notes."""
    handle = getattr(error, "handle", None)
    if handle is not None:
        return str(handle.name)
    for note in getattr(error, "__notes__", ()):
        match = _NOTE_HANDLE.search(note)
        if match:
            return veowrap.OperationHandle.from_json(match["json"]).name
    return None


_NOTE_HANDLE = re.compile(r"OperationHandle\.from_json\('(?P<json>\{.*\})'\)\)")
