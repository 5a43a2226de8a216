"""How long a job takes: a latency distribution, conditional ETAs, and the polls it implies.

Pure: no clock, no files. A :class:`LatencyDistribution` is a tabulated quantile function
(latency at the quantiles 0, 1/N, …, 1, linear in between), so the catalog's prior (a
log-normal fitted to its ``(min, median, max)``) and a history of measured latencies are one
type. Every question asked of it, the remaining time of a job still running, the best times to
poll it, is answered from that table.

The ETA is conditional: a job that has run ``e`` seconds without finishing has its remaining
time's ``q``-quantile at ``Q(F(e) + q · (1 − F(e))) − e``, where ``F`` is the distribution
function and ``Q`` its inverse. A fixed guess ("typically 75 s") is wrong for every job that
has already passed it.
"""

from __future__ import annotations

import bisect
import itertools
import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "GRID",
    "MIN_SAMPLES",
    "Eta",
    "LatencyDistribution",
    "PollCost",
    "choose",
    "poll_cost",
    "poll_times",
]

#: Intervals in the tabulated quantile function (101 points).
GRID = 100
#: Measured latencies needed before history replaces the catalog's prior for a key.
MIN_SAMPLES = 20
# The catalog's [min, max] spans the central 98 % of its log-normal (benchmarks/polling.py).
_TAIL = statistics.NormalDist().inv_cdf(0.99)
_STANDARD = statistics.NormalDist()


@dataclass(frozen=True)
class Eta:
    """Remaining seconds, median and 90th percentile, for a job not finished yet."""

    p50: float
    p90: float


@dataclass(frozen=True)
class LatencyDistribution:
    """Latency (seconds from submission to done) as a quantile table.

    Attributes:
        quantiles: Latency at the quantiles ``i / GRID`` for ``i`` in ``0..GRID``,
            non-decreasing.
        source: ``"catalog"`` (the prior) or ``"history"`` (measured on this machine).
        samples: How many measured latencies the table comes from (0 for the prior).
    """

    quantiles: tuple[float, ...]
    source: Literal["catalog", "history"] = "catalog"
    samples: int = 0

    def __post_init__(self) -> None:
        if len(self.quantiles) != GRID + 1:
            raise ValueError(f"a latency table has {GRID + 1} quantiles")
        if any(b < a for a, b in itertools.pairwise(self.quantiles)):
            raise ValueError("a latency table's quantiles never decrease")
        if self.quantiles[0] < 0 or not math.isfinite(self.quantiles[-1]):
            raise ValueError("latencies are finite seconds >= 0")

    @classmethod
    def from_range(cls, low: float, median: float, high: float) -> LatencyDistribution:
        """The catalog's prior: a log-normal with this median whose central 98 % spans
        ``[low, high]``, truncated to ``[low, high]``."""
        if not 0 < low <= median <= high:
            raise ValueError("need 0 < low <= median <= high")
        if low == high:
            return cls(tuple([float(low)] * (GRID + 1)))
        mu = math.log(median)
        sigma = (math.log(high) - math.log(low)) / (2 * _TAIL)
        a = _STANDARD.cdf((math.log(low) - mu) / sigma)
        b = _STANDARD.cdf((math.log(high) - mu) / sigma)
        table = [low]
        for i in range(1, GRID):
            z = _STANDARD.inv_cdf(a + (b - a) * i / GRID)
            table.append(min(high, max(low, math.exp(mu + sigma * z))))
        table.append(high)
        return cls(tuple(table))

    @classmethod
    def from_samples(cls, samples: Sequence[float]) -> LatencyDistribution:
        """The empirical distribution of measured latencies (linearly interpolated)."""
        ordered = sorted(float(s) for s in samples if math.isfinite(s) and s >= 0)
        if not ordered:
            raise ValueError("no latencies to learn from")
        last = len(ordered) - 1
        table = []
        for i in range(GRID + 1):
            position = last * i / GRID
            below = math.floor(position)
            above = min(below + 1, last)
            weight = position - below
            table.append(ordered[below] * (1 - weight) + ordered[above] * weight)
        # A few hundred samples say little about the slowest jobs: above the 90th percentile
        # the table is at least a log-normal fitted to the samples (its 99.9th percentile at
        # the top), so a tail the samples have not seen yet still gets room.
        logs = [math.log(max(value, 0.01)) for value in ordered]
        mu = math.fsum(logs) / len(logs)
        spread = math.fsum((x - mu) ** 2 for x in logs) / max(1, len(logs) - 1)
        if len(logs) >= 2 and (sigma := math.sqrt(spread)) > 1e-9:
            tail_from = int(0.9 * GRID)
            for i in range(tail_from, GRID + 1):
                q = min(i / GRID, 0.999)
                table[i] = max(table[i], math.exp(mu + sigma * _STANDARD.inv_cdf(q)))
        for i in range(1, GRID + 1):  # rounding in the interpolation must not dip the table
            table[i] = max(table[i], table[i - 1])
        return cls(tuple(table), source="history", samples=len(ordered))

    def quantile(self, q: float) -> float:
        """The latency below which a share ``q`` of jobs finish."""
        q = min(1.0, max(0.0, q))
        position = q * GRID
        index = min(int(position), GRID - 1)
        weight = position - index
        low, high = self.quantiles[index], self.quantiles[index + 1]
        return low + (high - low) * weight

    def cdf(self, seconds: float) -> float:
        """The share of jobs finished within ``seconds``."""
        table = self.quantiles
        if seconds < table[0]:
            return 0.0
        if seconds >= table[-1]:
            return 1.0
        index = bisect.bisect_right(table, seconds) - 1  # table[index] <= seconds < table[index+1]
        low, high = table[index], table[index + 1]
        return (index + (seconds - low) / (high - low)) / GRID

    def remaining(self, elapsed: float, q: float) -> float | None:
        """The ``q``-quantile of the time left for a job still running after ``elapsed`` s.

        ``None`` once the job has outlived the distribution (it says nothing past its maximum).
        """
        done = self.cdf(elapsed)
        if done >= 1.0:
            return None
        return max(0.0, self.quantile(done + q * (1 - done)) - elapsed)

    def eta(self, elapsed: float) -> Eta | None:
        """The conditional median and 90th-percentile time left after ``elapsed`` seconds."""
        p50, p90 = self.remaining(elapsed, 0.5), self.remaining(elapsed, 0.9)
        if p50 is None or p90 is None:
            return None
        return Eta(p50, p90)


