"""Where a batch saves: one file per video, never two videos to one name, nothing replaced."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import veowrap
from veowrap._batch import build_runner
from veowrap.testing import VeoEmulator

FAST = {
    "poll_schedule": veowrap.PollSchedule.fixed(0.02),
    "retry_policy": veowrap.RetryPolicy(attempts=4, initial_delay=0.01, max_delay=0.05, jitter=0),
}
MODEL = "veo-3.1-fast-generate-001"


@pytest.fixture
def emu() -> Iterator[VeoEmulator]:
    with VeoEmulator(latency=0.05) as emulator:
        yield emulator


def run(emu: VeoEmulator, reqs: list[Any], **options: Any) -> list[veowrap.BatchItem]:
    gen = veowrap.VideoGenerator(client=emu.client(vertex=True), **FAST)
    return gen.generate_all(reqs, **options)


def request(prompt: str, videos: int = 1) -> veowrap.VideoRequest:
    return veowrap.VideoRequest(prompt=prompt, model=MODEL, number_of_videos=videos)


@pytest.mark.parametrize(
    ("keys", "videos"),
    [
        (["a", "a-1"], [2, 1]),  # a's second video and a-1's first would both be a-1.mp4
        (["p/q", "p q"], [1, 1]),  # both sanitise to p-q
        (["Clip", "clip"], [1, 1]),  # one file on a case-insensitive file system
        (["x", "x-1", "x-2", "x-1-1"], [3, 2, 1, 1]),
    ],
)
def test_no_two_videos_of_a_batch_share_a_file(
    keys: list[str], videos: list[int], emu: VeoEmulator, tmp_path: Path
) -> None:
    reqs = [request(f"clip {i}", n) for i, n in enumerate(videos)]
    items = run(emu, reqs, keys=keys, output_dir=tmp_path / "out")
    assert all(item.ok for item in items), [item.error for item in items]
    paths = [path for item in items for path in item.paths]
    assert len(paths) == sum(videos)
    names = [path.name.casefold() for path in paths]
    assert len(set(names)) == len(names)
    assert len(list((tmp_path / "out").glob("*.mp4"))) == sum(videos)
    assert all(path.parent == tmp_path / "out" for path in paths)


def test_names_are_stable_across_reruns_and_plain_keys_stay_plain(
    emu: VeoEmulator, tmp_path: Path
) -> None:
    keys = ["boat", "a", "a-1", "../../etc/passwd"]
    reqs = [request("boat"), request("a", 2), request("a-1"), request("escape")]
    first = run(emu, reqs, keys=keys, output_dir=tmp_path / "one")
    second = run(emu, reqs, keys=keys, output_dir=tmp_path / "two")
    assert [[p.name for p in i.paths] for i in first] == [[p.name for p in i.paths] for i in second]
    assert first[0].paths[0].name == "boat.mp4"
    assert all(p.resolve().parent == (tmp_path / "one").resolve() for p in first[3].paths)
    assert not first[3].paths[0].name.startswith(".")


def test_an_existing_file_is_not_replaced(emu: VeoEmulator, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "boat.mp4").write_bytes(b"my own video")
    items = run(emu, [request("boat"), request("kite")], keys=["boat", "kite"], output_dir=out)
    assert isinstance(items[0].error, veowrap.DestinationExistsError)
    assert items[0].error.handle is not None  # the paid video stays retrievable
    assert (out / "boat.mp4").read_bytes() == b"my own video"
    assert items[1].ok and (out / "kite.mp4").exists()
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # nothing left behind


def test_overwrite_replaces_an_existing_file(emu: VeoEmulator, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "boat.mp4").write_bytes(b"my own video")

    async def go() -> list[veowrap.BatchItem]:
        agen = veowrap.AsyncVideoGenerator(client=emu.client(vertex=True), **FAST)
        runner = build_runner(
            agen,
            [request("boat")],
            keys=["boat"],
            concurrency=1,
            requests_per_minute=None,
            journal=None,
            output_dir=out,
            timeout=None,
            on_event=None,
            resend_uncertain=False,
            retry_failed=False,
            overwrite=True,
        )
        return [item async for item in runner.run()]

    (item,) = asyncio.run(go())
    assert item.ok and (out / "boat.mp4").read_bytes() != b"my own video"


def test_identical_file_from_an_interrupted_save_counts_as_saved(
    emu: VeoEmulator, tmp_path: Path
) -> None:
    # A process killed after placing the file but before journaling "done": the rerun's
    # download is byte-identical, so the file is the item's own and the item is done.
    journal = tmp_path / "run.sqlite"
    out = tmp_path / "out"
    items = run(emu, [request("boat")], keys=["boat"], output_dir=out, journal=journal)
    veowrap.Journal(journal).mark("boat", "submitted")
    again = run(emu, [request("boat")], keys=["boat"], output_dir=out, journal=journal)
    assert again[0].ok and again[0].paths == items[0].paths
    assert emu.accepted_submissions == 1


def test_unwritable_output_dir_is_refused_before_sending(emu: VeoEmulator, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(veowrap.DestinationError) as caught:
        run(emu, [request("boat")], output_dir=blocker / "out")
    assert caught.value.hint and emu.requests == []
