"""The fault matrix as data: one :class:`Scenario` per row.

``scripts/gen_reliability_doc.py`` renders this table into ``docs/reliability.md``; the test
module runs every row through the real google-genai client against the emulator, once with
``VideoGenerator`` and once with ``AsyncVideoGenerator``.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import veowrap
from veowrap.testing import Fault, Outcome

from .harness import EACCES, ENOSPC, PROMPT, Harness, Run, raise_oserror

Arrange = Callable[[Harness], None]
Act = Callable[[Harness, "Scenario"], Run]

SUCCESS = None


def _nothing(h: Harness) -> None:
    """No fault."""


@dataclass(frozen=True)
class Scenario:
    """One row of the matrix.

    Attributes:
        id: Stable identifier (the pytest id).
        route: A key of ``harness.ROUTES``.
        endpoint: Where the fault is injected: an emulator endpoint family (create, poll,
            download), the file layer, the network, the caller (hook/task) or the service.
        fault: The fault, in words.
        expect: ``None`` for success (possibly after retries), else the exception class.
        handle: Whether the failure must carry a resumable handle.
        arrange: Injects the fault before the run.
        timeout: The deadline passed to ``generate`` (seconds).
        fields: Extra request fields.
        client_timeout_ms: The client's per-call timeout (read-timeout rows).
        refused: Point the client at a closed port.
        flavours: Which generators run the row.
        act: Replaces the standard act (generate, then save into the destination).
        xfail: ``"BUG: ..."`` when the row documents a known defect (strict xfail).
        accepted: The exact number of accepted (paid) submissions, when the row pins it.
        save_bound: A tighter bound on the save's duration than ``SAVE_BOUND``.
    """

    id: str
    route: str
    endpoint: str
    fault: str
    expect: type[BaseException] | None
    handle: bool = False
    arrange: Arrange = _nothing
    timeout: float = 5.0
    fields: dict[str, Any] = field(default_factory=dict)
    client_timeout_ms: int | None = None
    refused: bool = False
    flavours: tuple[str, ...] = ("sync", "async")
    act: Act | None = None
    xfail: str | None = None
    accepted: int | None = None
    save_bound: float | None = None

    @property
    def expected(self) -> str:
        """The expected outcome in words."""
        if self.expect is None:
            return "success"
        name = self.expect.__name__
        return f"{name} + handle" if self.handle else name


# -- arrangements ----------------------------------------------------------------------------


def inject(kind: str, fault: Fault, times: int = 1) -> Arrange:
    def arrange(h: Harness) -> None:
        h.inject(kind, fault, times)

    return arrange


def script(outcome: Outcome) -> Arrange:
    def arrange(h: Harness) -> None:
        h.emu.script(outcome)

    return arrange


def latency(seconds: float) -> Arrange:
    def arrange(h: Harness) -> None:
        h.emu.set_latency(seconds)

    return arrange


def expire_on_submit(h: Harness) -> None:
    h.emu.set_latency(0.5)
    h.on("submitted", lambda event: h.emu.expire(event.handle.name))


def stop_emulator_on_submit(h: Harness) -> None:
    h.emu.set_latency(0.5)
    h.on("submitted", lambda event: h.emu.stop())


def interrupt_on(kind: str, when: Callable[[Any], bool] = lambda e: True) -> Callable[[Any], None]:
    def hook(event: Any) -> None:
        if when(event):
            raise KeyboardInterrupt

    return hook


def ctrl_c_while_waiting(h: Harness) -> None:
    h.emu.set_latency(2.0)
    h.on("polled", interrupt_on("polled"))


def ctrl_c_while_downloading(h: Harness) -> None:
    h.inject("download", Fault.cut_short(after_bytes=100), times=1)
    h.on("retrying", interrupt_on("retrying", lambda event: event.phase == "download"))


def disk_full(h: Harness) -> None:
    h.break_file_layer(fsync=raise_oserror(ENOSPC))


def permission_denied(h: Harness) -> None:
    # The final placement is a hard link (no-clobber), or a rename where overwriting.
    h.break_file_layer(link=raise_oserror(EACCES), replace=raise_oserror(EACCES))


def disk_full_on_second_video(h: Harness) -> None:
    import os

    calls = {"n": 0}

    def fsync(fd: int) -> None:
        calls["n"] += 1
        if calls["n"] >= 2:
            raise OSError(ENOSPC, os.strerror(ENOSPC))
        os.fsync(fd)

    h.break_file_layer(fsync=fsync)


# -- special acts ----------------------------------------------------------------------------


def cancel_task_while_waiting(h: Harness, s: Scenario) -> Run:
    """Cancels the asyncio task running ``generate`` after its first poll."""
    h.emu.set_latency(2.0)
    run = Run(events=h.events)

    async def main() -> None:
        polled = asyncio.Event()
        h.on("polled", lambda event: polled.set())
        task = asyncio.ensure_future(_gen(h, s))
        await polled.wait()
        task.cancel()
        await task

    began = time.monotonic()
    try:
        h.loop.run_until_complete(main())
    except BaseException as error:
        run.error, run.failed_in = error, "generate"
    run.generate_seconds = time.monotonic() - began
    return run


async def _gen(h: Harness, s: Scenario) -> Any:
    return await h.generator.generate(
        PROMPT,
        model=h.route.model,
        timeout=s.timeout,
        on_event=h.hook,
        **{**h.route.fields, **s.fields},
    )


def cancel_task_while_downloading(h: Harness, s: Scenario) -> Run:
    """Cancels the asyncio task running ``save_async`` during a slow transfer."""
    run = Run(events=h.events)
    result = h.generate(s.timeout, s.fields)
    run.result = result
    h.inject("download", Fault.slow(bytes_per_second=20_000), times=10)

    async def main() -> None:
        task = asyncio.ensure_future(result.save_async(h.destination))
        await asyncio.sleep(0.3)
        task.cancel()
        await task

    began = time.monotonic()
    try:
        h.loop.run_until_complete(main())
    except BaseException as error:
        run.error, run.failed_in = error, "save"
    run.save_seconds = time.monotonic() - began
    return run


def save_with_deadline(h: Harness, s: Scenario) -> Run:
    """A trickling download (never stalls long enough to time out) against a save deadline."""
    run = Run(events=h.events)
    run.result = h.generate(s.timeout, s.fields)
    h.inject("download", Fault.slow(bytes_per_second=8_000), times=10)
    began = time.monotonic()
    try:
        if h.flavour == "sync":
            run.paths = run.result.save(h.destination, timeout=1.0)  # type: ignore[call-arg]
        else:
            run.paths = h.loop.run_until_complete(
                run.result.save_async(h.destination, timeout=1.0)  # type: ignore[call-arg]
            )
    except BaseException as error:
        run.error, run.failed_in = error, "save"
    run.save_seconds = time.monotonic() - began
    return run


# -- the rows --------------------------------------------------------------------------------

#: The create/poll paths: one Vertex AI operations route, the Gemini API operations route and
#: the interactions route. The gs:// and Files-API variants share these create and poll calls.
CALL_ROUTES = ("vertex", "gemini-ops", "omni")
#: Routes whose videos are fetched over HTTP (Cloud Storage, Files API).
DOWNLOAD_ROUTES = ("vertex-gcs", "gemini-ops", "omni-uri")
#: Every destination: inline and downloaded videos alike go through the same file layer.
FILE_ROUTES = ("vertex", "vertex-gcs", "omni", "omni-uri")

_UNCERTAIN = veowrap.SubmissionUncertainError
_UNAVAILABLE = veowrap.ServiceUnavailableError


def _call_rows(route: str) -> list[Scenario]:
    short = {"vertex": "vx", "gemini-ops": "gm", "omni": "ix"}[route]
    rows = [
        Scenario(
            f"{short}-create-429-retry-after",
            route,
            "create",
            "HTTP 429 with Retry-After: 0.01, twice",
            SUCCESS,
            arrange=inject("create", Fault.http(429, retry_after=0.01), 2),
            accepted=1,
        ),
        Scenario(
            f"{short}-create-429-bare",
            route,
            "create",
            "HTTP 429 without Retry-After, twice",
            SUCCESS,
            arrange=inject("create", Fault.http(429), 2),
            accepted=1,
        ),
        Scenario(
            f"{short}-create-503",
            route,
            "create",
            "HTTP 503, once (proves a refusal: retried)",
            SUCCESS,
            arrange=inject("create", Fault.http(503)),
            accepted=1,
        ),
        *(
            Scenario(
                f"{short}-create-{status}",
                route,
                "create",
                f"HTTP {status}, once (may follow an accepted create: never re-sent)",
                veowrap.SubmissionUncertainError,
                arrange=inject("create", Fault.http(status)),
                accepted=0,
            )
            for status in ((500, 502, 504, 408) if route == "vertex" else ())
        ),
        Scenario(
            f"{short}-create-503-always",
            route,
            "create",
            "HTTP 503 on every attempt",
            _UNAVAILABLE,
            arrange=inject("create", Fault.http(503), 10),
            accepted=0,
        ),
        Scenario(
            f"{short}-create-429-past-deadline",
            route,
            "create",
            "HTTP 429 with Retry-After: 30 (past the 1 s deadline)",
            veowrap.QuotaExceededError,
            arrange=inject("create", Fault.http(429, retry_after=30), 10),
            timeout=1.0,
            accepted=0,
        ),
        Scenario(
            f"{short}-create-refused",
            route,
            "network",
            "connection refused (closed port)",
            _UNAVAILABLE,
            refused=True,
            accepted=0,
        ),
        Scenario(
            f"{short}-create-reset-before-accept",
            route,
            "create",
            "TCP reset before the create was accepted",
            _UNCERTAIN,
            arrange=inject("create", Fault.reset_before_accept()),
            accepted=0,
        ),
        Scenario(
            f"{short}-create-reset-after-accept",
            route,
            "create",
            "TCP reset after the create was accepted",
            _UNCERTAIN,
            arrange=inject("create", Fault.reset_after_accept()),
            accepted=1,
        ),
        Scenario(
            f"{short}-create-read-timeout",
            route,
            "create",
            "read timeout (stall 1 s, client timeout 0.3 s)",
            _UNCERTAIN,
            arrange=inject("create", Fault.stall(1.0)),
            client_timeout_ms=300,
        ),
        Scenario(
            f"{short}-create-malformed",
            route,
            "create",
            "200 with a body that is not JSON",
            _UNCERTAIN,
            arrange=inject("create", Fault.malformed_json()),
            accepted=0,
        ),
        *(
            Scenario(
                f"{short}-poll-{status}",
                route,
                "poll",
                f"HTTP {status}, twice",
                SUCCESS,
                arrange=inject("poll", Fault.http(status), 2),
                accepted=1,
            )
            for status in ((429, 500, 502, 503, 504) if route == "vertex" else (429, 503))
        ),
        Scenario(
            f"{short}-poll-503-always",
            route,
            "poll",
            "HTTP 503 on every attempt (deadline 0.5 s)",
            _UNAVAILABLE,
            handle=True,
            arrange=inject("poll", Fault.http(503), 50),
            timeout=0.5,
            accepted=1,
        ),
        Scenario(
            f"{short}-poll-deadline-mid-retry",
            route,
            "poll",
            "HTTP 429 Retry-After: 0.15 on every poll; deadline 0.5 s expires mid-retry",
            veowrap.OperationTimeoutError,
            handle=True,
            arrange=inject("poll", Fault.http(429, retry_after=0.15), 50),
            timeout=0.5,
            accepted=1,
        ),
        Scenario(
            f"{short}-poll-refused",
            route,
            "network",
            "connection refused on poll (server gone after the create)",
            _UNAVAILABLE,
            handle=True,
            arrange=stop_emulator_on_submit,
            accepted=1,
        ),
        Scenario(
            f"{short}-poll-reset",
            route,
            "poll",
            "TCP reset, once",
            SUCCESS,
            arrange=inject("poll", Fault.reset_before_accept()),
            accepted=1,
        ),
        Scenario(
            f"{short}-poll-read-timeout",
            route,
            "poll",
            "read timeout (stall 0.6 s, client timeout 0.3 s), once",
            SUCCESS,
            arrange=inject("poll", Fault.stall(0.6)),
            client_timeout_ms=300,
            accepted=1,
        ),
        Scenario(
            f"{short}-poll-malformed",
            route,
            "poll",
            "200 with a body that is not JSON, once",
            SUCCESS,
            arrange=inject("poll", Fault.malformed_json()),
            accepted=1,
        ),
        Scenario(
            f"{short}-poll-malformed-always",
            route,
            "poll",
            "200 with a body that is not JSON, every time",
            _UNAVAILABLE,
            handle=True,
            arrange=inject("poll", Fault.malformed_json(), 50),
            accepted=1,
        ),
        Scenario(
            f"{short}-op-error",
            route,
            "service",
            "the operation finishes with `error` (code 3)",
            veowrap.OperationFailedError,
            handle=True,
            arrange=script(Outcome.error(code=3, message="the prompt is too vague")),
            accepted=1,
        ),
        Scenario(
            f"{short}-op-filtered",
            route,
            "service",
            "every video withheld by safety filters",
            # Interactions report filtering as a failed interaction (code SAFETY); veowrap reads
            # that as filtered, like Veo's raiMediaFilteredCount.
            veowrap.ContentFilteredError,
            handle=True,
            arrange=script(Outcome.filtered(reasons=["celebrity likeness"])),
            accepted=1,
        ),
        Scenario(
            f"{short}-op-not-found",
            route,
            "poll",
            "the operation expires while waiting (404, `emu.expire`)",
            veowrap.OperationNotFoundError,
            handle=True,
            arrange=expire_on_submit,
            accepted=1,
        ),
        Scenario(
            f"{short}-deadline",
            route,
            "service",
            "the job outlasts the 0.3 s deadline",
            veowrap.OperationTimeoutError,
            handle=True,
            arrange=latency(5.0),
            timeout=0.3,
            accepted=1,
        ),
        Scenario(
            f"{short}-ctrl-c-wait",
            route,
            "caller",
            "KeyboardInterrupt from on_event while waiting",
            KeyboardInterrupt,
            handle=True,
            arrange=ctrl_c_while_waiting,
            accepted=1,
        ),
        Scenario(
            f"{short}-cancel-wait",
            route,
            "caller",
            "asyncio task cancelled while waiting",
            asyncio.CancelledError,
            handle=True,
            act=cancel_task_while_waiting,
            flavours=("async",),
            accepted=1,
        ),
    ]
    return rows


def _download_rows(route: str) -> list[Scenario]:
    short = {"vertex-gcs": "gcs", "gemini-ops": "gm", "omni-uri": "ixf"}[route]
    return [
        *(
            Scenario(
                f"{short}-download-{status}",
                route,
                "download",
                f"HTTP {status}, once",
                SUCCESS,
                arrange=inject("download", Fault.http(status)),
                accepted=1,
            )
            for status in ((429, 500, 502, 503, 504) if route == "vertex-gcs" else (503,))
        ),
        Scenario(
            f"{short}-download-503-always",
            route,
            "download",
            "HTTP 503 on every attempt",
            veowrap.DownloadError,
            handle=True,
            arrange=inject("download", Fault.http(503), 50),
            accepted=1,
        ),
        Scenario(
            f"{short}-download-reset",
            route,
            "download",
            "TCP reset, once",
            SUCCESS,
            arrange=inject("download", Fault.reset_before_accept()),
            accepted=1,
        ),
        Scenario(
            f"{short}-download-cut-once",
            route,
            "download",
            "body cut short after 100 bytes, once",
            SUCCESS,
            arrange=inject("download", Fault.cut_short(after_bytes=100)),
            accepted=1,
        ),
        Scenario(
            f"{short}-download-cut-always",
            route,
            "download",
            "body cut short after 100 bytes, every retry",
            veowrap.DownloadError,
            handle=True,
            arrange=inject("download", Fault.cut_short(after_bytes=100), 50),
            accepted=1,
        ),
        Scenario(
            f"{short}-download-stall-once",
            route,
            "download",
            "stalls 0.5 s (download_timeout 0.2 s), once",
            SUCCESS,
            arrange=inject("download", Fault.stall(0.5)),
            accepted=1,
        ),
        Scenario(
            f"{short}-download-slow-always",
            route,
            "download",
            "1 byte/s, slower than download_timeout, every retry",
            veowrap.DownloadError,
            handle=True,
            arrange=inject("download", Fault.slow(bytes_per_second=1), 50),
            accepted=1,
        ),
        Scenario(
            f"{short}-ctrl-c-download",
            route,
            "caller",
            "KeyboardInterrupt from on_event during a download retry",
            KeyboardInterrupt,
            handle=True,
            arrange=ctrl_c_while_downloading,
            accepted=1,
        ),
    ]


def _file_rows(route: str) -> list[Scenario]:
    short = {"vertex": "vx", "vertex-gcs": "gcs", "omni": "ix", "omni-uri": "ixf"}[route]
    return [
        Scenario(
            f"{short}-disk-full",
            route,
            "file",
            "ENOSPC from fsync at the destination",
            veowrap.DownloadError,
            handle=True,
            arrange=disk_full,
            accepted=1,
        ),
        Scenario(
            f"{short}-permission-denied",
            route,
            "file",
            "EACCES from the final rename",
            veowrap.DownloadError,
            handle=True,
            arrange=permission_denied,
            accepted=1,
        ),
    ]


SCENARIOS: list[Scenario] = [
    *(row for route in CALL_ROUTES for row in _call_rows(route)),
    *(row for route in DOWNLOAD_ROUTES for row in _download_rows(route)),
    *(row for route in FILE_ROUTES for row in _file_rows(route)),
    Scenario(
        "vx-some-filtered",
        "vertex",
        "service",
        "number_of_videos=2, one withheld by safety filters",
        SUCCESS,
        arrange=script(Outcome.partially_filtered(reasons=["celebrity likeness"])),
        fields={"number_of_videos": 2},
        accepted=1,
    ),
    Scenario(
        "gcs-some-filtered",
        "vertex-gcs",
        "service",
        "number_of_videos=2, one withheld by safety filters",
        SUCCESS,
        arrange=script(Outcome.partially_filtered()),
        fields={"number_of_videos": 2},
        accepted=1,
    ),
    Scenario(
        "gcs-all-filtered-of-two",
        "vertex-gcs",
        "service",
        "number_of_videos=2, both withheld by safety filters",
        veowrap.ContentFilteredError,
        handle=True,
        arrange=script(Outcome.filtered(count=2)),
        fields={"number_of_videos": 2},
        accepted=1,
    ),
    Scenario(
        "gcs-disk-full-second-video",
        "vertex-gcs",
        "file",
        "number_of_videos=2; ENOSPC while writing the second",
        veowrap.DownloadError,
        handle=True,
        arrange=disk_full_on_second_video,
        fields={"number_of_videos": 2},
        accepted=1,
    ),
    Scenario(
        "gcs-cancel-download",
        "vertex-gcs",
        "caller",
        "asyncio task cancelled 0.3 s into a slow (20 kB/s) download",
        asyncio.CancelledError,
        handle=True,
        act=cancel_task_while_downloading,
        flavours=("async",),
        accepted=1,
        save_bound=0.75,
    ),
    Scenario(
        "gcs-save-deadline",
        "vertex-gcs",
        "download",
        "a trickling download (8 kB/s) against save(timeout=1)",
        veowrap.DownloadError,
        handle=True,
        act=save_with_deadline,
        accepted=1,
    ),
]


# -- known defects (strict xfail: each turns into a failure once fixed, so the mark is removed) --

BUG_UNREADABLE_INTERACTION = (
    "BUG: an unreadable Interactions answer (APIResponseValidationError, status_code=200) is "
    "read as 'HTTP 200': not retried on poll, not uncertain on create (_core/faults.py "
    "_status_of accepts any status; APIResponseValidationError is not in _MALFORMED)"
)
BUG_STACKED_POLL_RETRIES = (
    "BUG: interactions.get/cancel run with the SDK's own retries (backoff of seconds) under "
    "veowrap's, so polls overrun the deadline (backends/genai.py poll/poll_async use "
    "client.interactions, not the no-retry copy used for creates)"
)
BUG_INTERRUPTED_SAVE = (
    "BUG: a KeyboardInterrupt or task cancellation during save() carries no resume note "
    "(_result.py GeneratedVideo._save/save_async; PlanRunner.interrupted covers plans only)"
)
BUG_SLOW_CANCEL = (
    "BUG: cancelling save_async() waits for the whole 1 MiB read to finish and carries no "
    "resume note (_download.py reads CHUNK_SIZE with a blocking read; _result.py save_async)"
)
BUG_NO_SAVE_DEADLINE = (
    "BUG: save()/save_async() take no timeout; Downloader.save(deadline=) is never given one, "
    "so a trickling download is bounded by nothing (_result.py GeneratedVideo._save)"
)

KNOWN_BUGS: dict[str, str] = {}
SCENARIOS = [
    dataclasses.replace(row, xfail=KNOWN_BUGS[row.id]) if row.id in KNOWN_BUGS else row
    for row in SCENARIOS
]

# The hostile rows (accepted-then-5xx creates, trickles, wrong content, echoed credentials,
# compression bombs, foreign redirects, absurd Retry-After) live in their own module.
from .scenarios_hostile import HOSTILE_SCENARIOS  # noqa: E402

SCENARIOS = [*SCENARIOS, *HOSTILE_SCENARIOS]
