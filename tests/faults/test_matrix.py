"""The fault matrix: every :data:`SCENARIOS` row, sync and async, through the real SDK.

Besides its own expected outcome, every row must keep four promises:

1. at most one paid submission per request (``emu.accepted_submissions <= 1``);
2. the destination directory holds complete videos only (no partial file, no temporary file);
3. a resumable handle whenever an operation exists on the server (``error.handle``, or the
   ``KeyboardInterrupt``/``CancelledError`` note), except for an uncertain submission, whose
   operation name never reached the client (the error carries the request instead);
4. the call returns within its deadline plus :data:`DEADLINE_SLACK`, and a save within
   :data:`SAVE_BOUND`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import veowrap
from veowrap.testing import VeoEmulator

from .harness import (
    DEADLINE_SLACK,
    ROUTES,
    SAVE_BOUND,
    Harness,
    Run,
    complete_video,
    handle_of,
    sdk_sends_gemini_veo,
)
from .scenarios import SCENARIOS, Scenario

#: Row ids run in this session (read by the terminal summary in conftest.py).
RAN: list[str] = []
#: What each run measured, for the figures in the terminal summary (and docs/reliability.md):
#: (row id, accepted submissions, seconds past the deadline, partial files, foreign sightings).
MEASURED: list[tuple[str, int, float, int, int]] = []


def _cases() -> Iterator[Any]:
    for row in SCENARIOS:
        for flavour in row.flavours:
            marks = []
            if row.xfail:
                marks.append(pytest.mark.xfail(strict=True, reason=row.xfail))
            yield pytest.param(row, flavour, id=f"{row.id}-{flavour}", marks=marks)


def test_matrix_has_at_least_40_rows() -> None:
    assert len(SCENARIOS) >= 40
    assert len({row.id for row in SCENARIOS}) == len(SCENARIOS), "row ids must be unique"
    assert {row.route for row in SCENARIOS} == set(ROUTES)


@pytest.mark.parametrize(("row", "flavour"), list(_cases()))
def test_row(
    row: Scenario,
    flavour: str,
    emu: VeoEmulator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    route = ROUTES[row.route]
    if route.needs_sdk2 and not sdk_sends_gemini_veo():
        pytest.skip("google-genai 3.x refuses Veo on the Gemini API before sending")
    RAN.append(row.id)
    destination = tmp_path / "out"
    destination.mkdir()
    h = Harness(
        emu,
        flavour,
        route,
        destination,
        monkeypatch,
        client_timeout_ms=row.client_timeout_ms,
        refused=row.refused,
    )
    try:
        row.arrange(h)
        run = row.act(h, row) if row.act else h.run(row.timeout, row.fields)
    finally:
        h.close()
    problems = check(row, run, h, emu)
    partial = sum(not complete_video(path) for path in h.destination_files())
    foreign = emu.credentials_seen_by_media
    MEASURED.append(
        (row.id, emu.accepted_submissions, run.generate_seconds - row.timeout, partial, foreign)
    )
    assert not problems, "\n".join(problems)


def check(row: Scenario, run: Run, h: Harness, emu: VeoEmulator) -> list[str]:
    """Every broken expectation and invariant of one run, in words."""
    problems: list[str] = []
    error = run.error

    # The row's own expectation.
    if row.expect is None:
        if error is not None:
            problems.append(f"expected success, got {error!r}")
        elif run.result is not None:
            wanted = (row.fields.get("number_of_videos") or 1) - run.result.filtered_count
            if len(run.paths) != wanted or not all(map(complete_video, run.paths)):
                problems.append(f"expected {wanted} complete video(s), got {run.paths}")
    elif not isinstance(error, row.expect):
        problems.append(f"expected {row.expect.__name__}, got {error!r}")
    elif row.handle:
        name = handle_of(error)
        if name is None or name not in emu.operations:
            problems.append(f"{type(error).__name__} carries no resumable handle")

    # 1. Never pay twice.
    if emu.accepted_submissions > 1:
        problems.append(f"{emu.accepted_submissions} paid submissions for one request")
    if row.accepted is not None and emu.accepted_submissions != row.accepted:
        problems.append(f"{emu.accepted_submissions} accepted submissions, not {row.accepted}")

    # 2. Nothing partial at the destination: every file there is a whole video.
    leftovers = list(h.destination_files())
    if not all(map(complete_video, leftovers)):
        problems.append(f"partial or temporary files left: {[p.name for p in leftovers]}")
    if error is not None and run.failed_in == "generate" and leftovers:
        problems.append(f"files written although generate failed: {leftovers}")

    # 3. A handle whenever an operation exists (an uncertain create carries the request).
    if error is not None and emu.accepted_submissions:
        if isinstance(error, veowrap.SubmissionUncertainError):
            if not error.request.prompt:
                problems.append("SubmissionUncertainError without its request")
        elif handle_of(error) is None:
            problems.append(f"an operation exists but {type(error).__name__} has no handle")

    # 4. Within the deadline plus a small bound.
    if run.generate_seconds > row.timeout + DEADLINE_SLACK:
        problems.append(f"generate took {run.generate_seconds:.2f} s (deadline {row.timeout} s)")
    bound = row.save_bound or SAVE_BOUND
    if run.save_seconds > bound:
        problems.append(f"save took {run.save_seconds:.2f} s (bound {bound:.2f} s)")
    return problems
