"""One contract, two engines: the SQLite and the PostgreSQL journal record the same states and
keep the same invariants, through the one interface a batch uses (``BatchJournal``)."""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from veowrap import JournalError, RequestValidationError
from veowrap._core import batch_rules
from veowrap._core.batch_rules import Decision, Owner, Slot
from veowrap._journal import _HOST, LEASE_SECONDS, JournalEntry, _start_token
from veowrap._journals import BatchJournal, open_journal


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, Any]]:
    """(engine name, a way to open the journal again: a file path or a DSN)."""
    if request.param == "sqlite":
        yield "sqlite", tmp_path / "run.sqlite"
    else:
        yield "postgresql", request.getfixturevalue("pg_dsn")


@pytest.fixture
def journal(engine: tuple[str, Any]) -> Iterator[BatchJournal]:
    opened = open_journal(engine[1])
    yield opened
    opened.close()


def dead_owner() -> Owner:
    """An owner in this process whose run has ended: known dead at once."""
    pid = os.getpid()
    return Owner(host=_HOST, pid=pid, start=_start_token(pid), run="ended-run")


def chooser(journal: BatchJournal, me: Owner, *, resend_uncertain: bool = False) -> Any:
    active = journal.active_runs()

    def decide(entry: JournalEntry) -> tuple[Decision, Any]:
        verdict = batch_rules.liveness(
            entry.owner,
            me,
            lease_at=entry.lease_at,
            now=time.time(),
            lease_seconds=LEASE_SECONDS,
            process_gone=entry.owner is not None and journal.owner_gone(entry.owner),
            active_runs=active,
        )
        decision = batch_rules.decide(
            Slot(entry.state, entry.handle is not None, entry.claims),
            verdict,
            phase="send",
            resend_uncertain=resend_uncertain,
            retry_failed=False,
            seen_claims=entry.claims,
        )
        return decision, decision.write

    return decide


def states(journal: BatchJournal) -> dict[str, str]:
    return {entry.key: entry.state for entry in journal.entries()}


def test_the_engine_satisfies_the_interface(journal: BatchJournal) -> None:
    assert isinstance(journal, BatchJournal)


def test_register_load_and_read_back_in_input_order(journal: BatchJournal) -> None:
    journal.register("b", 1, "fp-b")
    journal.load([("a", 0, "fp-a"), ("b", 1, "fp-b"), ("c", 2, "fp-c")])
    assert [e.key for e in journal.entries()] == ["a", "b", "c"]
    entry = journal.get("a")
    assert entry is not None and entry.state == "pending" and entry.claims == 0
    assert entry.owner is None and entry.paths == () and entry.error is None
    assert journal.get("missing") is None
    assert journal.counts() == {
        "pending": 3, "submitting": 0, "submitted": 0, "done": 0, "failed": 0, "uncertain": 0
    }  # fmt: skip


def test_a_key_recorded_for_another_request_is_refused(journal: BatchJournal) -> None:
    journal.register("a", 0, "fp-a")
    with pytest.raises(RequestValidationError):
        journal.register("a", 0, "fp-other")
    with pytest.raises(RequestValidationError):
        journal.load([("a", 0, "fp-other")])


def test_claim_record_and_release_follow_the_states(journal: BatchJournal) -> None:
    me = journal.begin_run()
    journal.load([("a", 0, "fp-a"), ("b", 1, "fp-b")])
    claimed, offered = journal.claim_next(chooser(journal, me), me, states=["pending"])
    assert claimed is not None and offered == []
    entry, decision = claimed
    assert (entry.key, decision.action) == ("a", "submit")
    now = journal.get("a")
    assert now is not None and now.state == "submitting" and now.owner == me and now.claims == 1
    assert now.lease_at is not None and abs(now.lease_at - time.time()) < 5

    assert journal.record("a", me, "submitted", handle='{"h": 1}', keep_lease=True)
    held = journal.get("a")
    assert held is not None and held.state == "submitted" and held.owner == me
    assert held.handle == '{"h": 1}'
    other = dead_owner()
    assert not journal.record("a", other, "done")  # not its lease: nothing written
    assert journal.record("a", me, "done", paths=["out/a.mp4"])
    done = journal.get("a")
    assert done is not None and done.state == "done" and done.owner is None
    assert done.paths == ("out/a.mp4",) and done.handle == '{"h": 1}'
    journal.end_run(me)


