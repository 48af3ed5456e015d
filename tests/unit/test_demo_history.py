"""The demo history reproduces every consistent figure of the seed report, exactly."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest

from demo.history import (
    REPORT_DAY,
    SOURCE,
    TALARA,
    TALARA_CALLS,
    TALARA_SUBTYPES,
    history_events,
    history_size,
)
from demo.seed_report import SeedFigures, load_seed
from incidents.baseline import estimate
from incidents.detector import Change, Detector
from incidents.signal import IncidentKey, incident_key, is_signal
from schemas.catalogs import get_catalogs
from schemas.decode import validate_attention
from tests.seed import SEED_CANDIDATES

LIMA = timezone(timedelta(hours=-5))


@pytest.fixture(scope="module")
def seed() -> SeedFigures:
    return load_seed(next(p for p in SEED_CANDIDATES if p.exists()))


@pytest.fixture(scope="module")
def events(seed: SeedFigures) -> list[dict[str, Any]]:
    return list(history_events(seed))


def day_of(event: dict[str, Any]) -> date:
    return datetime.fromisoformat(event["occurred_at"]).astimezone(LIMA).date()


def area(event: dict[str, Any]) -> tuple[str, str]:
    provider = event["provider"]
    return provider, event.get("provider_region") or get_catalogs().home_region(provider)


def sedapal_row(event: dict[str, Any], seed: SeedFigures) -> str:
    return event["district"] if event["district"] in seed.sedapal_day else "otros"


def by(events: list[dict[str, Any]], *fields: str) -> Counter[Any]:
    return Counter(
        tuple(e.get(f) for f in fields) if len(fields) > 1 else e.get(fields[0]) for e in events
    )


def test_the_size_known_from_the_plan_is_the_number_of_events(
    seed: SeedFigures, events: list[dict[str, Any]]
) -> None:
    assert history_size(seed) == len(events) == 605_768


def test_every_event_is_valid_demo_data(events: list[dict[str, Any]]) -> None:
    assert len({e["attention_id"] for e in events}) == len(events)
    assert all(e["source"] == SOURCE for e in events)
    now = datetime(2024, 11, 9, tzinfo=LIMA)
    for event in events[:: max(1, len(events) // 5000)]:
        validate_attention(event, now=now)


def test_the_report_day(seed: SeedFigures, events: list[dict[str, Any]]) -> None:
    day = [e for e in events if day_of(e) == date(2024, 11, 8)]
    assert len(day) == seed.day_total == 462
    assert by(day, "office") == Counter(seed.offices_day)
    assert +by(day, "channel") == +Counter(seed.channels_day)
    assert by(day, "case_type") == Counter(seed.case_types_day)
    assert by(day, "office", "case_type") == +Counter(
        {(o, t): n for o, row in seed.office_type_day.items() for t, n in row.items()}
    )
    operational = by([e for e in day if e["case_type"] == "operacional"], "case_subtype")
    top = {k: v for k, v in seed.operational_top.items() if k != "otros"}
    assert {k: operational[k] for k in top} == top
    assert sum(v for k, v in operational.items() if k not in top) == seed.operational_top["otros"]
    assert by([e for e in day if e["case_type"] == "comercial"], "case_subtype") == Counter(
        seed.commercial_day
    )
    eps = Counter((area(e), e["case_type"]) for e in day if e["provider_scope"] == "eps")
    assert eps == +Counter({(k, t): n for k, row in seed.eps_day.items() for t, n in row.items()})
    sedapal = Counter(
        (sedapal_row(e, seed), e["case_type"]) for e in day if e.get("provider") == "sedapal"
    )
    assert sedapal == +Counter(
        {(d, t): n for d, row in seed.sedapal_day.items() for t, n in row.items()}
    )
    outside = by([e for e in day if e["provider_scope"] != "eps"], "provider_scope", "case_type")
    assert outside == +Counter(
        {(s, t): n for s, row in seed.outside_day.items() for t, n in row.items()}
    )


def test_the_2024_year_to_date(seed: SeedFigures, events: list[dict[str, Any]]) -> None:
    ytd = [e for e in events if date(2024, 1, 1) <= day_of(e) <= date(2024, 11, 8)]
    assert len(ytd) == seed.ytd_total == 123657
    assert by(ytd, "office") == Counter(seed.office_ytd)
    assert Counter(area(e) for e in ytd if e["provider_scope"] == "eps") == Counter(seed.eps_ytd)
    assert +by([e for e in ytd if e["provider_scope"] != "eps"], "provider_scope") == +Counter(
        seed.outside_ytd
    )
    types = by(ytd, "case_type")
    assert (types["operacional"], types["comercial"]) == (37035, 63096)
    sedapal = Counter(sedapal_row(e, seed) for e in ytd if e.get("provider") == "sedapal")
    expected = dict(seed.sedapal_ytd)
    expected["otros"] += 1  # the seed's districts add up to 35,814, Sedapal's own total is 35,815
    assert sedapal == Counter(expected)


def test_2023_2022_and_the_evolution_sentences(
    seed: SeedFigures, events: list[dict[str, Any]]
) -> None:
    year = Counter(day_of(e).year for e in events)
    assert year[2023] == seed.total_2023 and year[2022] == 95648
    y2023 = [e for e in events if day_of(e).year == 2023]
    assert by(y2023, "office", "channel") == +Counter(
        {(o, ch): n for o, row in seed.office_channel_2023.items() for ch, n in row.items()}
    )
    assert by(y2023, "office", "case_type") == +Counter(
        {(o, t): n for o, row in seed.office_type_2023.items() for t, n in row.items()}
    )
    assert by([e for e in events if day_of(e).year == 2022], "office") == Counter(
        seed.office_total_2022
    )
    assert year[2023] - year[2022] == seed.growth_2023_abs
    assert round(100 * (year[2023] - year[2022]) / year[2022]) == seed.growth_2023_pct
    months = Counter((day_of(e).year, day_of(e).month) for e in events)
    october = 100 * (months[(2024, 10)] - months[(2023, 10)]) / months[(2023, 10)]
    assert round(october) == seed.month_growth_pct == 11
    jan_oct = [sum(months[(y, m)] for m in range(1, 11)) for y in (2023, 2024)]
    assert round(100 * (jan_oct[1] - jan_oct[0]) / jan_oct[0]) == seed.period_growth_pct == 18
    assert not any(e["case_type"] == "expediente_trass" for e in events if day_of(e).year < 2023)
    assert sorted(year) == [2018, 2019, 2020, 2021, 2022, 2023, 2024]


def test_the_talara_outage_is_one_alert_of_the_demo_day(events: list[dict[str, Any]]) -> None:
    """The day's EPS Grau water calls clustered in Pariñas in the morning (demo/history.py):
    the detector, with no history (every key at the floor), fed the day's service-failure
    attentions in time order, raises one alert, in Talara, and no other."""
    day = [e for e in events if day_of(e) == REPORT_DAY]
    talara = [e for e in day if e.get("district") == TALARA]
    assert len(talara) == TALARA_CALLS
    assert {(e["provider"], e["case_subtype"] in TALARA_SUBTYPES) for e in talara} == {
        ("eps_grau", True)
    }
    detector = Detector(estimate([]))
    opened = []
    for event in sorted(day, key=lambda e: e["occurred_at"]):
        if not is_signal(event.get("case_subtype") or ""):
            continue
        key = incident_key(
            event.get("provider", ""), event["provider_scope"], event.get("district", ""),
            event["office"],
        )  # fmt: skip
        moment = datetime.fromisoformat(event["occurred_at"])
        for change, alert in detector.observe(
            key, moment, event["case_subtype"], event["channel"], event["attention_id"]
        ):
            if change is Change.OPENED:
                opened.append(alert.key)
    assert opened == [IncidentKey("eps_grau", TALARA)]
