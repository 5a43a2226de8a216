"""Attacks on named batches in one PostgreSQL database: names, keys, request lists, misuse,
rights. In-process workers against the emulator."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import psycopg
import pytest

import veowrap
from veowrap.testing import VeoEmulator

from .h5 import creates_per_prompt, sql, states


def _gen(emu: VeoEmulator) -> veowrap.VideoGenerator:
    return veowrap.VideoGenerator(
        client=emu.client(vertex=True), poll_schedule=veowrap.PollSchedule.fixed(0.02)
    )


def _run(
    emu: VeoEmulator, dsn: str, prompts: Sequence[str], keys: Sequence[str] | None, batch: str
) -> list[veowrap.BatchItem]:
    return veowrap.VideoGenerator.generate_all(
        _gen(emu), list(prompts), keys=keys, journal=dsn, batch=batch, requests_per_minute=6000
    )


EVIL = [
    "x'); DROP TABLE veowrap_items; --",
    "%s%(x)s\\",
    "default' OR '1'='1",
    "ünï cødé 🎬",
    "a\tb\nc",
]


def test_sql_ish_batch_names_and_keys_are_data(dsn: str, emu: VeoEmulator) -> None:
    for n, name in enumerate(EVIL):
        items = _run(emu, dsn, [f"p{n}-{i}" for i in range(len(EVIL))], EVIL, name)
        assert all(item.ok for item in items), [item.error for item in items]
        assert sorted(item.key for item in items) == sorted(EVIL)
    assert emu.accepted_submissions == len(EVIL) ** 2
    for name in EVIL:  # each batch sees its own five items, all done
        assert states(dsn, name) == {key: "done" for key in EVIL}
    # And a rerun of one batch pays nothing.
    again = _run(emu, dsn, [f"p0-{i}" for i in range(len(EVIL))], EVIL, EVIL[0])
    assert all(item.skipped for item in again)
    assert emu.accepted_submissions == len(EVIL) ** 2


def test_same_batch_name_different_request_under_same_key_is_refused_before_sending(
    dsn: str, emu: VeoEmulator
) -> None:
    assert all(i.ok for i in _run(emu, dsn, ["a boat", "a kite"], ["k1", "k2"], "spring"))
    with pytest.raises(veowrap.RequestValidationError):
        _run(emu, dsn, ["a boat", "a DIFFERENT kite"], ["k1", "k2"], "spring")
    assert emu.accepted_submissions == 2
    # The same keys in another batch are another batch's business.
    assert all(i.ok for i in _run(emu, dsn, ["x", "y"], ["k1", "k2"], "autumn"))
    assert emu.accepted_submissions == 4


def test_two_request_lists_on_one_batch_name_never_send_each_others_items(
    dsn: str, emu: VeoEmulator
) -> None:
    gen = _gen(emu)
    first = gen.generate_many(
        [f"list-a {i}" for i in range(6)], journal=dsn, batch="shared", requests_per_minute=6000,
        concurrency=1,
    )  # fmt: skip
    one = next(iter(first))
    first.close()  # list A stopped early: most of its items are still pending
    assert one.ok
    items = _run(emu, dsn, ["list-b 0", "list-b 1"], None, "shared")
    assert len(items) == 2 and all(item.ok for item in items)
    per_prompt = creates_per_prompt(emu)
    assert max(per_prompt.values()) == 1
    assert sum(p.startswith("list-a") for p in per_prompt) <= 2  # B sent none of A's
    rest = _run(emu, dsn, [f"list-a {i}" for i in range(6)], None, "shared")
    assert all(item.ok for item in rest)
    assert max(creates_per_prompt(emu).values()) == 1
    assert emu.accepted_submissions == 8


def test_request_list_grown_between_runs(dsn: str, emu: VeoEmulator) -> None:
    assert all(i.ok for i in _run(emu, dsn, ["a", "b"], ["ka", "kb"], "grow"))
    items = _run(emu, dsn, ["a", "b", "c"], ["ka", "kb", "kc"], "grow")
    assert [(i.key, i.ok, i.skipped) for i in items] == [
        ("ka", True, True), ("kb", True, True), ("kc", True, False)
    ]  # fmt: skip
    # Shrunk and re-ordered: nothing re-sent, nothing hangs.
    items = _run(emu, dsn, ["c", "a"], ["kc", "ka"], "grow")
    assert all(i.ok and i.skipped for i in items)
    assert emu.accepted_submissions == 3


def test_batch_name_with_sqlite_or_without_journal_is_refused(
    tmp_path: Path, emu: VeoEmulator
) -> None:
    gen = _gen(emu)
    with pytest.raises(veowrap.RequestValidationError):
        gen.generate_many(["a"], journal=tmp_path / "j.sqlite", batch="spring")
    with pytest.raises(veowrap.RequestValidationError):
        gen.generate_many(["a"], journal=str(tmp_path / "j.sqlite"), batch="spring")
    with pytest.raises(veowrap.RequestValidationError):
        gen.generate_many(["a"], batch="spring")
    with pytest.raises(veowrap.RequestValidationError):
        veowrap.open_journal(str(tmp_path / "k.sqlite"), batch="spring")
    assert emu.accepted_submissions == 0
    assert not (tmp_path / "j.sqlite").exists()


@pytest.mark.parametrize("batch", ["", "   ", "x" * 201, 7])
def test_bad_batch_names_are_typed_errors(dsn: str, emu: VeoEmulator, batch: object) -> None:
    with pytest.raises(veowrap.RequestValidationError):
        _gen(emu).generate_many(["a"], journal=dsn, batch=batch)  # type: ignore[arg-type]
    assert emu.accepted_submissions == 0


@pytest.mark.parametrize("where", ["key", "batch"])
def test_nul_in_batch_name_or_key_is_a_validation_error(
    dsn: str, emu: VeoEmulator, where: str
) -> None:
    keys = ["a\x00b"] if where == "key" else None
    batch = "spring\x00x" if where == "batch" else "spring"
    try:
        with pytest.raises(veowrap.RequestValidationError):
            list(_gen(emu).generate_many(["a"], keys=keys, journal=dsn, batch=batch))
    finally:
        assert emu.accepted_submissions == 0


def _weak_user(dsn: str) -> str:
    sql(dsn, "CREATE ROLE a5_weak LOGIN") if not _role_exists(dsn) else None
    sql(
        dsn,
        "GRANT SELECT, INSERT, UPDATE, DELETE ON veowrap_items, veowrap_workers, "
        "veowrap_pacers, veowrap_schema TO a5_weak",
    )
    return dsn.replace("postgresql://veowrap@", "postgresql://a5_weak@", 1)


def _role_exists(dsn: str) -> bool:
    with psycopg.connect(dsn) as db:
        return db.execute("SELECT 1 FROM pg_roles WHERE rolname = 'a5_weak'").fetchone() is not None


def test_user_without_create_on_a_fresh_database_gets_journal_error_before_sending(
    dsn: str, emu: VeoEmulator
) -> None:
    if not _role_exists(dsn):
        sql(dsn, "CREATE ROLE a5_weak LOGIN")
    sql(dsn, "REVOKE CREATE ON SCHEMA public FROM PUBLIC")
    weak = dsn.replace("postgresql://veowrap@", "postgresql://a5_weak@", 1)
    with pytest.raises(veowrap.JournalError) as caught:
        _gen(emu).generate_many(["a"], journal=weak, batch="s", requests_per_minute=60)
    assert caught.value.hint
    assert emu.accepted_submissions == 0


def test_user_with_the_documented_rights_can_run_a_worker(dsn: str, emu: VeoEmulator) -> None:
    assert all(i.ok for i in _run(emu, dsn, ["a"], None, "s"))  # the owner's first run
    sql(dsn, "REVOKE CREATE ON SCHEMA public FROM PUBLIC")  # PostgreSQL 15's default anyway
    weak = _weak_user(dsn)
    items = _run(emu, weak, ["a", "b"], None, "s")
    assert all(i.ok for i in items)
    assert emu.accepted_submissions == 2


def test_older_schema_is_migrated_forward_and_keeps_its_items(dsn: str, emu: VeoEmulator) -> None:
    assert all(i.ok for i in _run(emu, dsn, ["a"], ["ka"], "old"))
    sql(dsn, "DROP TABLE veowrap_pacers")  # as schema version 1 left it
    sql(dsn, "UPDATE veowrap_schema SET version = 1")
    items = _run(emu, dsn, ["a", "b"], ["ka", "kb"], "old")
    assert [(i.key, i.ok, i.skipped) for i in items] == [("ka", True, True), ("kb", True, False)]
    assert emu.accepted_submissions == 2


def test_schema_table_emptied_or_garbage_is_not_a_crash(dsn: str, emu: VeoEmulator) -> None:
    veowrap.PostgresJournal(dsn, batch="x").close()
    sql(dsn, "UPDATE veowrap_schema SET version = -7")
    try:
        items = _run(emu, dsn, ["a"], None, "x")
    except veowrap.JournalError:
        assert emu.accepted_submissions == 0  # refused, typed, nothing sent
    else:
        assert all(i.ok for i in items)
