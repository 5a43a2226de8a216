"""The emulator answers with the same shape Google does, checked against real payloads.

Each fixture in ``real_payloads/`` is an answer Google's services gave, copied from a public
source (the fixture records which and every edit). For each one the emulator is driven into the
same situation over raw HTTP, and the two answers must have the same field names and nesting,
recursively (values are compared only by JSON type).
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

import pytest

from veowrap.testing import Outcome, VeoEmulator

from .real_payloads import load, names

PROJECT = "projects/p/locations/us-central1"
VERTEX_MODEL = "veo-3.1-generate-001"
GEMINI_MODEL = "veo-3.1-generate-preview"
OMNI_MODEL = "gemini-omni-flash-preview"


# -- shapes -------------------------------------------------------------------------------


def shape(value: Any) -> Any:
    """Field names and nesting of a JSON value; leaves become their JSON type.

    A list becomes the sorted set of its items' shapes, so a list of two alike items has the
    shape of a list of one.
    """
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return ["list", *sorted({json.dumps(shape(item), sort_keys=True) for item in value})]
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if value is None:
        return "null"
    return "string"


def differences(real: Any, emulated: Any, *, subset: bool, path: str = "$") -> list[str]:
    """Where two shapes differ; with ``subset`` the emulated side may hold more fields."""
    if isinstance(real, dict) and isinstance(emulated, dict):
        found = []
        for key in real.keys() - emulated.keys():
            found.append(f"{path}.{key}: Google sends it, the emulator does not")
        if not subset:
            for key in emulated.keys() - real.keys():
                found.append(f"{path}.{key}: the emulator sends it, Google does not")
        for key in real.keys() & emulated.keys():
            found += differences(real[key], emulated[key], subset=subset, path=f"{path}.{key}")
        return found
    if isinstance(real, list) and isinstance(emulated, list):
        real_items = [json.loads(item) for item in real[1:]]
        emulated_items = [json.loads(item) for item in emulated[1:]]
        if len(real_items) == len(emulated_items):
            found = []
            for index, (one, other) in enumerate(zip(real_items, emulated_items, strict=True)):
                found += differences(one, other, subset=subset, path=f"{path}[{index}]")
            return found
        if subset and all(item in emulated_items for item in real_items):
            return []
        return [f"{path}: items {real_items} against {emulated_items}"]
    if real != emulated:
        return [f"{path}: {real} against {emulated}"]
    return []


def test_shape_helper_catches_a_renamed_or_extra_field() -> None:
    real = shape({"video": {"uri": "u"}})
    assert differences(real, shape({"video": {"uri": "u"}}), subset=False) == []
    assert differences(real, shape({"video": {"uri": "u", "mimeType": "m"}}), subset=False)
    assert not differences(real, shape({"video": {"uri": "u", "mimeType": "m"}}), subset=True)
    assert differences(real, shape({"video": {"url": "u"}}), subset=True)
    assert differences(shape({"n": 1}), shape({"n": "1"}), subset=True)


# -- raw HTTP against the emulator --------------------------------------------------------


def call(
    emu: VeoEmulator, method: str, path: str, body: Any = None, *, vertex: bool = False
) -> tuple[int, dict[str, str], Any]:
    """Sends one request the way a client would; returns status, headers and JSON body."""
    headers = {"Content-Type": "application/json"}
    if vertex:
        headers["Authorization"] = f"Bearer {emu.token}"
    else:
        headers["x-goog-api-key"] = emu.api_key
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(emu.base_url + path, data, headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, dict(answer.headers), json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), json.loads(error.read())


def _create_vertex(emu: VeoEmulator, parameters: dict[str, Any] | None = None) -> Any:
    path = f"/v1beta1/{PROJECT}/publishers/google/models/{VERTEX_MODEL}:predictLongRunning"
    body = {"instances": [{"prompt": "a kite"}], "parameters": parameters or {}}
    return call(emu, "POST", path, body, vertex=True)


def _until_done(fetch: Callable[[], Any]) -> Any:
    deadline = time.monotonic() + 10
    while True:
        answer = fetch()
        if answer.get("done") or answer.get("status") not in (None, "in_progress"):
            return answer
        assert time.monotonic() < deadline, "never finished"
        time.sleep(0.02)


def _vertex_done(emu: VeoEmulator, parameters: dict[str, Any] | None = None) -> Any:
    status, _, created = _create_vertex(emu, parameters)
    assert status == 200, created
    path = f"/v1beta1/{PROJECT}/publishers/google/models/{VERTEX_MODEL}:fetchPredictOperation"
    return _until_done(
        lambda: call(emu, "POST", path, {"operationName": created["name"]}, vertex=True)[2]
    )


def _gemini_create(emu: VeoEmulator) -> Any:
    path = f"/v1beta/models/{GEMINI_MODEL}:predictLongRunning"
    status, _, created = call(emu, "POST", path, {"instances": [{"prompt": "a kite"}]})
    assert status == 200, created
    return created


def _gemini_done(emu: VeoEmulator) -> Any:
    name = _gemini_create(emu)["name"]
    return _until_done(lambda: call(emu, "GET", f"/v1beta/{name}")[2])


def _interaction_create(emu: VeoEmulator) -> Any:
    body = {"model": OMNI_MODEL, "input": "a kite", "background": True}
    status, _, created = call(emu, "POST", "/v1beta/interactions", body)
    assert status == 200, created
    return created


def _interaction_done(emu: VeoEmulator, query: str) -> Any:
    created = _interaction_create(emu)
    path = f"/v1beta/interactions/{created['id']}?{query}"
    return _until_done(lambda: call(emu, "GET", path)[2])


def _quota_429(emu: VeoEmulator) -> Any:
    emu.set_quota(1, 60.0)
    assert _create_vertex(emu)[0] == 200
    status, headers, body = _create_vertex(emu)
    assert status == 429
    assert "Retry-After" not in headers, "Google's 429s usually carry no Retry-After"
    return body


def _bad_duration(emu: VeoEmulator) -> Any:
    status, _, body = _create_vertex(emu, {"durationSeconds": 5})
    assert status == 400
    return body


def _large_inline(emu: VeoEmulator) -> Any:
    emu.script(Outcome.large(megabytes=40))
    return _vertex_done(emu)


def _filtered(emu: VeoEmulator) -> Any:
    emu.script(Outcome.filtered())
    return _vertex_done(emu)


# The emulator's answer for the situation of each fixture.
SITUATIONS: dict[str, Callable[[VeoEmulator, dict[str, Any]], Any]] = {
    "gemini_op_created": lambda emu, _: _gemini_create(emu),
    "gemini_op_done_response": lambda emu, _: _gemini_done(emu)["response"],
    "vertex_op_rai_filtered": lambda emu, _: _filtered(emu),
    "vertex_op_failed_large_inline": lambda emu, _: _large_inline(emu),
    "vertex_429_rate_limit": lambda emu, _: _quota_429(emu),
    "gemini_400_duration": lambda emu, _: _bad_duration(emu),
    "interaction_in_progress": lambda emu, _: _interaction_create(emu),
    "interaction_completed": lambda emu, f: _interaction_done(emu, f.get("query", "")),
    "interaction_steps_omni_cookbook": lambda emu, _: _interaction_done(emu, "")["steps"],
}


def test_every_fixture_has_a_situation_and_a_source() -> None:
    assert set(names()) == set(SITUATIONS)
    assert len(names()) >= 8
    for name in names():
        fixture = load(name)
        assert fixture["source"].startswith("https://"), name
        assert fixture["edits"], name
        assert fixture["compare"] in ("exact", "subset"), name


@pytest.mark.parametrize("name", names())
def test_emulator_answers_with_googles_shape(name: str) -> None:
    fixture = load(name)
    with VeoEmulator(latency=0.05) as emu:
        emulated = SITUATIONS[name](emu, fixture)
    found = differences(
        shape(fixture["payload"]), shape(emulated), subset=fixture["compare"] == "subset"
    )
    assert not found, "\n".join(found)


def test_messages_match_where_google_is_specific() -> None:
    # Beyond the shape: the texts clients match on.
    with VeoEmulator(latency=0.05) as emu:
        assert (
            _large_inline(emu)["error"] == load("vertex_op_failed_large_inline")["payload"]["error"]
        )
    with VeoEmulator(latency=0.05) as emu:
        bad = _bad_duration(emu)["error"]["message"]
    assert bad == load("gemini_400_duration")["payload"]["error"]["message"]
    with VeoEmulator(latency=0.05) as emu:
        errors = _quota_429(emu)["error"]["errors"]
    assert errors[0]["reason"] == "rateLimitExceeded" and errors[0]["domain"] == "global"


def test_interaction_steps_echo_the_input_only_on_request() -> None:
    with VeoEmulator(latency=0.05) as emu:
        plain = _interaction_done(emu, "")
        echoed = _interaction_done(emu, "include_input=true")
    assert [step["type"] for step in plain["steps"]] == ["thought", "model_output"]
    assert plain["steps"][0]["signature"]
    assert [step["type"] for step in echoed["steps"]] == ["user_input", "thought", "model_output"]


def test_a_quota_429_may_still_carry_retry_after_when_asked() -> None:
    with VeoEmulator(latency=0.05) as emu:
        emu.set_quota(1, 60.0, retry_after=True)
        _create_vertex(emu)
        status, headers, _ = _create_vertex(emu)
    assert status == 429 and float(headers["Retry-After"]) > 0


def test_large_video_is_still_inlined_below_the_limit_or_with_a_storage_uri() -> None:
    with VeoEmulator(latency=0.05) as emu:
        emu.script(Outcome.large(megabytes=2))
        small = _vertex_done(emu)
        emu.script(Outcome.large(megabytes=40))
        stored = _vertex_done(emu, {"storageUri": "gs://bucket/out/"})
    assert small["response"]["videos"][0]["bytesBase64Encoded"]
    assert stored["response"]["videos"][0]["gcsUri"].startswith("gs://bucket/out/")