def test_the_end_of_a_run_leaves_in_flight_creates_uncertain(journal: BatchJournal) -> None:
    me = journal.begin_run()
    journal.load([("a", 0, "fp-a"), ("b", 1, "fp-b")])
    chosen = chooser(journal, me)
    journal.claim_next(chosen, me, states=["pending"])
    journal.claim_next(chosen, me, states=["pending"])
    journal.record("b", me, "submitted", handle="{}", keep_lease=True)
    lost = journal.end_run(me)
    assert [e.key for e in lost] == ["a"]
    assert states(journal) == {"a": "uncertain", "b": "submitted"}
    a = journal.get("a")
    assert a is not None and a.error is not None and a.error["type"] == "SubmissionUncertainError"
    assert all(e.owner is None for e in journal.entries())


def test_claims_skip_live_owners_and_settle_dead_ones(journal: BatchJournal) -> None:
    journal.load([(k, i, f"fp-{k}") for i, k in enumerate("abcd")])
    live = journal.begin_run()
    chosen = chooser(journal, live)
    journal.claim_next(chosen, live, states=["pending"])  # a: submitting, live owner
    dead = dead_owner()
    journal.step("b", 1, "fp-b", lambda e: (None, "claim_submit"), dead)  # b: died mid-create
    journal.step("c", 2, "fp-c", lambda e: (None, "claim_resume"), dead)  # c: died waiting
    journal.record("c", dead, "submitted", handle='{"op": "c"}', keep_lease=True)

    me = journal.begin_run()
    mine = chooser(journal, me)
    everything = ["pending", "submitting", "submitted"]
    claimed, offered = journal.claim_next(mine, me, states=everything)
    assert claimed is not None
    assert (claimed[0].key, claimed[1].action) == ("c", "resume")  # the dead worker's handle
    assert [(e.key, d.action) for e, d in offered] == [("a", "held"), ("b", "report_uncertain")]
    assert states(journal) == {
        "a": "submitting",
        "b": "uncertain",
        "c": "submitted",
        "d": "pending",
    }
    c = journal.get("c")
    assert c is not None and c.owner == me
    claimed, _ = journal.claim_next(mine, me, states=everything)
    assert claimed is not None and claimed[0].key == "d"
    claimed, _ = journal.claim_next(mine, me, states=everything)
    assert claimed is None  # only a (held by a live worker) is left
    # Uncertain items are re-sent only when the caller opts in; the claim counts them.
    again = chooser(journal, me, resend_uncertain=True)
    claimed, _ = journal.claim_next(again, me, states=["uncertain"])
    assert claimed is not None and claimed[0].key == "b"
    b = journal.get("b")
    assert b is not None and b.state == "submitting" and b.claims == 2
    journal.end_run(me)
    journal.end_run(live)


def test_mark_repairs_and_releases(journal: BatchJournal) -> None:
    me = journal.begin_run()
    journal.register("a", 0, "fp-a")
    journal.step("a", 0, "fp-a", lambda e: (None, "claim_submit"), me)
    journal.mark("a", "failed", error={"type": "X", "message": "m"})
    a = journal.get("a")
    assert a is not None and a.state == "failed" and a.owner is None
    assert a.error == {"type": "X", "message": "m"}
    journal.end_run(me)


def test_a_second_connection_sees_the_same_journal(
    journal: BatchJournal, engine: tuple[str, Any]
) -> None:
    me = journal.begin_run()
    journal.load([("a", 0, "fp-a")])
    journal.claim_next(chooser(journal, me), me, states=["pending"])
    other = open_journal(engine[1])
    try:
        them = other.begin_run()
        claimed, offered = other.claim_next(
            chooser(other, them), them, states=["pending", "submitting"]
        )
        assert claimed is None  # held by a live run: never claimed twice
        assert [d.action for _, d in offered] == ["held"]
        other.end_run(them)
    finally:
        other.close()
    journal.end_run(me)


def test_a_journal_from_a_newer_veowrap_is_refused(engine: tuple[str, Any]) -> None:
    name, where = engine
    open_journal(where).close()
    if name == "sqlite":
        with sqlite3.connect(where) as db:
            db.execute("PRAGMA user_version = 99")
    else:
        import psycopg

        with psycopg.connect(where, autocommit=True) as db:
            db.execute("UPDATE veowrap_schema SET version = 99")
    with pytest.raises(JournalError, match="newer veowrap"):
        open_journal(where)
