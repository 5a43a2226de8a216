"""The latency distribution, conditional ETAs, and the poll schedules derived from them."""

from __future__ import annotations

import itertools
import random

import pytest

from veowrap._core.latency import (
    MIN_SAMPLES,
    LatencyDistribution,
    choose,
    poll_cost,
    poll_times,
)
from veowrap._core.schedule import AdaptiveSchedule, LearnedSchedule, PollSchedule
from veowrap._errors import RequestValidationError

VEO = LatencyDistribution.from_range(11, 75, 360)
FAST = LatencyDistribution.from_range(11, 45, 360)


@pytest.mark.parametrize("dist, figures", [(VEO, (11, 75, 360)), (FAST, (11, 45, 360))])
def test_the_prior_keeps_the_catalogs_figures(
    dist: LatencyDistribution, figures: tuple[float, float, float]
) -> None:
    low, median, high = figures
    assert dist.quantile(0) == low
    assert dist.quantile(1) == high
    # Truncating an asymmetric range moves the median a little (the benchmark fit does too).
    assert dist.quantile(0.5) == pytest.approx(median, rel=0.05)
    assert dist.source == "catalog"


@pytest.mark.parametrize("seconds", [11, 20, 45, 75, 120, 300, 359])
def test_cdf_inverts_the_quantile_function(seconds: float) -> None:
    assert VEO.quantile(VEO.cdf(seconds)) == pytest.approx(seconds, abs=1e-6)


def test_eta_is_conditional_on_not_done_yet() -> None:
    fresh = VEO.eta(0)
    assert fresh is not None
    assert fresh.p50 == pytest.approx(VEO.quantile(0.5))
    assert fresh.p90 == pytest.approx(VEO.quantile(0.9))
    later = VEO.eta(200)
    assert later is not None
    # Past the median the job is in the tail: the time left is not "median minus elapsed".
    assert later.p50 > 0
    assert later.p50 < later.p90 <= 160
    assert VEO.eta(400) is None, "a job past the distribution's maximum has no estimate"


def test_the_p90_eta_is_calibrated_on_its_own_distribution() -> None:
    rng = random.Random(3)
    jobs = [VEO.quantile(rng.random()) for _ in range(4000)]
    for elapsed in (0, 30, 90):
        alive = [t for t in jobs if t > elapsed]
        eta = VEO.eta(elapsed)
        assert eta is not None
        share = sum(t <= elapsed + eta.p90 for t in alive) / len(alive)
        assert share == pytest.approx(0.9, abs=0.03)


def test_history_replaces_the_prior_only_with_enough_samples() -> None:
    few = [30.0] * (MIN_SAMPLES - 1)
    assert choose(VEO, few) is VEO
    learned = choose(VEO, [*few, 40.0])
    assert learned is not None
    assert learned.source == "history"
    assert learned.samples == MIN_SAMPLES
    assert learned.quantile(0) == 30
    assert learned.quantile(1) >= 40, "the tail gets at least a fitted log-normal's room"


def test_a_bad_table_is_refused() -> None:
    with pytest.raises(ValueError, match="quantiles"):
        LatencyDistribution((1.0, 2.0))
    with pytest.raises(ValueError, match="never decrease"):
        LatencyDistribution(tuple([2.0] * 50 + [1.0] * 51))
    with pytest.raises(ValueError, match="no latencies"):
        LatencyDistribution.from_samples([])


def test_poll_cost_of_a_loop() -> None:
    # Every job of a fixed 30 s latency is found at 30 s by a 10 s loop, after 3 polls.
    fixed = LatencyDistribution(tuple([30.0] * 101))
    cost = poll_cost(fixed, [10, 20, 30, 40])
    assert cost.polls == pytest.approx(3)
    assert cost.lag == pytest.approx(0)


@pytest.mark.parametrize("dist", [VEO, FAST], ids=["veo", "fast"])
def test_learned_times_beat_a_loop_within_its_polls(dist: LatencyDistribution) -> None:
    loop = [10.0 * i for i in range(1, 40)]
    base = poll_cost(dist, loop)
    times = poll_times(dist, budget=base.polls)
    learned = poll_cost(dist, times)
    assert learned.polls <= base.polls
    assert learned.lag < base.lag
    assert times[0] > dist.quantile(0), "no poll before any job can finish"
    assert times[-1] >= dist.quantile(1)
    assert all(b > a for a, b in itertools.pairwise(times))


def test_adaptive_schedule_falls_back_to_the_fixed_default() -> None:
    adaptive = PollSchedule.adaptive()
    assert adaptive.for_latency(None) == PollSchedule()
    assert PollSchedule().for_latency(VEO) == PollSchedule(), "a fixed schedule stays fixed"
    learned = adaptive.for_latency(VEO)
    assert isinstance(learned, LearnedSchedule)
    assert adaptive.for_latency(VEO) is learned, "one computation per distribution"


def test_learned_schedule_polls_at_ages() -> None:
    schedule = LearnedSchedule(ages=(20.0, 30.0, 35.0), interval=5, max_interval=5, jitter=0)
    assert schedule.next_delay(0, 0.0, 0.5) == 20
    assert schedule.next_delay(1, 20.0, 0.5) == 10
    # A resumed wait joins the plan where the job stands.
    assert schedule.next_delay(1, 32.0, 0.5) == pytest.approx(3)
    assert schedule.next_delay(4, 50.0, 0.5) == 5, "past the plan: the fixed tail"
    # Without an age, the plan is followed by count.
    assert schedule.next_delay(2, None, 0.5) == 5
    assert schedule.next_delay(3, None, 0.5) == 5


def test_learned_schedule_jitter_never_polls_in_the_past() -> None:
    schedule = LearnedSchedule(ages=(20.0, 30.0), jitter=0.5)
    assert schedule.next_delay(1, 29.9, 0.0) >= 0


def test_learned_schedule_ages_must_increase() -> None:
    with pytest.raises(RequestValidationError, match=r"LearnedSchedule\.ages"):
        LearnedSchedule(ages=(30.0, 20.0))


def test_adaptive_schedule_settings_are_checked() -> None:
    with pytest.raises(RequestValidationError, match="budget_interval"):
        AdaptiveSchedule(budget_interval=0)


def test_a_learned_p90_stays_calibrated_in_a_long_tail() -> None:
    # 200 earlier jobs from a heavy-tailed distribution, then fresh jobs from the same one.
    truth = LatencyDistribution.from_range(5, 120, 900)
    rng = random.Random(5)
    learned = LatencyDistribution.from_samples([truth.quantile(rng.random()) for _ in range(200)])
    fresh = [truth.quantile(rng.random()) for _ in range(4000)]
    for elapsed in (0, 60, 300):
        alive = [t for t in fresh if t > elapsed]
        eta = learned.eta(elapsed)
        assert eta is not None
        share = sum(t <= elapsed + eta.p90 for t in alive) / len(alive)
        if elapsed < 300:
            assert share == pytest.approx(0.9, abs=0.05)
        else:  # deep in the tail the fitted log-normal is longer than the truth: safe side
            assert share >= 0.9


def test_identical_samples_make_a_valid_table() -> None:
    learned = LatencyDistribution.from_samples([30.000000000000004, 30.0, 29.999999999999996] * 9)
    assert learned.quantile(0) == pytest.approx(30)
    assert learned.quantile(1) == pytest.approx(30)
