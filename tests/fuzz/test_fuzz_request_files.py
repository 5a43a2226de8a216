"""Malformed request files: ``load_requests`` raises ``RequestValidationError`` and nothing else.

A table of hand-made broken files (each one a way a real file goes wrong: wrong encoding,
binary junk, a JSON line that is not an object, CSV quirks, files that are not files) and
generated ones (random bytes, random JSON values, random CSV cells). Every error must name
the file and, where there is one, the line, and carry a hint.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from veowrap import RequestValidationError, VideoRequest
from veowrap._request_files import MAX_FILE_BYTES, MAX_LINE_CHARS, load_requests

SETTINGS = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
GOOD = '{"prompt": "a paper boat"}'
DEEP = "[" * 100_000 + "]" * 100_000

# name -> (suffix, content); bytes are written as they are, text as UTF-8. Each is malformed.
MALFORMED: dict[str, tuple[str, bytes | str]] = {
    "binary garbage": (".jsonl", bytes(range(256)) * 4),
    "png renamed": (".jsonl", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 40),
    "invalid utf-8 on line 2": (".jsonl", GOOD.encode() + b'\n{"prompt": "caf\xe9"}\n'),
    "invalid utf-8 in csv": (".csv", b"prompt\ncaf\xe9\n"),
    "utf-16 with bom": (".jsonl", "\ufeff" + GOOD + "\n"),  # rewritten as UTF-16 below
    "json list": (".jsonl", GOOD + "\n[1, 2]\n"),
    "json string": (".jsonl", '"a paper boat"\n'),
    "json number": (".jsonl", "42\n"),
    "json null": (".jsonl", "null\n"),
    "json true": (".jsonl", "true\n"),
    "truncated json": (".jsonl", '{"prompt": "a paper'),
    "two objects on one line": (".jsonl", GOOD + GOOD + "\n"),
    "deeply nested list": (".jsonl", DEEP + "\n"),
    "deeply nested field": (".jsonl", '{"prompt": "a", "labels": ' + DEEP + "}\n"),
    "huge integer": (".jsonl", '{"prompt": "a", "seed": ' + "9" * 10_000 + "}\n"),
    "prompt is a list": (".jsonl", '{"prompt": ["a", "b"]}\n'),
    "duration is a string": (".jsonl", '{"prompt": "a", "duration_seconds": "eight"}\n'),
    "duration is NaN": (".jsonl", '{"prompt": "a", "duration_seconds": NaN}\n'),
    "labels is a string": (".jsonl", '{"prompt": "a", "labels": "x"}\n'),
    "unknown field": (".jsonl", '{"prompt": "a", "durration": 8}\n'),
    "empty field name": (".jsonl", '{"prompt": "a", "": 1}\n'),
    "duplicate field": (".jsonl", '{"prompt": "a", "prompt": "b"}\n'),
    "key is a list": (".jsonl", '{"prompt": "a", "key": [1]}\n'),
    "key is blank": (".jsonl", '{"prompt": "a", "key": "  "}\n'),
    "key is too long": (".jsonl", '{"prompt": "a", "key": "' + "k" * 500 + '"}\n'),
    "duplicate keys": (".jsonl", '{"prompt": "a", "key": "k"}\n{"prompt": "b", "key": "k"}\n'),
    "line too long": (".jsonl", '{"prompt": "' + "a" * (MAX_LINE_CHARS + 10) + '"}\n'),
    "empty jsonl": (".jsonl", ""),
    "only blank lines": (".jsonl", "\n\n  \n\t\n"),
    "bom only": (".jsonl", "\ufeff"),
    "nul byte in jsonl": (".jsonl", GOOD + "\n\x00\n"),
    "csv with nul bytes": (".csv", "prompt,model\na\x00b,veo\n"),
    "csv field over the limit": (".csv", 'prompt\n"' + "a" * 200_000 + '"\n'),
    "csv without a header": (".csv", "a paper boat,veo-3.1-generate-001\nkite,veo\n"),
    "csv duplicate header": (".csv", "prompt,prompt\na,b\n"),
    "csv blank header": (".csv", "prompt,,model\na,x,veo\n"),
    "csv more cells than header": (".csv", "prompt\na,b,c\n"),
    "csv unterminated quote": (".csv", 'prompt\n"a paper boat\n'),
    "csv header only": (".csv", "prompt,model\n"),
    "csv empty": (".csv", ""),
    "csv bad value": (".csv", "prompt,duration_seconds\na,8\nb,eight\n"),
    "csv binary": (".csv", bytes(range(256)) * 4),
}


def _write(tmp_path: Path, name: str, suffix: str, content: bytes | str) -> Path:
    path = tmp_path / f"requests{suffix}"
    if name == "utf-16 with bom":
        assert isinstance(content, str)
        content = content.encode("utf-16")
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return path


def _check(error: RequestValidationError, path: Path) -> None:
    """Every error names the file, has a hint, and stays short whatever the input's size."""
    assert error.field.startswith(path.name) or error.field.startswith(str(path)), error.field
    assert error.hint, error
    assert len(str(error)) < 1_500, len(str(error))


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_malformed_file_gives_a_validation_error(tmp_path: Path, name: str) -> None:
    suffix, content = MALFORMED[name]
    path = _write(tmp_path, name, suffix, content)
    with pytest.raises(RequestValidationError) as caught:
        load_requests(path)
    _check(caught.value, path)


def test_there_are_at_least_31_malformed_files() -> None:
    assert len(MALFORMED) >= 31


