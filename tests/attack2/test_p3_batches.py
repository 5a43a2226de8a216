"""Promise 3: batches never pay twice, never lose a paid job, never hang."""

from __future__ import annotations

import asyncio
import collections
import json
import os
import signal
import sqlite3
import subprocess
import threading
import time
from pathlib import Path

import a2
import pytest

import veowrap
from veowrap.testing import Fault, VeoEmulator

MODEL = "veo-3.1-generate-001"

CHILD_BATCH = """
import json, sys, veowrap, google.oauth2.credentials
from google import genai
from google.genai import types
base, journal, out = sys.argv[1], sys.argv[2], sys.argv[3]
n, conc = int(sys.argv[4]), int(sys.argv[5])
client = genai.Client(vertexai=True, project="p", location="us-central1",
    credentials=google.oauth2.credentials.Credentials(token="test-token"),
    http_options=types.HttpOptions(base_url=base))
gen = veowrap.VideoGenerator(client=client, poll_schedule=veowrap.PollSchedule.fixed(0.02),
    retry_policy=veowrap.RetryPolicy(attempts=2, initial_delay=0.01))
reqs = [veowrap.VideoRequest(prompt=f"prompt {i}", output_gcs_uri="gs://b/o/") for i in range(n)]
print("START", flush=True)
for item in gen.generate_many(reqs, keys=[f"k{i}" for i in range(n)], journal=journal,
                              output_dir=out, concurrency=conc):
    print("ITEM", json.dumps({"key": item.key, "ok": item.ok, "skipped": item.skipped,
        "held": item.held_elsewhere, "paths": [str(p) for p in item.paths],
        "error": type(item.error).__name__ if item.error else None}), flush=True)
print("END", flush=True)
"""


