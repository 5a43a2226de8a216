"""The password of a PostgreSQL connection string: found in every form, masked, never quoted."""

from __future__ import annotations

import pytest

from veowrap._core import dsn

PW = "S3CRETpw-Zq9"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"postgresql://u:{PW}@host/db", {PW}),
        (f"postgres://u:{PW}@[::1/db", {PW}),
        (f"postgresql://u:{PW}%ZZ@host/db", {f"{PW}%ZZ"}),
        ("postgresql://u:p%40ss@host/db", {"p%40ss", "p@ss"}),
        ("postgresql://u:pa/ss@host/db", {"pa/ss"}),
        (f"postgresql://u@/db?host=/tmp&password={PW}", {PW}),
        (f"host=/tmp password={PW} dbname=x", {PW}),
        (f"host=/tmp password='{PW} x' dbname=x", {f"{PW} x"}),
        ("postgresql://u@host/db", set()),
    ],
)
def test_passwords_in_every_form(text: str, expected: set[str]) -> None:
    assert set(dsn.passwords(text)) == expected
    assert not any(secret in dsn.mask(text, text) for secret in expected)


@pytest.mark.parametrize(
    ("text", "names"),
    [
        (f"postgresql://u:{PW}@[::1/db", "IPv6"),
        (f"postgresql://u:{PW}%ZZ@localhost/db", "password"),
        ("postgresql://h/db?a=%zz", "hex digits"),
        ("host=x password='ab", "quoted"),
        (f"postgresql://u:{PW}@[::1]:5432/db", None),
        (f"postgresql://u:{PW}@localhost/db", None),
        ("postgresql://veowrap@/db?host=/tmp/x&port=5", None),
    ],
)
def test_problem_names_the_mistake_without_quoting_it(text: str, names: str | None) -> None:
    found = dsn.problem(text)
    if names is None:
        assert found is None
    else:
        assert found is not None and names in found
        assert PW not in found
