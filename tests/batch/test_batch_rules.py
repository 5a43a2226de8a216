"""The batch's pure decisions, table-driven: liveness of owners, what to do with an item, names."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from veowrap._core.batch_rules import (
    Decision,
    Liveness,
    Owner,
    Slot,
    Stage,
    decide,
    file_names,
    for_stage,
    liveness,
    sanitise,
    surplus_name,
)

ME = Owner(host="here", pid=100, start="boot:1", run="me")
SIBLING = Owner(host="here", pid=100, start="boot:1", run="sibling")  # another run, same process
NEIGHBOUR = Owner(host="here", pid=200, start="boot:2", run="n")  # another process, same host
REMOTE = Owner(host="there", pid=100, start="boot:1", run="r")  # another host
LEASE = 60.0

# id, owner, lease age (None: never renewed), process gone, active runs, expected
LIVENESS: list[tuple[str, Owner | None, float | None, bool, set[str], Liveness]] = [
    ("nobody", None, None, False, set(), "free"),
    ("this-run", ME, 0.0, False, {"me"}, "mine"),
    ("this-run-stale-lease", ME, 999.0, False, {"me"}, "mine"),
    ("sibling-run-active", SIBLING, 999.0, False, {"me", "sibling"}, "live"),
    ("sibling-run-ended", SIBLING, 0.0, False, {"me"}, "dead"),
    ("neighbour-gone", NEIGHBOUR, 0.0, True, set(), "dead"),
    ("neighbour-alive-fresh", NEIGHBOUR, 5.0, False, set(), "live"),
    ("neighbour-alive-stale", NEIGHBOUR, LEASE + 1, False, set(), "dead"),
    ("remote-fresh", REMOTE, LEASE - 1, False, set(), "live"),
    ("remote-stale", REMOTE, LEASE + 1, False, set(), "dead"),
    ("remote-never-renewed", REMOTE, None, False, set(), "dead"),
    ("remote-process-probe-ignored", REMOTE, 1.0, True, set(), "live"),
]


@pytest.mark.parametrize(
    ("owner", "age", "gone", "active", "expected"),
    [case[1:] for case in LIVENESS],
    ids=[case[0] for case in LIVENESS],
)
def test_liveness(
    owner: Owner | None, age: float | None, gone: bool, active: set[str], expected: Liveness
) -> None:
    now = 1_000.0
    verdict = liveness(
        owner,
        ME,
        lease_at=None if age is None else now - age,
        now=now,
        lease_seconds=LEASE,
        process_gone=gone,
        active_runs=frozenset(active),
    )
    assert verdict == expected


# id, state, has handle, claims (seen 1), liveness, phase, resend, retry, expected decision
DECISIONS: list[tuple[str, str, bool, int, Liveness, str, bool, bool, Decision]] = [
    ("done", "done", True, 1, "free", "look", False, False, Decision("skip_done")),
    ("pending-look", "pending", False, 1, "free", "look", False, False, Decision("submit")),
    (
        "pending-send-claims",
        "pending",
        False,
        1,
        "free",
        "send",
        False,
        False,
        Decision("submit", "claim_submit"),
    ),
    ("pending-claimed-since", "pending", False, 5, "free", "send", False, False,
     Decision("submit", "claim_submit")),
    ("submitting-live", "submitting", False, 1, "live", "send", True, True, Decision("held")),
    ("submitting-mine", "submitting", False, 1, "mine", "look", False, False, Decision("held")),
    ("submitting-dead", "submitting", False, 1, "dead", "look", False, False,
     Decision("report_uncertain", "mark_uncertain")),
    ("submitting-no-owner", "submitting", False, 1, "free", "send", False, False,
     Decision("report_uncertain", "mark_uncertain")),
    ("submitting-dead-resend-look", "submitting", False, 1, "dead", "look", True, False,
     Decision("submit")),
    ("submitting-dead-resend-send", "submitting", False, 1, "dead", "send", True, False,
     Decision("submit", "claim_submit")),
    ("submitting-dead-resend-but-reclaimed", "submitting", False, 2, "dead", "send", True,
     False, Decision("report_uncertain", "mark_uncertain")),
    ("uncertain", "uncertain", False, 1, "free", "look", False, False,
     Decision("report_uncertain")),
    ("uncertain-resend", "uncertain", False, 1, "free", "send", True, False,
     Decision("submit", "claim_submit")),
    ("uncertain-again-after-another-resend", "uncertain", False, 2, "free", "send", True,
     False, Decision("report_uncertain")),
    ("submitted-live", "submitted", True, 1, "live", "look", False, False, Decision("held")),
    ("submitted-free", "submitted", True, 1, "free", "look", False, False,
     Decision("resume", "claim_resume")),
    ("submitted-owner-dead", "submitted", True, 1, "dead", "send", False, False,
     Decision("resume", "claim_resume")),
    ("failed", "failed", True, 1, "free", "look", True, False, Decision("report_failed")),
    ("failed-retry-with-handle", "failed", True, 1, "free", "look", False, True,
     Decision("resume", "claim_resume")),
    ("failed-retry-no-handle-look", "failed", False, 1, "free", "look", False, True,
     Decision("submit")),
    ("failed-retry-no-handle-send", "failed", False, 1, "free", "send", False, True,
     Decision("submit", "claim_submit")),
    ("failed-retried-elsewhere", "failed", False, 2, "free", "send", False, True,
     Decision("report_failed")),
]  # fmt: skip


@pytest.mark.parametrize(
    ("state", "handle", "claims", "owner", "phase", "resend", "retry", "expected"),
    [case[1:] for case in DECISIONS],
    ids=[case[0] for case in DECISIONS],
)
def test_decide(
    state: str,
    handle: bool,
    claims: int,
    owner: Liveness,
    phase: str,
    resend: bool,
    retry: bool,
    expected: Decision,
) -> None:
    decision = decide(
        Slot(state, handle, claims),  # type: ignore[arg-type]
        owner,
        phase=phase,  # type: ignore[arg-type]
        resend_uncertain=resend,
        retry_failed=retry,
        seen_claims=1,
    )
    assert decision == expected


@pytest.mark.parametrize(
    ("key", "stem"),
    [
        ("boat", "boat"),
        ("clip-01", "clip-01"),
        ("p/q", "p-q"),
        ("p q", "p-q"),
        ("../../etc/passwd", "etc-passwd"),
        (".hidden", "hidden"),
        ("...", "item"),
        ("", "item"),
        ("café crème", "cafe-creme"),
        ("日本", "item"),
        ("a" * 200, "a" * 80),
        ("name.", "name"),
    ],
)
def test_sanitise(key: str, stem: str) -> None:
    assert sanitise(key) == stem


def test_plain_keys_keep_plain_names() -> None:
    assert file_names(["boat", "kite"], [1, 2]) == [
        ("boat.mp4",),
        ("kite.mp4", "kite-1.mp4"),
    ]


@pytest.mark.parametrize(
    ("keys", "counts"),
    [
        (["a", "a-1"], [2, 1]),
        (["p/q", "p q"], [1, 1]),
        (["Clip", "clip"], [1, 1]),
        (["x", "x-1", "x-2", "x-1-1"], [3, 2, 1, 1]),
        (["日本", "中国", "item"], [1, 1, 1]),
        (["a" * 100 + "1", "a" * 100 + "2"], [1, 1]),
    ],
)
def test_clashing_keys_get_distinct_stable_names(keys: list[str], counts: list[int]) -> None:
    names = file_names(keys, counts)
    flat = [name.casefold() for item in names for name in item]
    assert len(flat) == len(set(flat)) == sum(counts)
    assert [len(item) for item in names] == counts
    # The same for any input order: a name depends only on the set of keys.
    reordered = file_names(list(reversed(keys)), list(reversed(counts)))
    assert list(reversed(reordered)) == names


def test_a_hashed_name_that_clashes_with_a_literal_key_is_hashed_further() -> None:
    first = file_names(["a", "a-1"], [2, 1])
    literal = first[0][0].removesuffix(".mp4")  # a key spelled like a's hashed stem
    names = file_names(["a", "a-1", literal], [2, 1, 1])
    flat = [name.casefold() for item in names for name in item]
    assert len(flat) == len(set(flat)) == 4


def test_reserved_windows_names_are_hashed() -> None:
    ((name,),) = file_names(["CON"], [1])
    assert name.startswith("CON-") and name.endswith(".mp4")


def assert_surplus_names_are_free(keys: list[str], counts: list[int]) -> None:
    """No extra video of any item can take a name of another item, or another item's extra."""
    names = file_names(keys, counts)
    regular = {name.casefold(): index for index, item in enumerate(names) for name in item}
    extras: dict[str, int] = {}
    for index, item in enumerate(names):
        for video in range(counts[index], counts[index] + 12):
            name = surplus_name(item, video).casefold()
            assert regular.get(name, index) == index, (keys, name)
            assert extras.setdefault(name, index) == index, (keys, name)


