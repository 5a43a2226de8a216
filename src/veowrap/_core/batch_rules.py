"""Batch decisions: what a batch does with each journaled item, and what its files are called.

Pure: the journal driver passes in the recorded row, the liveness of its owner (which it
probes) and the time; the batch driver passes in keys and video counts.

An item is *claimed* — ``submitting`` with this run as owner, committed — immediately before its
create is sent, in the same write transaction that checked it was still claimable. However many
processes share a journal, each create is therefore sent at most once. A claim is a lease: the
owner renews it (heartbeat) while it submits, waits and saves, and gives it up when done.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "Action",
    "Decision",
    "Liveness",
    "Owner",
    "Phase",
    "Slot",
    "Stage",
    "Write",
    "decide",
    "file_names",
    "for_stage",
    "liveness",
    "sanitise",
    "surplus_name",
]

State = Literal["pending", "submitting", "submitted", "done", "failed", "uncertain"]

Liveness = Literal["free", "mine", "live", "dead"]
"""Who holds an item: nobody, this run, someone still working on it, or someone gone."""

Action = Literal["skip_done", "report_failed", "report_uncertain", "held", "submit", "resume"]
"""What the batch does with an item.

``skip_done``: done earlier; report its files. ``report_failed``: failed earlier; report the
recorded error. ``report_uncertain``: its create may have been accepted; report, do not send.
``held``: another live owner is working on it; leave it and report that. ``submit``: send its
create (after the pacer, and only once claimed). ``resume``: wait for its recorded operation and
save it.
"""

Phase = Literal["look", "send"]
"""``look``: the first reading of an item. ``send``: the pacer has released it; claim it now."""

Write = Literal["claim_submit", "claim_resume", "mark_uncertain"]
"""The change a decision makes to the row, in the same transaction that read it."""


@dataclass(frozen=True)
class Owner:
    """Who holds an item's lease.

    Attributes:
        host: The host name.
        pid: The process id on that host.
        start: A token of when that process started (the same pid reused by a later process
            has another), or ``None`` where the platform cannot tell.
        run: A random id of one batch run within the process.
    """

    host: str
    pid: int
    start: str | None
    run: str


@dataclass(frozen=True)
class Slot:
    """What a decision needs from an item's journal row.

    Attributes:
        state: The recorded state.
        has_handle: Whether an operation handle is recorded.
        claims: How many times the item was claimed for a create, ever.
    """

    state: State
    has_handle: bool
    claims: int


@dataclass(frozen=True)
class Decision:
    """An action, and the write (if any) that goes with it."""

    action: Action
    write: Write | None = None


def liveness(
    owner: Owner | None,
    me: Owner,
    *,
    lease_at: float | None,
    now: float,
    lease_seconds: float,
    process_gone: bool,
    active_runs: frozenset[str],
) -> Liveness:
    """Judges an item's owner.

    Args:
        owner: The recorded owner, if any.
        me: This run.
        lease_at: When the owner last renewed its lease (wall-clock seconds).
        now: The time now (wall-clock seconds).
        lease_seconds: How long a lease lasts without renewal.
        process_gone: The driver found the owner's process gone (same host, no such process, a
            zombie, or the pid now belongs to a process started later).
        active_runs: The batch runs alive in this process.
    """
    if owner is None:
        return "free"
    if owner.run == me.run:
        return "mine"
    if owner.host == me.host and owner.pid == me.pid and owner.start == me.start:
        return "live" if owner.run in active_runs else "dead"  # this process: exact knowledge
    if owner.host == me.host and process_gone:
        return "dead"
    # Another host, or a process here that still exists: trust its lease while it is renewed.
    if lease_at is not None and now - lease_at <= lease_seconds:
        return "live"
    return "dead"


def decide(
    slot: Slot,
    owner: Liveness,
    *,
    phase: Phase,
    resend_uncertain: bool,
    retry_failed: bool,
    seen_claims: int,
) -> Decision:
    """Decides what to do with an item, from its row and its owner's liveness.

    ``seen_claims`` is the item's claim count when this run first read it. An uncertain (or
    failed) item is re-sent only if nobody claimed it since: ``resend_uncertain`` answers for the
    uncertainty the caller saw, not for a new one another process created meanwhile.
    """
    state = slot.state
    unchanged = slot.claims == seen_claims
    if state == "done":
        return Decision("skip_done")
    if state == "pending":
        return _submit(phase)
    if state in ("submitting", "submitted") and owner in ("live", "mine"):
        return Decision("held")
    if state == "submitted":
        return Decision("resume", "claim_resume")
    if state in ("submitting", "uncertain"):
        if resend_uncertain and unchanged:
            return _submit(phase)
        # A claimant that died mid-create leaves "submitting": it becomes "uncertain" on disk.
        return Decision("report_uncertain", "mark_uncertain" if state == "submitting" else None)
    # failed
    if not (retry_failed and unchanged):
        return Decision("report_failed")
    if slot.has_handle:
        return Decision("resume", "claim_resume")
    return _submit(phase)


Stage = Literal["resume", "submit"]
"""A worker's two looks for its next item (shared journals): first for an operation to resume
(free: no create is sent), then, once the pacer has released a slot, for an item to send."""


def for_stage(decision: Decision, stage: Stage) -> Decision:
    """Keeps a claim only at its stage: a worker never sends a create without a paced slot,
    and never spends a slot on an item that only needs resuming.

    A decision whose claim belongs to the other stage keeps its action but loses its write:
    the item is left as it is for that stage's look.
    """
    claims_at = {"claim_resume": "resume", "claim_submit": "submit"}
    if decision.write in claims_at and claims_at[decision.write] != stage:
        return Decision(decision.action)
    return decision


def _submit(phase: Phase) -> Decision:
    return Decision("submit", "claim_submit" if phase == "send" else None)


_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_MAX_STEM = 80
_HASH_LENGTHS = (8, 16, 32, 64)
# Names Windows refuses whatever the extension.
_RESERVED = frozenset(
    {"con", "prn", "aux", "nul"} | {f"com{i}" for i in range(10)} | {f"lpt{i}" for i in range(10)}
)
SUFFIX = ".mp4"
_EXTRA = "-extra-"


def sanitise(key: str) -> str:
    """A file stem from a key: ASCII letters, digits, ``.``, ``_`` and ``-``; never hidden.

    Runs of other characters become one ``-``; leading dots and dashes are dropped (no hidden
    files, no ``..``); long stems are cut; an empty result becomes ``item``.
    """
    ascii_key = unicodedata.normalize("NFKD", key).encode("ascii", "ignore").decode()
    stem = _UNSAFE.sub("-", ascii_key).lstrip(".-").rstrip(".")[:_MAX_STEM].rstrip(".")
    return stem or "item"


def _hashed(key: str, stem: str, level: int) -> str:
    if level == 0:
        return stem
    digest = hashlib.sha256(key.encode()).hexdigest()[: _HASH_LENGTHS[level - 1]]
    return f"{stem}-{digest}"


def _names(stem: str, count: int) -> list[str]:
    return [f"{stem}{'' if index == 0 else f'-{index}'}{SUFFIX}" for index in range(count)]


def file_names(keys: Sequence[str], counts: Sequence[int]) -> list[tuple[str, ...]]:
    """Every item's file names, unique within the batch and the same on every rerun.

    An item's first video is ``<stem>.mp4``, its others ``<stem>-1.mp4``, ``<stem>-2.mp4``…,
    where the stem is the sanitised key; a video beyond those asked for gets
    :func:`surplus_name` ``<stem>-extra-<index>.mp4``. When two items could share a name
    (compared without case, as on macOS and Windows) — ``a`` with two videos and ``a-1``,
    ``p/q`` and ``p q``, or ``a`` and ``a-extra-1`` (the name of a surplus video of ``a``) —
    *every* item involved gets a short hash of its raw key appended to its stem
    (``a-<hash>.mp4``), so the result depends only on the set of keys and video counts, never
    on input order. The same goes for stems Windows reserves (``con``, ``nul``…).

    Args:
        keys: The items' keys (distinct).
        counts: How many videos each item asks for.
    """
    stems = [sanitise(key) for key in keys]
    levels = [1 if stem.casefold() in _RESERVED else 0 for stem in stems]
    while True:
        names = [
            _names(_hashed(key, stem, level), count)
            for key, stem, level, count in zip(keys, stems, levels, counts, strict=True)
        ]
        owners: dict[str, set[int]] = {}
        for index, item_names in enumerate(names):
            for name in item_names:
                owners.setdefault(name.casefold(), set()).add(index)
        clashing = {index for group in owners.values() if len(group) > 1 for index in group}
        by_stem = {item[0].casefold()[: -len(SUFFIX)]: index for index, item in enumerate(names)}
        for name, group in owners.items():
            # A name spelled like a surplus video of another item would be taken from it.
            stem = _surplus_stem(name)
            surplus_of = by_stem.get(stem) if stem is not None else None
            if surplus_of is not None and group != {surplus_of}:
                clashing |= group | {surplus_of}
        if not clashing:
            return [tuple(item_names) for item_names in names]
        for index in clashing:
            if levels[index] == len(_HASH_LENGTHS):
                raise ValueError(f"cannot give {keys[index]!r} a distinct file name")
            levels[index] += 1


def surplus_name(names: Sequence[str], index: int) -> str:
    """The name of video ``index`` of an item that got more videos than it asked for.

    ``<stem>-extra-<index>.mp4``, where ``<stem>`` is that of the item's first name (``names``
    is its entry of :func:`file_names`, which keeps every such name free of other items').
    """
    return f"{names[0][: -len(SUFFIX)]}{_EXTRA}{index}{SUFFIX}"


def _surplus_stem(name: str) -> str | None:
    """The stem whose surplus videos could be called ``name`` (``a`` for ``a-extra-3.mp4``)."""
    head, extra, tail = name[: -len(SUFFIX)].rpartition(_EXTRA)
    if extra and tail.isascii() and tail.isdigit():
        return head
    return None
