"""Baselines: the hour-of-week mean, the floor, the shrinkage, and the two variance terms."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest

from incidents.baseline import HOURS_OF_WEEK, BaselineRules, estimate, hour_of_week
from incidents.signal import IncidentKey

KEY = IncidentKey("sedapal", "150110")


def test_hour_of_week_is_lima_time() -> None:
    assert hour_of_week(datetime(2025, 3, 3, 5, tzinfo=UTC)) == 0  # Monday 00:00 in Lima
    assert hour_of_week(datetime(2025, 3, 3, 4, 59, tzinfo=UTC)) == HOURS_OF_WEEK - 1


def test_a_steady_key_expects_its_hourly_mean_and_an_unknown_key_the_floor() -> None:
    rows = [(KEY, week, hour, 6) for week in range(8) for hour in range(HOURS_OF_WEEK)]
    baselines = estimate(rows)
    assert baselines.of(KEY).per_hour[10] == pytest.approx(6.0)
    assert baselines.of(KEY).dispersion(6.0) == 1.0  # no variance at all: Poisson at least
    unknown = baselines.of(IncidentKey("emapica", "ods:ica"))
    assert set(unknown.per_hour) == {BaselineRules().floor_per_hour}


def test_a_rare_key_is_shrunk_toward_its_rate_shaped_by_every_key() -> None:
    busy = IncidentKey("sedapal", "150101")
    rows = [(busy, w, h, 10 if 8 <= h % 24 < 18 else 0) for w in range(8) for h in range(168)]
    rows.append((KEY, 3, 24 + 10, 8))  # eight calls once, Tuesday 10:00
    no_floor = BaselineRules(floor_per_hour=0.0)
    baseline = estimate(rows, no_floor).of(KEY)
    night, day, tuesday = baseline.per_hour[3], baseline.per_hour[10], baseline.per_hour[34]
    assert tuesday > day > night > 0  # its own hour counts most, office hours more than night
    assert tuesday == pytest.approx((8 + 2 * (8 / (8 * 168)) * (168 / 70)) / 10, rel=0.02)
    with_floor = estimate(rows).of(KEY)
    assert with_floor.per_hour[3] == with_floor.per_hour[10] == BaselineRules().floor_per_hour


def test_bursts_raise_the_poisson_term_and_busy_days_the_quadratic_one() -> None:
    rng = random.Random(1)
    bursty = IncidentKey("a", "1")
    wobbly = IncidentKey("b", "2")
    rows = []
    for week in range(8):
        wobble = rng.uniform(0.6, 1.4)
        for hour in range(HOURS_OF_WEEK):
            mean = 2 + 40 * (hour % 24 in range(8, 18))
            bursts = sum(rng.random() < mean / 3 / 20 for _ in range(20))
            rows.append((bursty, week, hour, sum(rng.randint(1, 5) for _ in range(bursts))))
            rows.append((wobbly, week, hour, round(mean * wobble)))
    baselines = estimate(rows)
    assert baselines.of(bursty).poisson_dispersion > 2
    assert baselines.of(bursty).day_wobble < 0.05
    assert baselines.of(wobbly).day_wobble > 0.03
    assert baselines.of(wobbly).dispersion(40) > baselines.of(wobbly).dispersion(2)


def test_weeks_before_the_first_with_history_are_not_counted_as_silent() -> None:
    """A new deployment (or the start of a backfill) with two weeks of history: the means are
    over those two weeks, not over eight mostly empty ones."""
    rows = [(KEY, week, hour, 6) for week in (6, 7) for hour in range(HOURS_OF_WEEK)]
    assert estimate(rows).of(KEY).per_hour[10] == pytest.approx(6.0)
    one_week = [(KEY, 7, hour, 6) for hour in range(HOURS_OF_WEEK)]
    baseline = estimate(one_week).of(KEY)
    assert baseline.per_hour[10] == pytest.approx(6.0)
    assert baseline.dispersion(6.0) == 1.0  # one week says nothing of how weeks vary