def test_an_extra_video_is_named_after_its_item() -> None:
    ((boat,),) = file_names(["boat"], [1])
    assert surplus_name((boat,), 1) == "boat-extra-1.mp4"


@pytest.mark.parametrize(
    ("keys", "counts"),
    [
        (["a", "a-extra-1"], [1, 1]),
        (["a", "a-extra"], [1, 3]),  # a-extra-1.mp4 and a-extra-2.mp4
        (["a", "A-EXTRA-2"], [1, 1]),  # compared without case
        (["x", "x-extra-1", "x-extra-1-extra-2"], [1, 1, 1]),
        (["a b", "a-b-extra-7"], [2, 1]),  # after sanitising
    ],
)
def test_a_name_spelled_like_another_items_extra_video_is_hashed(
    keys: list[str], counts: list[int]
) -> None:
    names = file_names(keys, counts)
    assert all(item[0] != f"{sanitise(key)}.mp4" for key, item in zip(keys, names, strict=True))
    assert_surplus_names_are_free(keys, counts)
    reordered = file_names(list(reversed(keys)), list(reversed(counts)))
    assert list(reversed(reordered)) == names


def test_names_unlike_any_extra_video_stay_plain() -> None:
    assert file_names(["a", "a-extras-1", "a-extra-x", "extra-1"], [1, 1, 1, 1]) == [
        ("a.mp4",),
        ("a-extras-1.mp4",),
        ("a-extra-x.mp4",),
        ("extra-1.mp4",),
    ]