def _spawn(emu: VeoEmulator, journal: Path, out: Path, n: int, conc: int = 2):
    env = dict(os.environ)
    env["PYTHONPATH"] = str(a2.ROOT / "src")
    return subprocess.Popen(
        [a2.PYTHON, "-c", CHILD_BATCH, emu.base_url, str(journal), str(out), str(n), str(conc)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def _creates_by_prompt(emu: VeoEmulator) -> collections.Counter:
    counts: collections.Counter = collections.Counter()
    for request in emu.requests:
        if request.endpoint == "create" and isinstance(request.body, dict):
            counts[request.body["instances"][0]["prompt"]] += 1
    return counts


def _gen(emu: VeoEmulator):
    client = emu.client(vertex=True)
    gen = veowrap.VideoGenerator(
        client=client,
        poll_schedule=veowrap.PollSchedule.fixed(0.02),
        retry_policy=veowrap.RetryPolicy(attempts=2, initial_delay=0.01),
    )
    gen._keep = client  # type: ignore[attr-defined]
    return gen


def _agen(emu: VeoEmulator):
    client = emu.client(vertex=True)
    gen = veowrap.AsyncVideoGenerator(
        client=client,
        poll_schedule=veowrap.PollSchedule.fixed(0.02),
        retry_policy=veowrap.RetryPolicy(attempts=2, initial_delay=0.01),
    )
    gen._keep = client  # type: ignore[attr-defined]
    return gen


def _reqs(n: int):
    return [
        veowrap.VideoRequest(prompt=f"prompt {i}", output_gcs_uri="gs://b/o/") for i in range(n)
    ]


def _rerun(emu, journal, out, n, **kw):
    gen = _gen(emu)
    return list(
        gen.generate_many(
            _reqs(n),
            keys=[f"k{i}" for i in range(n)],
            journal=journal,
            output_dir=out,
            concurrency=4,
            **kw,
        )
    )


def _items(stdout: str) -> list[dict]:
    return [json.loads(line[5:]) for line in stdout.splitlines() if line.startswith("ITEM ")]


def _journal_states(journal: Path) -> dict[str, str]:
    db = sqlite3.connect(journal)
    try:
        return dict(db.execute("select key, state from items"))
    finally:
        db.close()


# -- several processes on one journal --------------------------------------------------------------


@pytest.mark.parametrize("processes", [2, 4])
def test_processes_share_a_journal_without_paying_twice(tmp_path, processes):
    n = 6
    with VeoEmulator(latency=0.3) as emu:
        journal, out = tmp_path / "run.sqlite", tmp_path / "out"
        procs = [_spawn(emu, journal, out, n) for _ in range(processes)]
        outs = []
        for proc in procs:
            stdout, stderr = proc.communicate(timeout=9)
            assert proc.returncode == 0, stderr[-3000:]
            outs.append(stdout)
        creates = _creates_by_prompt(emu)
        assert all(count == 1 for count in creates.values()), creates
        assert emu.accepted_submissions <= n
        # Every paid item is either saved or held (and collected by a rerun, without paying).
        final = _rerun(emu, journal, out, n)
        assert all(item.ok for item in final), [repr(i.error) for i in final]
        assert emu.accepted_submissions == n
        assert sorted(a2.visible_files(out)) == sorted(f"k{i}.mp4" for i in range(n))


# -- kill -9 at different moments ------------------------------------------------------------------


def _wait_until(predicate, timeout: float = 6.0) -> None:
    end = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < end, "condition never met"
        time.sleep(0.01)


@pytest.mark.parametrize("moment", ["mid_create", "after_accept", "mid_save"])
def test_kill9_then_rerun_never_pays_twice_nor_loses(tmp_path, moment):
    n = 3
    journal, out = tmp_path / "run.sqlite", tmp_path / "out"
    with VeoEmulator(latency=0.05) as emu:
        if moment == "mid_create":
            emu.inject("create", Fault.stall(1.0), call=1)
        elif moment == "after_accept":
            emu.set_latency(1.5)
        else:
            emu.inject("gcs_download", Fault.trickle_body(interval=0.05, after_bytes=2000))
        proc = _spawn(emu, journal, out, n, conc=1)
        try:
            if moment == "mid_create":
                _wait_until(lambda: sum(_creates_by_prompt(emu).values()) >= 1)
            elif moment == "after_accept":
                _wait_until(lambda: emu.accepted_submissions >= 1)
                time.sleep(0.2)
            else:
                # The partial file exists before the GET is sent: wait for the GET too, or the
                # one-shot trickle would be left for the rerun's download.
                _wait_until(
                    lambda: (
                        out.exists()
                        and any(".veowrap-partial-" in f for f in a2.all_files(out))
                        and any(r.endpoint == "gcs_download" for r in emu.requests)
                    )
                )
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(5)
        finally:
            if proc.poll() is None:
                proc.kill()
        time.sleep(1.1 if moment == "mid_create" else 0)  # the stalled create lands
        emu.set_latency(0.05)
        paid_before = emu.accepted_submissions
        final = _rerun(emu, journal, out, n)
        creates = _creates_by_prompt(emu)
        assert all(count == 1 for count in creates.values()), creates
        by_key = {item.key: item for item in final}
        if moment == "mid_create":
            assert isinstance(by_key["k0"].error, veowrap.SubmissionUncertainError)
        else:
            assert by_key["k0"].ok, repr(by_key["k0"].error)
            assert emu.accepted_submissions == n
        assert emu.accepted_submissions >= paid_before
        for item in final:
            for path in item.paths:
                veowrap.testing.inspect_mp4(path)
        assert a2.visible_files(out) == sorted(p.name for i in final for p in i.paths)


# -- the journal under attack ----------------------------------------------------------------------


def test_journal_not_sqlite_refused_before_any_request(tmp_path):
    journal = tmp_path / "run.sqlite"
    journal.write_bytes(b"this is my thesis, not a database\n" * 100)
    with VeoEmulator(latency=0.05) as emu:
        gen = _gen(emu)
        with pytest.raises(veowrap.JournalError):
            list(gen.generate_many(_reqs(2), journal=journal, output_dir=tmp_path / "o"))
        assert emu.requests == []
    assert journal.read_bytes().startswith(b"this is my thesis")


def test_journal_truncated_sqlite_refused(tmp_path):
    journal, out = tmp_path / "run.sqlite", tmp_path / "out"
    with VeoEmulator(latency=0.05) as emu:
        _rerun(emu, journal, out, 2)
        data = journal.read_bytes()
        journal.write_bytes(data[: len(data) // 3])
        emu.reset()
        with pytest.raises(veowrap.JournalError):
            _rerun(emu, journal, out, 2)
        assert emu.requests == []


def test_journal_locked_by_another_process_gives_typed_error_quickly(tmp_path):
    journal, out = tmp_path / "run.sqlite", tmp_path / "out"
    with VeoEmulator(latency=0.05) as emu:
        _rerun(emu, journal, out, 1)
        emu.reset()
        locker = a2.spawn_py(
            f"""
            import sqlite3, time, sys
            db = sqlite3.connect({str(journal)!r}, isolation_level=None)
            db.execute("BEGIN EXCLUSIVE")
            print("LOCKED", flush=True)
            time.sleep(6)
            """
        )
        try:
            assert locker.stdout.readline().strip() == "LOCKED"
            gen = _gen(emu)
            started = time.monotonic()
            with pytest.raises(veowrap.JournalError):
                list(
                    gen.generate_many(
                        _reqs(2),
                        keys=["k0", "k1"],
                        journal=veowrap.Journal(journal, lock_timeout=0.5),
                        output_dir=out,
                    )
                )
            assert time.monotonic() - started < 4
            assert emu.accepted_submissions == 0
        finally:
            locker.kill()
            locker.wait()


@pytest.mark.parametrize("damage", ["garbage", "truncate", "replace", "delete", "lock"])
def test_journal_damaged_mid_run(tmp_path, damage):
    n = 4
    journal, out = tmp_path / "run.sqlite", tmp_path / "out"
    with VeoEmulator(latency=0.4) as emu:
        gen = _gen(emu)
        items: list = []
        errors: list[BaseException] = []

        def run() -> None:
            try:
                for item in gen.generate_many(
                    _reqs(n),
                    keys=[f"k{i}" for i in range(n)],
                    journal=veowrap.Journal(journal, lock_timeout=1.0),
                    output_dir=out,
                    concurrency=n,
                ):
                    items.append(item)
            except BaseException as error:
                errors.append(error)

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        _wait_until(lambda: emu.accepted_submissions >= n)
        locker = None
        if damage == "garbage":
            with open(journal, "r+b") as f:
                f.write(os.urandom(4096))
        elif damage == "truncate":
            os.truncate(journal, 0)
        elif damage == "replace":
            other = tmp_path / "other.sqlite"
            sqlite3.connect(other).execute("create table t(x)").connection.commit()
            os.replace(other, journal)
        elif damage == "delete":
            for suffix in ("", "-wal", "-shm"):
                Path(f"{journal}{suffix}").unlink(missing_ok=True)
        else:
            locker = a2.spawn_py(
                f"""
                import sqlite3, time
                db = sqlite3.connect({str(journal)!r}, isolation_level=None)
                db.execute("BEGIN EXCLUSIVE")
                print("LOCKED", flush=True)
                time.sleep(3)
                """
            )
            locker.stdout.readline()
        thread.join(8)
        if locker is not None:
            locker.kill()
            locker.wait()
        assert not thread.is_alive(), "the batch hung after the journal was damaged"
        creates = _creates_by_prompt(emu)
        assert all(count == 1 for count in creates.values()), creates
        # No paid job is lost: each comes back with its handle, or as a typed error.
        assert not [e for e in errors if not isinstance(e, veowrap.VeowrapError)], errors
        for item in items:
            assert item.ok or item.handle is not None, (item.key, repr(item.error))
        if not errors:
            assert len(items) == n


# -- hooks -----------------------------------------------------------------------------------------


def test_on_event_hook_that_raises(tmp_path):
    n = 3
    with VeoEmulator(latency=0.1) as emu:
        gen = _gen(emu)

        def hook(event) -> None:
            raise RuntimeError("hook exploded")

        started = time.monotonic()
        items = list(
            gen.generate_many(
                _reqs(n),
                journal=tmp_path / "j.sqlite",
                output_dir=tmp_path / "o",
                on_event=hook,
            )
        )
        assert time.monotonic() - started < 6
        assert all(item.ok for item in items), [repr(i.error) for i in items]
        assert emu.accepted_submissions == n


def _hook_exits_on_second_event(tmp_path, emu, exc: BaseException):
    n = 3
    journal, out = tmp_path / "j.sqlite", tmp_path / "o"
    gen = _gen(emu)
    seen: list = []

    def hook(event) -> None:
        seen.append(event)
        if len(seen) == 2:
            raise exc

    with pytest.raises(type(exc)):
        list(
            gen.generate_many(
                _reqs(n),
                keys=[f"k{i}" for i in range(n)],
                journal=journal,
                output_dir=out,
                on_event=hook,
            )
        )
    return journal, out, n, seen


@pytest.mark.parametrize("exc", [SystemExit(3), KeyboardInterrupt()], ids=["exit", "kbint"])
def test_hook_base_exception_never_pays_twice(tmp_path, exc):
    with VeoEmulator(latency=0.1) as emu:
        journal, out, n, _ = _hook_exits_on_second_event(tmp_path, emu, exc)
        _rerun(emu, journal, out, n)
        _rerun(emu, journal, out, n, resend_uncertain=False)
        creates = _creates_by_prompt(emu)
        assert all(count == 1 for count in creates.values()), creates


@pytest.mark.parametrize("exc", [SystemExit(3), KeyboardInterrupt()], ids=["exit", "kbint"])
def test_break_hook_base_exception_leaves_run_active_forever(tmp_path, exc):
    with VeoEmulator(latency=0.1) as emu:
        journal, out, n, _ = _hook_exits_on_second_event(tmp_path, emu, exc)
        time.sleep(0.5)  # no batch thread of the aborted run is alive any more
        assert veowrap.Journal.active_runs() == frozenset()
        final = _rerun(emu, journal, out, n)
        held = [i.key for i in final if i.held_elsewhere]
        assert held == [], held


def test_break_hook_base_exception_loses_known_handle(tmp_path):
    with VeoEmulator(latency=0.1) as emu:
        journal, _out, _n, seen = _hook_exits_on_second_event(tmp_path, emu, SystemExit(3))
        submitted = [e for e in seen if type(e).__name__ == "Submitted"]
        assert len(submitted) == 2  # both handles were in the caller's hands
        states = _journal_states(journal)
        assert "uncertain" not in states.values(), states


def test_on_event_hook_that_blocks(tmp_path):
    n = 2
    with VeoEmulator(latency=0.1) as emu:
        gen = _gen(emu)
        blocked = threading.Event()

        def hook(event) -> None:
            if not blocked.is_set():
                blocked.set()
                time.sleep(1.5)

        result: list = []
        thread = threading.Thread(
            target=lambda: result.extend(
                gen.generate_many(
                    _reqs(n),
                    journal=tmp_path / "j.sqlite",
                    output_dir=tmp_path / "o",
                    on_event=hook,
                )
            ),
            daemon=True,
        )
        thread.start()
        thread.join(8)
        assert not thread.is_alive()
        assert all(item.ok for item in result)
        assert emu.accepted_submissions == n


# -- the consumer walks away -----------------------------------------------------------------------


def _journaled_handles(journal: Path) -> int:
    db = sqlite3.connect(journal)
    try:
        return db.execute("select count(*) from items where handle is not null").fetchone()[0]
    finally:
        db.close()


def _stall_later_creates(emu: VeoEmulator) -> None:
    # Creates 3 and 4 are slow to answer, so they are surely in flight when the consumer leaves
    # (the server accepts them all the same: they are paid).
    emu.inject("create", Fault.stall(0.4), call=3)
    emu.inject("create", Fault.stall(0.4), call=4)


def test_break_out_of_sync_iterator_loses_paid_creates(tmp_path):
    n = 5
    journal, out = tmp_path / "j.sqlite", tmp_path / "o"
    with VeoEmulator(latency=0.3) as emu:
        _stall_later_creates(emu)
        gen = _gen(emu)
        started = time.monotonic()
        iterator = gen.generate_many(
            _reqs(n),
            keys=[f"k{i}" for i in range(n)],
            journal=journal,
            output_dir=out,
            concurrency=2,
        )
        for _item in iterator:
            break
        iterator.close()
        assert time.monotonic() - started < 5
        time.sleep(0.6)  # the stalled creates land on the server
        final = _rerun(emu, journal, out, n)
        creates = _creates_by_prompt(emu)
        assert all(count == 1 for count in creates.values()), creates  # held: never twice
        assert emu.accepted_submissions == _journaled_handles(journal)
        assert all(item.ok for item in final), [repr(i.error) for i in final]


def test_break_out_of_sync_iterator_never_pays_twice(tmp_path):
    n = 5
    journal, out = tmp_path / "j.sqlite", tmp_path / "o"
    with VeoEmulator(latency=0.3) as emu:
        _stall_later_creates(emu)
        gen = _gen(emu)
        iterator = gen.generate_many(
            _reqs(n),
            keys=[f"k{i}" for i in range(n)],
            journal=journal,
            output_dir=out,
            concurrency=2,
        )
        for _item in iterator:
            break
        iterator.close()
        time.sleep(0.6)
        _rerun(emu, journal, out, n)
        _rerun(emu, journal, out, n)
        creates = _creates_by_prompt(emu)
        assert all(count == 1 for count in creates.values()), creates


def test_abandoned_sync_iterator_loses_paid_creates(tmp_path):
    """The iterator is dropped (not closed) after one item."""
    n = 5
    journal, out = tmp_path / "j.sqlite", tmp_path / "o"
    with VeoEmulator(latency=0.3) as emu:
        _stall_later_creates(emu)
        gen = _gen(emu)
        iterator = iter(
            gen.generate_many(
                _reqs(n),
                keys=[f"k{i}" for i in range(n)],
                journal=journal,
                output_dir=out,
                concurrency=2,
            )
        )
        next(iterator)
        del iterator
        time.sleep(0.6)
        result: list = []
        thread = threading.Thread(
            target=lambda: result.extend(_rerun(emu, journal, out, n)), daemon=True
        )
        thread.start()
        thread.join(8)
        assert not thread.is_alive(), "rerun hung"
        creates = _creates_by_prompt(emu)
        assert all(count == 1 for count in creates.values()), creates
        assert emu.accepted_submissions == _journaled_handles(journal)


def test_cancel_consuming_task_then_rerun(tmp_path):
    n = 4
    journal, out = tmp_path / "j.sqlite", tmp_path / "o"
    with VeoEmulator(latency=0.5) as emu:
        gen = _agen(emu)

        async def consume() -> None:
            async for _ in gen.generate_many(
                _reqs(n),
                keys=[f"k{i}" for i in range(n)],
                journal=journal,
                output_dir=out,
                concurrency=4,
            ):
                pass

        async def main() -> None:
            task = asyncio.create_task(consume())
            while emu.accepted_submissions < 2:
                await asyncio.sleep(0.01)
            task.cancel()
            started = time.monotonic()
            with pytest.raises(asyncio.CancelledError):
                await asyncio.wait_for(task, 5)
            assert time.monotonic() - started < 3

        asyncio.run(main())
        time.sleep(0.2)
        final = _rerun(emu, journal, out, n)
        creates = _creates_by_prompt(emu)
        assert all(count == 1 for count in creates.values()), creates
        lost = [
            i
            for i in final
            if not i.ok and not isinstance(i.error, veowrap.SubmissionUncertainError)
        ]
        assert not lost, [repr(i.error) for i in lost]
        assert emu.accepted_submissions == len(creates)


def test_cancel_consuming_task_loses_paid_creates(tmp_path):
    n = 5
    journal, out = tmp_path / "j.sqlite", tmp_path / "o"
    with VeoEmulator(latency=0.3) as emu:
        _stall_later_creates(emu)
        gen = _agen(emu)

        async def consume() -> None:
            async for _ in gen.generate_many(
                _reqs(n),
                keys=[f"k{i}" for i in range(n)],
                journal=journal,
                output_dir=out,
                concurrency=4,
            ):
                pass

        async def main() -> None:
            task = asyncio.create_task(consume())
            while sum(_creates_by_prompt(emu).values()) < 4:
                await asyncio.sleep(0.01)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await asyncio.wait_for(task, 5)

        asyncio.run(main())
        time.sleep(0.6)
        assert emu.accepted_submissions == _journaled_handles(journal)


def test_two_batches_same_journal_same_process_concurrently(tmp_path):
    n = 4
    journal, out = tmp_path / "j.sqlite", tmp_path / "o"
    with VeoEmulator(latency=0.3) as emu:
        results: list[list] = [[], []]
        threads = [
            threading.Thread(target=lambda r=r: r.extend(_rerun(emu, journal, out, n)), daemon=True)
            for r in results
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(8)
        assert not any(t.is_alive() for t in threads)
        creates = _creates_by_prompt(emu)
        assert all(count == 1 for count in creates.values()), creates
        assert emu.accepted_submissions == n
        final = _rerun(emu, journal, out, n)
        assert all(i.ok for i in final)


def test_save_failure_then_retry_failed_resumes_without_paying(tmp_path):
    n = 1
    journal, out = tmp_path / "j.sqlite", tmp_path / "o"
    with VeoEmulator(latency=0.05) as emu:
        emu.inject("gcs_download", Fault.wrong_content("html"), call=1)
        first = _rerun(emu, journal, out, n)
        assert not first[0].ok and first[0].handle is not None
        second = _rerun(emu, journal, out, n, retry_failed=True)
        assert second[0].ok, repr(second[0].error)
        assert emu.accepted_submissions == 1
        assert _journal_states(journal) == {"k0": "done"}
