"""Fuzzed operation and interaction answers: only typed errors escape, and plans always end.

Random and plausible-but-damaged JSON (wrong types, missing keys, truncated documents) goes to
``read_operation``/``read_interaction``, which must return a status or raise
``MalformedResponse``; then through ``submit_plan``/``wait_plan``, run by a virtual driver with
random SDK-like exceptions mixed in, which must end with a result or a ``VeowrapError`` within a
bounded number of actions.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Generator
from datetime import UTC, datetime
from typing import Any

from google.genai import errors as genai_errors

try:  # google-genai 3.x uses httpx2, 2.x httpx
    import httpx2
except ImportError:  # pragma: no cover - depends on the installed SDK
    import httpx as httpx2  # type: ignore[no-redef]
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from veowrap._core.plan import Call, Emit, Outcome, Sleep, submit_plan, wait_plan
from veowrap._core.schedule import PollSchedule
from veowrap._core.status import (
    MalformedResponse,
    OperationStatus,
    read_interaction,
    read_operation,
)
from veowrap._errors import VeowrapError
from veowrap._handle import OperationHandle
from veowrap._request import VideoRequest

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
NAME = "projects/p/locations/us-central1/publishers/google/models/veo-3.1-generate-001/operations/1"
OPERATION = OperationHandle.from_name(NAME)
INTERACTION = OperationHandle.from_name("v1_abc123")

# -- strategies ------------------------------------------------------------------------------

scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)
b64 = st.binary(max_size=24).map(lambda data: base64.b64encode(data).decode())
maybe = lambda good: good | json_values  # noqa: E731 - a plausible value, or anything at all


def _video() -> st.SearchStrategy[Any]:
    return st.fixed_dictionaries(
        {},
        optional={
            "uri": maybe(st.just("gs://b/o/sample_0.mp4")),
            "gcsUri": maybe(st.just("gs://b/o/sample_0.mp4")),
            "bytesBase64Encoded": maybe(b64 | st.text(max_size=10)),
            "mimeType": maybe(st.just("video/mp4")),
        },
    )


operations = st.fixed_dictionaries(
    {},
    optional={
        "name": maybe(st.just(NAME)),
        "done": maybe(st.booleans()),
        "error": maybe(st.fixed_dictionaries({"code": maybe(st.integers()), "message": scalars})),
        "response": maybe(
            st.fixed_dictionaries(
                {},
                optional={
                    "videos": maybe(st.lists(_video(), max_size=3)),
                    "generatedSamples": maybe(st.lists(st.fixed_dictionaries({"video": _video()}))),
                    "raiMediaFilteredCount": maybe(st.integers(0, 4)),
                    "raiMediaFilteredReasons": maybe(st.lists(st.text(max_size=10), max_size=3)),
                },
            )
        ),
    },
)
_content = st.fixed_dictionaries(
    {},
    optional={
        "type": maybe(st.sampled_from(["video", "text", "image"])),
        "data": maybe(b64),
        "uri": maybe(st.just("https://x/v1beta/files/abc:download?alt=media")),
        "mime_type": maybe(st.just("video/mp4")),
    },
)
interactions = st.fixed_dictionaries(
    {},
    optional={
        "id": maybe(st.just("v1_abc123")),
        "status": maybe(
            st.sampled_from(
                ["in_progress", "queued", "completed", "failed", "cancelled", "expired", "weird"]
            )
        ),
        "steps": maybe(
            st.lists(
                st.fixed_dictionaries(
                    {},
                    optional={
                        "type": maybe(st.just("model_output")),
                        "content": maybe(st.lists(_content, max_size=3)),
                        "error": maybe(
                            st.fixed_dictionaries({"code": scalars, "message": scalars})
                        ),
                    },
                ),
                max_size=3,
            )
        ),
        "errors": maybe(st.lists(st.fixed_dictionaries({"code": scalars, "message": scalars}))),
    },
)


@st.composite
def truncated(draw: Any, documents: st.SearchStrategy[Any]) -> Any:
    """A document cut at a random point and re-read: only prefixes that still parse."""
    text = json.dumps(draw(documents))
    for cut in range(draw(st.integers(0, len(text))), 0, -1):
        try:
            return json.loads(text[:cut])
        except ValueError:
            continue
    return {}


def replies(documents: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return documents | truncated(documents) | json_values


def _api_error(code: int, retry_after: str | None) -> genai_errors.APIError:
    body = {"error": {"code": code, "message": f"error {code}", "status": "X"}}
    headers = {"Retry-After": retry_after} if retry_after is not None else {}
    kind = genai_errors.ClientError if code < 500 else genai_errors.ServerError
    return kind(code, body, httpx2.Response(code, headers=headers, json=body))


exceptions = st.one_of(
    st.builds(
        _api_error,
        st.sampled_from([400, 401, 403, 404, 408, 409, 429, 500, 502, 503, 504]),
        st.none() | st.sampled_from(["0", "1", "soon", "-3", "1e9"]),
    ),
    st.sampled_from(
        [
            httpx2.ConnectError("refused"),
            httpx2.ReadTimeout("slow"),
            httpx2.RemoteProtocolError("reset"),
            ConnectionResetError(104, "reset"),
            TimeoutError("timed out"),
            json.JSONDecodeError("bad", "{", 0),
            ValueError("odd"),
            KeyError("k"),
            RuntimeError("surprise"),
        ]
    ),
)

# -- readers ---------------------------------------------------------------------------------


@SETTINGS
@given(replies(operations))
def test_read_operation_returns_a_status_or_malformed(document: Any) -> None:
    try:
        status = read_operation(document)
    except MalformedResponse:
        return
    assert isinstance(status, OperationStatus)
    assert status.name and status.done in (True, False)


@SETTINGS
@example({"id": "v1_abc123", "status": "failed", "errors": 1})
@given(replies(interactions))
def test_read_interaction_returns_a_status_or_malformed(document: Any) -> None:
    try:
        status = read_interaction(document)
    except MalformedResponse:
        return
    assert isinstance(status, OperationStatus)
    assert status.name and status.state in ("running", "succeeded", "failed", "cancelled")


# -- plans on a virtual driver ---------------------------------------------------------------


class Exhausted(Exception):
    """The scripted replies ran out (the plan wanted another call)."""


def drive(plan: Generator[Any, Any, Any], script: list[Any], limit: int) -> tuple[Any, int]:
    """Runs ``plan`` on virtual time; returns its result (or the exception) and the actions."""
    now = [0.0]
    actions = 0
    try:
        action = next(plan)
        while True:
            actions += 1
            assert actions <= limit, f"the plan did not end within {limit} actions"
            if isinstance(action, (Sleep, Emit)):
                if isinstance(action, Sleep):
                    assert action.seconds >= 0
                    now[0] += action.seconds
                action = plan.send(None)
                continue
            assert isinstance(action, Call)
            reply = script.pop(0) if script else Exhausted("no more replies")
            action = plan.throw(reply) if isinstance(reply, BaseException) else plan.send(reply)
    except StopIteration as stop:
        return stop.value, actions
    except Exception as error:
        return error, actions


@SETTINGS
@given(
    st.lists(replies(operations) | exceptions, max_size=8),
    st.sampled_from(["operations", "interactions"]),
    st.none() | st.floats(1, 100),
)
def test_wait_plan_ends_with_a_result_or_a_typed_error(
    script: list[Any], route: str, deadline: float | None
) -> None:
    handle = OPERATION if route == "operations" else INTERACTION
    clock = [0.0]
    plan = wait_plan(
        handle,
        schedule=PollSchedule.fixed(5),
        deadline=deadline,
        clock=lambda: clock[0],
        rand=lambda: 0.5,
        poll_first=True,
    )
    count = len(script)
    outcome, _ = drive(plan, list(script), limit=6 * (count + 2))
    if not isinstance(outcome, Outcome):
        assert isinstance(outcome, VeowrapError), f"{type(outcome).__name__}: {outcome}"
        assert not isinstance(outcome, MalformedResponse)


@SETTINGS
@given(replies(interactions) | replies(operations) | exceptions, st.booleans())
def test_submit_plan_ends_with_a_handle_or_a_typed_error(reply: Any, interaction: bool) -> None:
    plan = submit_plan(
        VideoRequest(prompt="a paper boat"),
        platform="gemini" if interaction else "vertex",
        route="interactions" if interaction else "operations",
        model="gemini-omni-1.2-flash" if interaction else "veo-3.1-generate-001",
        deadline=None,
        now_utc=lambda: datetime(2026, 1, 1, tzinfo=UTC),
    )
    outcome, _ = drive(plan, [reply], limit=10)
    if isinstance(outcome, BaseException):
        assert isinstance(outcome, VeowrapError), f"{type(outcome).__name__}: {outcome}"
    else:
        handle, status = outcome
        assert isinstance(handle, OperationHandle) and isinstance(status, OperationStatus)