_KEY_PARTS = st.sampled_from(["a", "A", "b", "-", "extra", "-extra-", "1", "2", "10", " ", "."])


@given(
    st.lists(
        st.tuples(st.lists(_KEY_PARTS, max_size=6).map("".join), st.integers(1, 4)),
        max_size=8,
        unique_by=lambda pair: pair[0],
    )
)
def test_no_key_set_lets_extra_videos_collide(items: list[tuple[str, int]]) -> None:
    keys, counts = [key for key, _ in items], [count for _, count in items]
    names = file_names(keys, counts)
    flat = [name.casefold() for item in names for name in item]
    assert len(flat) == len(set(flat)) == sum(counts)
    assert_surplus_names_are_free(keys, counts)


@pytest.mark.parametrize(
    ("decision", "stage", "kept"),
    [
        # A worker's resume look claims operations to resume, never a create.
        (Decision("resume", "claim_resume"), "resume", Decision("resume", "claim_resume")),
        (Decision("submit", "claim_submit"), "resume", Decision("submit")),
        # Its submit look (after a paced slot) claims creates, and leaves resumes to the other.
        (Decision("submit", "claim_submit"), "submit", Decision("submit", "claim_submit")),
        (Decision("resume", "claim_resume"), "submit", Decision("resume")),
        # Marking a dead claimant's item uncertain, and reports, happen in either look.
        (Decision("report_uncertain", "mark_uncertain"), "resume",
         Decision("report_uncertain", "mark_uncertain")),
        (Decision("report_uncertain", "mark_uncertain"), "submit",
         Decision("report_uncertain", "mark_uncertain")),
        (Decision("held"), "submit", Decision("held")),
        (Decision("skip_done"), "resume", Decision("skip_done")),
    ],
)  # fmt: skip
def test_for_stage(decision: Decision, stage: Stage, kept: Decision) -> None:
    assert for_stage(decision, stage) == kept