@pytest.mark.parametrize(
    ("name", "where"),
    [
        ("invalid utf-8 on line 2", ":2"),
        ("json list", ":2"),
        ("duplicate keys", ":2.key"),
        ("unknown field", ":1.durration"),
        ("duration is a string", ":1.duration_seconds"),
        ("csv bad value", ":3.duration_seconds"),
        ("csv field over the limit", ":2"),
        ("csv with nul bytes", ":2"),
        ("nul byte in jsonl", ":2"),
        ("csv more cells than header", ":2"),
        ("csv without a header", ":1"),
    ],
)
def test_errors_name_the_line_and_field(tmp_path: Path, name: str, where: str) -> None:
    suffix, content = MALFORMED[name]
    path = _write(tmp_path, name, suffix, content)
    with pytest.raises(RequestValidationError) as caught:
        load_requests(path)
    assert caught.value.field == f"{path.name}{where}", caught.value.field


def test_a_directory_a_missing_file_and_a_special_file(tmp_path: Path) -> None:
    for path in (tmp_path, tmp_path / "missing.jsonl", Path("/proc/self/mem")):
        with pytest.raises(RequestValidationError) as caught:
            load_requests(path)
        _check(caught.value, path)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_an_unreadable_file(tmp_path: Path) -> None:
    path = tmp_path / "locked.jsonl"
    path.write_text(GOOD)
    path.chmod(0)
    with pytest.raises(RequestValidationError, match="permission"):
        load_requests(path)


def test_an_oversized_file_is_refused_without_reading_it_all(tmp_path: Path) -> None:
    path = tmp_path / "big.jsonl"
    with path.open("wb") as file:  # sparse: no disk is used
        file.truncate(MAX_FILE_BYTES + 1)
    with pytest.raises(RequestValidationError, match="too large") as caught:
        load_requests(path)
    _check(caught.value, path)


def test_utf8_bom_is_accepted(tmp_path: Path) -> None:
    jsonl = tmp_path / "bom.jsonl"
    jsonl.write_bytes(b"\xef\xbb\xbf" + GOOD.encode() + b"\r\n" + b'{"prompt": "kite"}\r\n')
    requests, keys = load_requests(jsonl)
    assert [r.prompt for r in requests] == ["a paper boat", "kite"] and keys == [None, None]
    csv_file = tmp_path / "bom.csv"
    csv_file.write_bytes(b"\xef\xbb\xbfprompt,key\r\na paper boat,boat\r\n")
    requests, keys = load_requests(csv_file)
    assert requests[0].prompt == "a paper boat" and keys == ["boat"]


def test_line_separators_inside_json_strings_do_not_split_lines(tmp_path: Path) -> None:
    path = tmp_path / "sep.jsonl"
    path.write_text('{"prompt": "a\u2028b\x85c"}\n{"prompt": "d", "key": 7}\n', encoding="utf-8")
    requests, keys = load_requests(path)
    assert requests[0].prompt == "a\u2028b\x85c" and keys == [None, "7"]


def test_csv_quoted_newlines_and_short_rows(tmp_path: Path) -> None:
    path = tmp_path / "ok.csv"
    path.write_text('prompt,duration_seconds,key\n"two\nlines",8,a\nkite\n')
    requests, keys = load_requests(path)
    assert requests[0].prompt == "two\nlines" and requests[0].duration_seconds == 8
    assert requests[1].duration_seconds is None and keys == ["a", None]


# -- generated files ---------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=10,
)
field_names = st.sampled_from([*VideoRequest.model_fields, "key", "bogus", ""])
rows = st.dictionaries(field_names, json_values, max_size=4)


def _load(tmp_path: Path, suffix: str, data: bytes) -> None:
    path = tmp_path / f"fuzz{suffix}"
    path.write_bytes(data)
    try:
        requests, keys = load_requests(path)
    except RequestValidationError as error:
        _check(error, path)
    else:
        assert len(requests) == len(keys) >= 1


@SETTINGS
@given(data=st.binary(max_size=300), suffix=st.sampled_from([".jsonl", ".csv"]))
@example(data=b"\xef\xbb\xbf", suffix=".csv")
@example(data=b"\xff\xfe{\x00}\x00", suffix=".jsonl")
@example(data=b'"\r', suffix=".csv")
def test_random_bytes(tmp_path: Path, data: bytes, suffix: str) -> None:
    _load(tmp_path, suffix, data)


@SETTINGS
@given(lines=st.lists(json_values | rows, min_size=0, max_size=4))
def test_random_json_lines(tmp_path: Path, lines: list[Any]) -> None:
    _load(tmp_path, ".jsonl", "\n".join(json.dumps(line) for line in lines).encode())


@SETTINGS
@given(
    header=st.lists(field_names | st.text(max_size=6), min_size=0, max_size=4),
    cells=st.lists(st.lists(st.text(max_size=8), max_size=5), max_size=4),
)
def test_random_csv(tmp_path: Path, header: list[str], cells: list[list[str]]) -> None:
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(cells)
    _load(tmp_path, ".csv", buffer.getvalue().encode("utf-8", "surrogatepass"))


MUTATIONS: list[Callable[[bytes], bytes]] = [
    lambda b: b[: len(b) // 2],
    lambda b: b.replace(b'"', b"", 1),
    lambda b: b.replace(b":", b",", 1),
    lambda b: b.replace(b"}", b"}}", 1),
    lambda b: b"\xff" + b,
]


@SETTINGS
@given(row=rows, mutation=st.sampled_from(MUTATIONS))
def test_mutated_valid_lines(tmp_path: Path, row: dict[str, Any], mutation: Any) -> None:
    _load(tmp_path, ".jsonl", mutation(json.dumps({"prompt": "a", **row}).encode()))
