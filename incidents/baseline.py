"""What a key usually sees: its expected signal attentions per hour of the week (Lima time),
and how much more its counts vary than a Poisson count would (its dispersion).

Estimated from the last weeks of counts per key and hour (ClickHouse keeps them): for each hour
of the week, the mean over the weeks, shrunk toward the key's overall rate shaped by every key's
hour-of-week profile (a key seen a few times still gets a night and a day), never below a floor
(a key never seen is not expected to be silent forever). See incidents/README.md.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from incidents.signal import IncidentKey
from schemas.timestamps import LIMA

HOURS_OF_WEEK = 168
BUCKETS_PER_HOUR = 12  # five-minute buckets


def hour_of_week(moment: datetime) -> int:
    """0 = Monday 00:00-01:00 in Lima."""
    local = moment.astimezone(LIMA)
    return local.weekday() * 24 + local.hour


def week_start(day: date) -> date:
    """The Monday of a day's week: baselines are the weeks before it."""
    return day - timedelta(days=day.weekday())


@dataclass(frozen=True)
class KeyBaseline:
    """A key's expected signal attentions per hour of the week, and how its counts vary: a
    window expecting mu attentions has variance poisson_dispersion * mu + day_wobble * mu**2
    (bursts of calls from one place raise the first term; busy days and slow days the second)."""

    per_hour: tuple[float, ...]
    poisson_dispersion: float = 1.0
    day_wobble: float = 0.0

    def dispersion(self, expected: float) -> float:
        """Variance / mean of a window that expects `expected` attentions (>= 1)."""
        return max(1.0, self.poisson_dispersion + self.day_wobble * expected)


@dataclass(frozen=True)
class BaselineRules:
    weeks: int = 8  # history used
    floor_per_hour: float = 0.1  # no key is expected below this
    shrink_weeks: float = 2.0  # weight of the key's shaped overall rate, in weeks
    max_dispersion: float = 4.0  # bounds on the burst term


class Baselines:
    """Every key's baseline; keys without history get the floor."""

    def __init__(
        self, keys: Mapping[IncidentKey, KeyBaseline], rules: BaselineRules, weeks: int = 0
    ) -> None:
        self.keys = dict(keys)
        self.rules = rules
        self.weeks = weeks  # weeks of history behind them (rules.weeks at most)
        self._unknown = KeyBaseline((rules.floor_per_hour,) * HOURS_OF_WEEK)

    def of(self, key: IncidentKey) -> KeyBaseline:
        return self.keys.get(key, self._unknown)


def estimate(
    counts: Iterable[tuple[IncidentKey, int, int, int]], rules: BaselineRules | None = None
) -> Baselines:
    """Baselines from (key, week, hour of week, attentions) rows, one per key, week (0 to
    rules.weeks - 1) and hour; hours without attentions need no row (the sums are sparse).
    The weeks before the first with any row are not history yet (a new deployment, the start
    of a backfill): means are over the weeks that are."""
    rules = rules or BaselineRules()
    # key -> hour of week -> (sum over the weeks, sum of squares)
    by_key: dict[IncidentKey, dict[int, list[int]]] = defaultdict(dict)
    profile = [0.0] * HOURS_OF_WEEK
    first_week = rules.weeks - 1
    for key, week, hour, attentions in counts:
        first_week = min(first_week, week)
        sums = by_key[key].setdefault(hour, [0, 0])
        sums[0] += attentions
        sums[1] += attentions * attentions
        profile[hour] += attentions
    total = sum(profile)
    # every key's hour-of-week shape, mean 1; hours nobody called in keep a little weight
    shape = [max(0.05, HOURS_OF_WEEK * p / total) if total else 1.0 for p in profile]
    norm = HOURS_OF_WEEK / sum(shape)
    shape = [s * norm for s in shape]
    weeks = rules.weeks - max(0, first_week) if by_key else 0
    keys = {key: _key_baseline(hours, shape, rules, weeks) for key, hours in by_key.items()}
    return Baselines(keys, rules, weeks)


def _key_baseline(
    hours: dict[int, list[int]], shape: list[float], rules: BaselineRules, weeks: int
) -> KeyBaseline:
    prior = rules.shrink_weeks
    rate = sum(total for total, _ in hours.values()) / (weeks * HOURS_OF_WEEK)  # per hour
    floor, shrunk = rules.floor_per_hour, prior * rate
    per_hour = tuple(
        max(floor, (hours.get(hour, _NONE)[0] + shrunk * s) / (weeks + prior))
        for hour, s in enumerate(shape)
    )
    burst, wobble = _variance_terms(hours, weeks)
    return KeyBaseline(per_hour, min(rules.max_dispersion, burst), wobble)


_NONE = (0, 0)


def _variance_terms(hours: dict[int, list[int]], weeks: int) -> tuple[float, float]:
    """Fit variance = a * mean + b * mean**2 over the hours of the week (each hour's mean and
    variance across the weeks), as the line variance / mean = a + b * mean, least squares."""
    points = []
    if weeks < 2:
        return 1.0, 0.0  # one week says nothing of how weeks vary
    for total, squares in hours.values():
        if total > 0:
            mean = total / weeks
            variance = (squares - total * total / weeks) / (weeks - 1)
            points.append((mean, variance / mean))
    if len(points) < 3:
        return 1.0, 0.0
    mx = sum(x for x, _ in points) / len(points)
    my = sum(y for _, y in points) / len(points)
    sxx = sum((x - mx) ** 2 for x, _ in points)
    slope = sum((x - mx) * (y - my) for x, y in points) / sxx if sxx > 0 else 0.0
    slope = max(0.0, slope)
    return max(1.0, my - slope * mx), slope
