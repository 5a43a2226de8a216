"""`OperationHandle`: names in, platform and route out; JSON round trips; coercion."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from veowrap._errors import RequestValidationError
from veowrap._handle import OperationHandle

VERTEX = "projects/my-proj/locations/us-central1/publishers/google/models/veo-3.1-generate-001"

# id, name, platform, route, model, project, location
NAMES: list[tuple[str, str, str, str, str | None, str | None, str | None]] = [
    ("gemini-operation", "models/veo-3.0-generate-preview/operations/abc123",
     "gemini", "operations", "veo-3.0-generate-preview", None, None),
    ("gemini-operation-padded", "  models/veo-2.0-generate-001/operations/x  ",
     "gemini", "operations", "veo-2.0-generate-001", None, None),
    ("vertex-full", f"{VERTEX}/operations/1234567890",
     "vertex", "operations", "veo-3.1-generate-001", "my-proj", "us-central1"),
    ("vertex-global", "projects/p/locations/global/publishers/google/models/m/operations/9",
     "vertex", "operations", "m", "p", "global"),
    ("vertex-express", "publishers/google/models/veo-3.1-fast-generate-001/operations/42",
     "vertex", "operations", "veo-3.1-fast-generate-001", None, None),
    ("vertex-interaction", "projects/p/locations/us-central1/interactions/int-42",
     "vertex", "interactions", None, "p", "us-central1"),
    ("gemini-interaction", "v1_ChdpbnRlcmFjdGlvbi0xMjM",
     "gemini", "interactions", None, None, None),
    ("gemini-interaction-dashes", "abc-DEF_123", "gemini", "interactions", None, None, None),
]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "platform", "route", "model", "project", "location"),
    [pytest.param(*row[1:], id=row[0]) for row in NAMES],
)
def test_from_name(
    name: str,
    platform: str,
    route: str,
    model: str | None,
    project: str | None,
    location: str | None,
) -> None:
    handle = OperationHandle.from_name(name)
    assert handle.name == name.strip()
    assert (handle.platform, handle.route, handle.model) == (platform, route, model)
    assert (handle.project, handle.location) == (project, location)


JUNK = [
    ("empty", ""),
    ("blank", "   "),
    ("space-inside", "my operation"),
    ("operations-only", "operations/abc"),
    ("model-without-operation", "models/veo-3"),
    ("gemini-extra-segment", "models/veo/operations/abc/extra"),
    ("vertex-not-google", "projects/p/locations/l/publishers/acme/models/m/operations/1"),
    ("vertex-missing-location", "projects/p/publishers/google/models/m/operations/1"),
    ("url", "https://generativelanguage.googleapis.com/v1beta/models/m/operations/1"),
    ("dot", "abc.def"),
    ("json-looking-junk", "{not json"),
]


@pytest.mark.parametrize("name", [pytest.param(row[1], id=row[0]) for row in JUNK])
def test_from_name_refuses_junk(name: str) -> None:
    with pytest.raises(RequestValidationError) as caught:
        OperationHandle.from_name(name)
    assert caught.value.field == "handle"
    assert "models/M/operations/ID" in caught.value.allowed


FULL = OperationHandle(
    name=f"{VERTEX}/operations/77",
    platform="vertex",
    route="operations",
    model="veo-3.1-generate-001",
    submitted_at=datetime(2025, 5, 1, 12, 30, 15, 123456, tzinfo=UTC),
    request_fingerprint="0123456789abcdef0123456789abcdef",
    expected_videos=2,
)


@pytest.mark.parametrize(
    "handle",
    [
        pytest.param(FULL, id="full"),
        pytest.param(OperationHandle.from_name("models/m/operations/o"), id="minimal"),
        pytest.param(OperationHandle.from_name("v1_abc"), id="interaction"),
    ],
)
def test_json_round_trip(handle: OperationHandle) -> None:
    text = handle.to_json()
    assert OperationHandle.from_json(text) == handle
    assert OperationHandle.from_json(text.encode()) == handle
    assert OperationHandle.coerce(text) == handle
    assert OperationHandle.coerce("  " + text) == handle


def test_to_json_leaves_out_unset_fields() -> None:
    data = json.loads(OperationHandle.from_name("models/m/operations/o").to_json())
    assert data == {
        "name": "models/m/operations/o",
        "platform": "gemini",
        "route": "operations",
        "model": "m",
    }


def test_from_json_ignores_unknown_keys() -> None:
    text = json.dumps({"name": "v1_a", "platform": "gemini", "route": "interactions", "new": 1})
    assert OperationHandle.from_json(text).route == "interactions"


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("{", id="not-json"),
        pytest.param("{}", id="empty-object"),
        pytest.param('{"name": "x"}', id="no-platform"),
        pytest.param('{"name": "", "platform": "gemini"}', id="empty-name"),
        pytest.param('{"name": "x", "platform": "aws"}', id="unknown-platform"),
        pytest.param('{"name": "x", "platform": "gemini", "route": "rpc"}', id="unknown-route"),
        pytest.param(b"\xff\xfe{", id="bad-bytes"),
    ],
)
def test_from_json_refuses_bad_text(text: str | bytes) -> None:
    with pytest.raises(RequestValidationError) as caught:
        OperationHandle.from_json(text)
    assert caught.value.field == "handle"
    assert caught.value.reason


VERTEX_OP = "projects/p/locations/us-central1/publishers/google/models/m/operations/"

# id, handle JSON fields, field at fault
HOSTILE: list[tuple[str, dict[str, Any], str]] = [
    ("vertex-traversal", {"name": VERTEX_OP + "../../../../x", "platform": "vertex"},
     "handle.name"),
    ("gemini-traversal", {"name": "models/veo/operations/../../files/abc", "platform": "gemini"},
     "handle.name"),
    ("absolute-url", {"name": "http://127.0.0.1:9/steal", "platform": "gemini"}, "handle.name"),
    ("query", {"name": "models/veo/operations/x?alt=media&key=zzz", "platform": "gemini"},
     "handle.name"),
    ("crlf", {"name": "models/veo/operations/x\r\nX-Injected: 1", "platform": "gemini"},
     "handle.name"),
    ("leading-slash", {"name": "/models/veo/operations/x", "platform": "gemini"}, "handle.name"),
    ("negative-videos", {"name": VERTEX_OP + "1", "platform": "vertex", "expected_videos": -3},
     "handle.expected_videos"),
    ("zero-videos", {"name": VERTEX_OP + "1", "platform": "vertex", "expected_videos": 0},
     "handle.expected_videos"),
    ("a-billion-videos", {"name": VERTEX_OP + "1", "platform": "vertex",
                          "expected_videos": 10**9}, "handle.expected_videos"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("fields", "field"), [pytest.param(*row[1:], id=row[0]) for row in HOSTILE]
)
def test_from_json_refuses_hostile_handles(fields: dict[str, Any], field: str) -> None:
    text = json.dumps(fields)
    for load in (OperationHandle.from_json, OperationHandle.coerce):
        with pytest.raises(RequestValidationError) as caught:
            load(text)
        assert caught.value.field == field
        assert caught.value.hint
        assert field != "handle.name" or caught.value.reason


@pytest.mark.parametrize(
    "fields", [pytest.param(row[1], id=row[0]) for row in HOSTILE if "name" in row[2]]
)
def test_coerce_refuses_a_hand_built_handle_with_a_hostile_name(fields: dict[str, Any]) -> None:
    handle = OperationHandle(**fields)  # the constructor trusts its caller
    with pytest.raises(RequestValidationError) as caught:
        OperationHandle.coerce(handle)
    assert caught.value.field == "handle.name"


@pytest.mark.parametrize(
    "name",
    [
        "models/veo/operations/x?alt=media",
        "models/veo/operations/..",
        "models/../operations/x",
        f"{VERTEX_OP}%2e%2e",
    ],
)
def test_from_name_refuses_names_whose_shape_matches_but_are_unsafe(name: str) -> None:
    with pytest.raises(RequestValidationError) as caught:
        OperationHandle.from_name(name)
    assert caught.value.field == "handle"
    assert caught.value.reason


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param(FULL, FULL, id="handle-itself"),
        pytest.param(FULL.name, OperationHandle.from_name(FULL.name), id="name"),
        pytest.param("v1_abc", OperationHandle.from_name("v1_abc"), id="interaction-id"),
    ],
)
def test_coerce(value: Any, expected: OperationHandle) -> None:
    assert OperationHandle.coerce(value) == expected


def test_coerce_returns_the_same_handle_object() -> None:
    assert OperationHandle.coerce(FULL) is FULL


@pytest.mark.parametrize("value", [None, 42, b"models/m/operations/o", {"name": "x"}])
def test_coerce_refuses_other_types(value: Any) -> None:
    with pytest.raises(RequestValidationError) as caught:
        OperationHandle.coerce(value)
    assert caught.value.field == "handle"


def test_repr_is_short() -> None:
    assert repr(FULL) == (f"OperationHandle({FULL.name!r}, platform='vertex', route='operations')")


def test_handle_is_frozen_and_hashable() -> None:
    with pytest.raises(Exception):  # noqa: B017 - pydantic's frozen error type varies by version
        FULL.name = "other"
    assert len({FULL, OperationHandle.from_json(FULL.to_json())}) == 1
