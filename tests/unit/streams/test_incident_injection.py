"""An incident injected into simulated traffic: the --incident value is checked in one line; the
attentions arrive as a Poisson process at the planned rate, inside the incident's minutes, all
valid service-failure attentions of the district and provider asked for."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import pytest

from incidents.signal import is_signal
from schemas.decode import validate_attention
from schemas.timestamps import LIMA
from streams.incident_injection import (
    IncidentInjector,
    IncidentPlan,
    IncidentSpec,
    IncidentSpecError,
)

START = datetime(2026, 12, 1, 9, 0, tzinfo=LIMA)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("eps_grau,200701,5", "is not provider,district,multiplier,minutes"),
        ("nadie,200701,5,30", "'nadie' is not an EPS code or a provider scope"),
        ("eps,200701,5,30", "'eps' is not an EPS code or a provider scope"),
        ("eps_grau,2007,5,30", "'2007' is not a 6-digit INEI ubigeo"),
        ("eps_grau,990101,5,30", "ubigeo 990101 is in no region"),
        ("eps_grau,200701,-2,30", "'-2' must be a number greater than 0"),
        ("eps_grau,200701,5,inf", "'inf' must be a number greater than 0"),
        ("eps_grau,200701,x,30", "'x' is not a number"),
    ],
)
def test_a_bad_incident_says_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(IncidentSpecError, match=message):
        IncidentSpec.parse(text)


def test_the_incident_arrives_at_its_rate_within_its_minutes() -> None:
    spec = IncidentSpec.parse("eps_grau, 200701, 50, 120")
    plan = IncidentPlan(spec, baseline_per_hour=1.2)  # 60 an hour
    injector = IncidentInjector(plan, START, random.Random(7))
    events = []
    for second in range(0, 3 * 3600, 10):  # the traffic loop, for three hours
        events += injector.due(START + timedelta(seconds=second))
    assert injector.finished
    assert 100 <= len(events) <= 140  # Poisson(120): outside this range once in 300 runs
    moments = [datetime.fromisoformat(e["occurred_at"]) for e in events]
    assert moments == sorted(moments)
    assert moments[0] > START and moments[-1] < START + timedelta(minutes=120)
    assert len({e["attention_id"] for e in events}) == len(events)
    for event in events:
        attention = validate_attention(event)
        assert (attention.provider, attention.district) == ("eps_grau", "200701")
        assert attention.office == "piura" and is_signal(attention.case_subtype or "")


def test_outside_the_eps_the_scope_is_the_provider() -> None:
    spec = IncidentSpec.parse("rural,080101,10,30")
    injector = IncidentInjector(IncidentPlan(spec, 6.0), START, random.Random(1))
    events = injector.due(START + timedelta(minutes=30))
    assert events and all(validate_attention(e).provider_scope == "rural" for e in events)
    assert all("provider" not in e and e["office"] == "cusco" for e in events)
