"""The seed report parses into figures by catalog code, and its own inconsistencies are known."""

from __future__ import annotations

from collections import Counter

import pytest

from demo.seed_report import SeedFigures, load_seed
from tests.seed import SEED_CANDIDATES


@pytest.fixture(scope="module")
def seed() -> SeedFigures:
    path = next(p for p in SEED_CANDIDATES if p.exists())
    return load_seed(path)


def _column_sums(table: dict[str, dict[str, int]]) -> Counter[str]:
    sums: Counter[str] = Counter()
    for row in table.values():
        sums.update(row)
    return sums


def test_the_days_consistent_cuts_all_sum_to_462(seed: SeedFigures) -> None:
    assert seed.day_total == 462
    assert sum(seed.offices_day.values()) == 462
    assert sum(seed.channels_day.values()) == 462
    assert seed.case_types_day == dict(_column_sums(seed.office_type_day))
    eps_and_outside = _column_sums(
        {**{str(k): v for k, v in seed.eps_day.items()}, **seed.outside_day}
    )
    assert dict(eps_and_outside) == seed.case_types_day
    assert sum(seed.operational_top.values()) == seed.case_types_day["operacional"] == 108
    assert sum(seed.commercial_day.values()) == seed.case_types_day["comercial"] == 273
    assert dict(_column_sums(seed.sedapal_day)) == seed.eps_day[("sedapal", "lima")]


def test_known_divergences_of_the_hand_made_report(seed: SeedFigures) -> None:
    # 1. The office x channel table of the day sums to 464, every other cut to 462.
    assert sum(sum(row.values()) for row in seed.office_channel_day.values()) == 464
    assert dict(_column_sums(seed.office_channel_day)) != seed.channels_day
    # 2. Sedapal's districts add up to 35,814 for 2024; Sedapal's row in the EPS table says 35,815.
    assert sum(seed.sedapal_ytd.values()) == 35814
    assert seed.eps_ytd[("sedapal", "lima")] == 35815


def test_year_to_date_and_2023_cuts_agree(seed: SeedFigures) -> None:
    assert sum(seed.office_ytd.values()) == seed.ytd_total == 123657
    assert sum(seed.eps_ytd.values()) + sum(seed.outside_ytd.values()) == 123657
    assert (seed.operational_ytd, seed.commercial_ytd) == (37035, 63096)
    assert seed.total_2023 == sum(seed.channels_2023.values()) == sum(seed.types_2023.values())
    assert dict(_column_sums(seed.office_channel_2023)) == seed.channels_2023
    assert dict(_column_sums(seed.office_type_2023)) == seed.types_2023
    assert sum(seed.office_total_2022.values()) == 95648
    assert seed.total_2023 - sum(seed.office_total_2022.values()) == seed.growth_2023_abs
    assert (seed.month_growth_pct, seed.period_growth_pct, seed.growth_2023_pct) == (11, 18, 29)