def choose(
    prior: LatencyDistribution | None,
    measured: Sequence[float],
    *,
    min_samples: int = MIN_SAMPLES,
) -> LatencyDistribution | None:
    """History once it has ``min_samples`` latencies, else the catalog's prior."""
    if len(measured) >= min_samples:
        return LatencyDistribution.from_samples(measured)
    return prior


@dataclass(frozen=True)
class PollCost:
    """Expected detection lag (seconds after done) and polls per job for a set of poll times."""

    lag: float
    polls: float


def poll_cost(distribution: LatencyDistribution, times: Sequence[float]) -> PollCost:
    """The expected lag and number of polls when polling at ``times`` (seconds, increasing).

    A job that finishes after the last time is counted as found at the last time (callers
    make the last time at least the distribution's maximum).
    """
    detected = polls = 0.0
    before = 0.0  # F at the previous poll
    for t in times:
        polls += 1 - before
        now = distribution.cdf(t)
        detected += t * (now - before)
        before = now
        if before >= 1.0:
            break
    mean = _mean(distribution)
    return PollCost(lag=max(0.0, detected - mean), polls=polls)


def _mean(distribution: LatencyDistribution) -> float:
    table = distribution.quantiles
    return sum((a + b) / 2 for a, b in itertools.pairwise(table)) / GRID


def poll_times(
    distribution: LatencyDistribution,
    *,
    budget: float,
    min_interval: float = 2.0,
    max_interval: float = 20.0,
) -> tuple[float, ...]:
    """Poll times (seconds from submission) with the least expected lag for ``budget`` polls.

    Keller's inspection density: minimising lag plus ``c`` per poll made while the job runs
    gives a local poll rate of ``sqrt(h(t) / 2c)``, where ``h`` is the hazard rate (the chance
    of finishing now, given not yet). So polls are sparse before the distribution's early
    quantiles, dense where jobs finish, and sparse again in a long tail. ``c`` is found by
    bisection so that the expected number of polls is at most ``budget``.

    Args:
        distribution: The job's latency distribution.
        budget: The expected polls per job allowed (e.g. what a ``sleep(10)`` loop makes).
        min_interval: The shortest interval between polls.
        max_interval: The longest interval between polls.
    """
    # The hazard on a time grid does not depend on c: compute it once.
    step = max(0.05, distribution.quantiles[-1] / 1500)
    hazard: list[float] = []
    now, before = 0.0, 0.0
    while now < distribution.quantiles[-1]:
        after = distribution.cdf(now + step)
        density = (after - before) / step
        hazard.append(density / max(1 - before, 1e-9) if density > 0 else 0.0)
        now, before = now + step, after
    low, high = -12.0, 12.0  # log10 of c
    best = _times_for(distribution, hazard, step, 10**high, min_interval, max_interval)
    for _ in range(30):
        middle = (low + high) / 2
        times = _times_for(distribution, hazard, step, 10**middle, min_interval, max_interval)
        if poll_cost(distribution, times).polls <= budget:
            best, high = times, middle
        else:
            low = middle
    return best


def _times_for(
    distribution: LatencyDistribution,
    hazard: Sequence[float],
    step: float,
    c: float,
    min_interval: float,
    max_interval: float,
) -> tuple[float, ...]:
    end = distribution.quantiles[-1]
    start = distribution.quantiles[0]
    times: list[float] = []
    credit, last, scale = 0.0, 0.0, 1 / (2 * c)
    for index, h in enumerate(hazard):
        credit += math.sqrt(h * scale) * step
        now = (index + 1) * step
        if now < start:
            continue  # no job finishes before the distribution's minimum: no poll either
        if (credit >= 1 and now - last >= min_interval) or now - last >= max_interval:
            times.append(now)
            last, credit = now, 0.0
    if not times or times[-1] < end:
        times.append(max(end, last + min_interval))
    return tuple(times)
