"""When to poll: a first delay, growing intervals, a cap, jitter, and the caller's deadline."""

from __future__ import annotations

import bisect
import functools
import itertools
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from veowrap._core import validation
from veowrap._errors import RequestValidationError

if TYPE_CHECKING:
    from veowrap._core.latency import LatencyDistribution

__all__ = ["AdaptiveSchedule", "LatencyProfile", "LearnedSchedule", "PollSchedule"]

LatencyProfile = Literal["balanced", "low", "economy"]


@dataclass(frozen=True)
class PollSchedule:
    """A polling schedule. Pure: delays are computed from counts and a random number.

    Generators poll on :meth:`adaptive` by default: a schedule derived from each model's
    latency distribution (:class:`LearnedSchedule`). ``PollSchedule()`` is the fixed schedule
    that served every model before, and stays available: Veo's jobs take from about 11 s to
    several minutes (most near a minute), so its first poll comes after 22 s, then one every
    8.25 s. Measured against the documented ``sleep(10)`` loop over Veo's latency
    distribution (``benchmarks/``), it finds a finished job 15 % sooner on average with no
    more requests. ``growth`` > 1 widens the interval per poll up to ``max_interval``. Jitter
    spreads many jobs' polls apart.

    Attributes:
        first_delay: Seconds from submission to the first poll.
        interval: Seconds between the first and second polls.
        growth: Factor applied to the interval after each poll.
        max_interval: Upper bound for the interval.
        jitter: Fraction of the interval added or removed at random (0.1 = ±10 %).
    """

    first_delay: float = 22.0
    interval: float = 8.25
    growth: float = 1.0
    max_interval: float = 8.25
    jitter: float = 0.1

    def __post_init__(self) -> None:
        validation.seconds("PollSchedule.first_delay", self.first_delay, optional=False, zero=True)
        validation.seconds("PollSchedule.interval", self.interval, optional=False)
        validation.seconds("PollSchedule.max_interval", self.max_interval, optional=False)
        if self.max_interval < self.interval:
            raise RequestValidationError(
                "PollSchedule.max_interval",
                self.max_interval,
                f"a number of seconds >= interval ({self.interval:g})",
                hint="The interval grows up to max_interval; make it at least the interval.",
            )
        validation.number(
            "PollSchedule.growth",
            self.growth,
            minimum=1.0,
            allowed="a number >= 1 (1 keeps the interval fixed)",
        )
        validation.fraction("PollSchedule.jitter", self.jitter)

    @classmethod
    def profile(cls, name: LatencyProfile = "balanced") -> PollSchedule:
        """A named schedule.

        ``balanced`` is the default; ``low`` polls every second for the lowest detection lag;
        ``economy`` polls rarely, for large batches under tight quotas.
        """
        if name == "low":
            return cls(first_delay=1.0, interval=1.0, growth=1.0, max_interval=1.0, jitter=0.05)
        if name == "economy":
            return cls(first_delay=30.0, interval=15.0, growth=1.2, max_interval=30.0)
        return cls()

    @classmethod
    def adaptive(cls) -> AdaptiveSchedule:
        """Derive the schedule from each job's latency distribution (the generators' default).

        The catalog's figures are the prior, refined by this machine's history; where neither
        knows the model, the fixed default ``PollSchedule()`` applies.
        """
        return AdaptiveSchedule()

    @classmethod
    def fixed(cls, seconds: float) -> PollSchedule:
        """Polls every ``seconds``, starting ``seconds`` after submission, without jitter."""
        return cls(
            first_delay=seconds, interval=seconds, growth=1.0, max_interval=seconds, jitter=0
        )

    def next_delay(self, polls: int, since_submit: float | None, rand: float) -> float:
        """Seconds to wait before the next poll, knowing the job's age when known.

        A count-based schedule ignores ``since_submit``; a :class:`LearnedSchedule` polls at
        fixed ages, so a resumed wait joins its schedule where the job stands.
        """
        return self.delay_after(polls, rand)

    def for_latency(self, distribution: LatencyDistribution | None) -> PollSchedule:
        """The schedule to use for a job with this latency distribution: this one."""
        return self

    def delay_after(self, polls: int, rand: float) -> float:
        """Seconds to wait before the next poll.

        Args:
            polls: How many polls were made so far (0 before the first).
            rand: A uniform random number in [0, 1) supplied by the driver.
        """
        if polls <= 0:
            base = self.first_delay
        else:
            # Cap the exponent so very long waits never overflow a float.
            steps = min(polls - 1, 1000)
            try:
                base = min(self.max_interval, self.interval * self.growth**steps)
            except OverflowError:  # a steep growth passes max_interval long before 1000 polls
                base = self.max_interval
        return max(0.0, base * (1 + self.jitter * (2 * rand - 1)))


