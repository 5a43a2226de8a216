"""A pacer saved and restored (the shared pacer's row) continues as if it had never stopped."""

from __future__ import annotations

from veowrap._core.pacing import Pacer


def test_a_restored_pacer_books_the_same_slots() -> None:
    kept = Pacer(60)
    copied = Pacer(60)
    for now in (0.0, 0.1, 0.2, 5.0):
        rate, slot = copied.snapshot()
        copied = Pacer.restore(60, rate=rate, next_slot=slot)
        assert copied.reserve(now) == kept.reserve(now)
    kept.throttled(6.0, 2.0)
    copied.throttled(6.0, 2.0)
    rate, slot = copied.snapshot()
    copied = Pacer.restore(60, rate=rate, next_slot=slot)
    assert copied.rate == kept.rate and copied.reserve(6.5) == kept.reserve(6.5)


def test_a_row_saved_under_a_higher_quota_is_held_to_this_one() -> None:
    restored = Pacer.restore(30, rate=600.0, next_slot=None)
    assert restored.rate is not None and restored.rate <= 30


def test_a_fresh_row_starts_at_the_target() -> None:
    restored = Pacer.restore(60, rate=None, next_slot=None, headroom=0.96)
    assert restored.rate == 60 * 0.96
    assert restored.reserve(100.0) == 0.0
