"""When a shared journal stops waiting for its database (pure rules)."""

from __future__ import annotations

import pytest

from veowrap._core.journal_deadlines import call_seconds, give_up_at_once

LOCK = 1.0


@pytest.mark.parametrize(
    ("now", "deadline", "lost_at", "refused_at", "expected"),
    [
        (10.0, 11.0, None, None, False),  # healthy: connect
        (10.0, 11.0, 9.5, None, False),  # just lost: try to reconnect
        (10.0, 11.0, 9.5, 9.8, False),  # lost for less than lock_timeout: keep trying
        (10.0, 11.0, 8.0, 9.8, True),  # gone for long, a connect just failed: fail at once
        (10.0, 11.0, 5.0, 8.5, False),  # gone for long, last failure is old: try again
        (11.0, 11.0, None, None, True),  # this call's own deadline has passed
    ],
)
def test_give_up_at_once(
    now: float, deadline: float, lost_at: float | None, refused_at: float | None, expected: bool
) -> None:
    assert give_up_at_once(now, deadline, lost_at, refused_at, LOCK) is expected


@pytest.mark.parametrize(("lock", "expected"), [(1.0, 3.0), (20.0, 50.0), (0.5, 2.0)])
def test_call_seconds_outlast_the_servers_own_timeouts(lock: float, expected: float) -> None:
    assert call_seconds(lock) == expected
    assert call_seconds(lock) > 2 * lock  # the server's statement_timeout answers first