@dataclass(frozen=True)
class LearnedSchedule(PollSchedule):
    """Polls at given ages of the job (seconds from submission), then as a fixed schedule.

    Built by :meth:`AdaptiveSchedule.for_latency` from a latency distribution: the first poll
    near its early quantile, dense where jobs finish, sparse in the tail. After the last age
    (the distribution's maximum) it polls every ``interval`` seconds, growing to
    ``max_interval``, as a :class:`PollSchedule` does.

    Attributes:
        ages: Increasing seconds from submission at which to poll.
    """

    ages: tuple[float, ...] = field(default=())
    jitter: float = 0.05

    def __post_init__(self) -> None:
        super().__post_init__()
        if any(b <= a for a, b in itertools.pairwise(self.ages)) or any(a < 0 for a in self.ages):
            raise RequestValidationError(
                "LearnedSchedule.ages",
                self.ages,
                "increasing seconds >= 0",
                hint="Build it with PollSchedule.adaptive().for_latency(distribution).",
            )

    def next_delay(self, polls: int, since_submit: float | None, rand: float) -> float:
        """Seconds until the next planned age after ``since_submit`` (jittered)."""
        if not self.ages:
            return self.delay_after(polls, rand)
        if since_submit is None:  # the age is unknown: follow the plan by count
            if polls < len(self.ages):
                previous = self.ages[polls - 1] if polls > 0 else 0.0
                return self._jittered(self.ages[polls] - previous, rand)
            return self.delay_after(polls - len(self.ages) + 1, rand)
        index = bisect.bisect_right(self.ages, since_submit)
        # A poll that jitter brought early stands for its planned age: skip an age closer
        # than half its own planned gap, or the next poll would repeat this one.
        while index < len(self.ages) and (
            self.ages[index] - since_submit < 0.5 * (self.ages[index] - self._age(index - 1))
        ):
            index += 1
        if index < len(self.ages):
            gap = self.ages[index] - self._age(index - 1)
            ahead = self.ages[index] - since_submit
            # Jitter moves the poll by a share of its planned gap.
            return max(0.0, ahead + (self._jittered(gap, rand) - gap))
        past = max(1, polls - len(self.ages) + 1)
        return self.delay_after(past, rand)

    def _age(self, index: int) -> float:
        return self.ages[index] if index >= 0 else 0.0

    def _jittered(self, base: float, rand: float) -> float:
        return max(0.0, base * (1 + self.jitter * (2 * rand - 1)))


@dataclass(frozen=True)
class AdaptiveSchedule(PollSchedule):
    """A schedule per latency distribution (see :meth:`PollSchedule.adaptive`).

    Its own fields are the fallback for jobs whose model no catalog or history knows, and the
    tail after a learned schedule's last planned poll.

    Attributes:
        budget_interval: The learned schedule makes no more polls per job, on average, than a
            loop polling every ``budget_interval`` seconds would over the same distribution.
        min_gap: The shortest interval a learned schedule uses.
        max_gap: The longest interval a learned schedule uses.
    """

    budget_interval: float = 10.0
    min_gap: float = 2.0
    max_gap: float = 60.0

    def __post_init__(self) -> None:
        super().__post_init__()
        validation.seconds("AdaptiveSchedule.budget_interval", self.budget_interval, optional=False)
        validation.seconds("AdaptiveSchedule.min_gap", self.min_gap, optional=False)
        validation.seconds("AdaptiveSchedule.max_gap", self.max_gap, optional=False)

    def for_latency(self, distribution: LatencyDistribution | None) -> PollSchedule:
        """The learned schedule for ``distribution``; the fixed fields when it is ``None``."""
        if distribution is None:
            return PollSchedule(
                self.first_delay, self.interval, self.growth, self.max_interval, self.jitter
            )
        return _learned(self, distribution)


@functools.lru_cache(maxsize=64)
def _learned(base: AdaptiveSchedule, distribution: LatencyDistribution) -> LearnedSchedule:
    from veowrap._core.latency import poll_cost, poll_times

    end = distribution.quantiles[-1]
    loop = [base.budget_interval * i for i in range(1, int(end // base.budget_interval) + 2)]
    # A hair under the loop's polls: jitter costs a few.
    budget = 0.99 * poll_cost(distribution, loop).polls
    ages = poll_times(
        distribution, budget=budget, min_interval=base.min_gap, max_interval=base.max_gap
    )
    return LearnedSchedule(
        first_delay=ages[0],
        interval=base.interval,
        growth=base.growth,
        max_interval=base.max_interval,
        ages=ages,
    )
