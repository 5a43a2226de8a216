"""What only the PostgreSQL journal does: named batches, migrations, a shared pacer, reconnects."""

from __future__ import annotations

import itertools
from pathlib import Path

import psycopg
import pytest

from veowrap import JournalError, RequestValidationError
from veowrap._journal_postgres import MIGRATIONS, SCHEMA_VERSION, PostgresJournal, SharedPacer
from veowrap._journals import open_journal
from veowrap.testing import PostgresServer


def test_named_batches_share_one_database_without_seeing_each_other(pg_dsn: str) -> None:
    spring = open_journal(pg_dsn, batch="spring-campaign")
    autumn = open_journal(pg_dsn, batch="autumn")
    try:
        spring.load([("a", 0, "fp-1"), ("b", 1, "fp-2")])
        autumn.load([("a", 0, "fp-other")])  # the same key, another batch: no clash
        assert [e.fingerprint for e in spring.entries()] == ["fp-1", "fp-2"]
        assert [e.fingerprint for e in autumn.entries()] == ["fp-other"]
        assert autumn.counts()["pending"] == 1
        assert "spring-campaign" in str(spring.path)
    finally:
        spring.close()
        autumn.close()


def test_an_sqlite_journal_holds_one_batch(tmp_path: Path) -> None:
    with pytest.raises(RequestValidationError, match="batch"):
        open_journal(tmp_path / "run.sqlite", batch="spring")


@pytest.mark.parametrize("name", ["", "   ", "x" * 201])
def test_a_bad_batch_name_is_refused(pg_dsn: str, name: str) -> None:
    with pytest.raises(RequestValidationError, match="batch"):
        open_journal(pg_dsn, batch=name)


def test_an_older_schema_is_migrated_forward(pg_dsn: str) -> None:
    with psycopg.connect(pg_dsn, autocommit=True) as db:  # the database as version 1 left it
        db.execute(
            "CREATE TABLE veowrap_schema (only_row boolean PRIMARY KEY DEFAULT true "
            "CHECK (only_row), version integer NOT NULL)"
        )
        for statement in MIGRATIONS[0][1]:
            db.execute(statement)  # type: ignore[arg-type]
        db.execute("INSERT INTO veowrap_schema (version) VALUES (1)")
        db.execute(
            "INSERT INTO veowrap_items (batch, key, position, fingerprint, state) "
            "VALUES ('default', 'kept', 0, 'fp', 'done')"
        )
    journal = PostgresJournal(pg_dsn)
    try:
        assert [e.key for e in journal.entries()] == ["kept"]
        assert SharedPacer(journal, 60).reserve(0.0) == 0.0  # the pacer table exists now
    finally:
        journal.close()
    with psycopg.connect(pg_dsn) as db:
        row = db.execute("SELECT version FROM veowrap_schema").fetchone()
    assert row == (SCHEMA_VERSION,)


def test_workers_book_one_shared_sequence_of_slots(pg_dsn: str) -> None:
    first, second = PostgresJournal(pg_dsn), PostgresJournal(pg_dsn)
    try:
        a, b = SharedPacer(first, 60), SharedPacer(second, 60)  # about one a second
        waits = [a.reserve(0.0), b.reserve(0.0), a.reserve(0.0), b.reserve(0.0)]
        assert waits[0] == 0.0
        gaps = [later - earlier for earlier, later in itertools.pairwise(waits)]
        assert all(gap > 0.9 for gap in gaps), waits  # never two workers in one slot
        rate = a.rate
        b.throttled(0.0, retry_after=None)  # one worker's 429 slows every worker
        assert a.rate is not None and rate is not None and a.rate < rate
    finally:
        first.close()
        second.close()


def test_an_unreachable_server_is_a_typed_error_without_the_password(tmp_path: Path) -> None:
    dsn = f"postgresql://someone:s3cret@/db?host={tmp_path}&port=1"
    with pytest.raises(JournalError) as caught:
        PostgresJournal(dsn, lock_timeout=1)
    assert "s3cret" not in str(caught.value)
    assert "cannot be reached" in str(caught.value)


def test_a_restarted_server_is_reconnected_to(pg_server: PostgresServer, pg_dsn: str) -> None:
    journal = PostgresJournal(pg_dsn)
    try:
        journal.register("a", 0, "fp")
        pg_server.restart()  # every connection breaks
        journal.register("b", 1, "fp-b")
        assert [e.key for e in journal.entries()] == ["a", "b"]
    finally:
        journal.close()


def test_a_server_that_stays_down_is_a_typed_error(pg_server: PostgresServer, pg_dsn: str) -> None:
    journal = PostgresJournal(pg_dsn, lock_timeout=1)
    try:
        pg_server.stop("immediate")
        try:
            with pytest.raises(JournalError, match=r"stopped answering|cannot be reached"):
                journal.register("a", 0, "fp")
        finally:
            pg_server.run()
        journal.register("a", 0, "fp")  # and once it is back, the same journal goes on
        assert journal.get("a") is not None
    finally:
        journal.close()


def test_a_worker_on_another_host_is_judged_by_its_heartbeat(pg_dsn: str) -> None:
    from veowrap._core.batch_rules import Owner

    from .test_journal_contract import chooser

    journal = PostgresJournal(pg_dsn)
    try:
        journal.load([("a", 0, "fp-a"), ("b", 1, "fp-b")])
        remote = Owner(host="render-node-7", pid=4242, start=None, run="remote-run")
        with psycopg.connect(pg_dsn, autocommit=True) as db:  # its worker row, beating now
            db.execute(
                "INSERT INTO veowrap_workers (run, batch, host, pid) "
                "VALUES ('remote-run', 'default', 'render-node-7', 4242)"
            )
        for key, position in (("a", 0), ("b", 1)):
            journal.step(key, position, f"fp-{key}", lambda e: (None, "claim_submit"), remote)
        me = journal.begin_run()
        everything = ["pending", "submitting", "submitted"]
        claimed, offered = journal.claim_next(chooser(journal, me), me, states=everything)
        assert claimed is None
        assert [d.action for _, d in offered] == ["held", "held"]  # its heartbeat is fresh
        with psycopg.connect(pg_dsn, autocommit=True) as db:  # two minutes of silence
            db.execute("UPDATE veowrap_workers SET heartbeat_at = heartbeat_at - 120")
            db.execute("UPDATE veowrap_items SET lease_at = lease_at - 120")
        claimed, offered = journal.claim_next(chooser(journal, me), me, states=everything)
        assert [d.action for _, d in offered] == ["report_uncertain", "report_uncertain"]
        assert {e.state for e in journal.entries()} == {"uncertain"}  # never re-sent
        journal.end_run(me)
    finally:
        journal.close()
