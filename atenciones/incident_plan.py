"""The rate of an injected incident (`atenciones simulate --incident`): the key's baseline at
this hour of the week, estimated from ClickHouse as the live detector estimates it."""

from __future__ import annotations

from datetime import datetime, timedelta

from clickhouse import queries
from clickhouse.client import connect
from foundation.settings import Settings
from incidents.baseline import BaselineRules, estimate, hour_of_week, week_start
from incidents.signal import IncidentKey
from schemas.timestamps import LIMA, lima_day
from streams.incident_injection import IncidentPlan, IncidentSpec


def plan_incident(
    settings: Settings, spec: IncidentSpec, now: datetime | None = None
) -> IncidentPlan:
    moment = now or datetime.now(tz=LIMA)
    week = week_start(lima_day(moment))
    rules = BaselineRules(
        weeks=settings.alert_baseline_weeks, floor_per_hour=settings.alert_floor_per_hour
    )
    client = connect(settings)
    try:
        history = queries.signal_history(client, week - timedelta(weeks=rules.weeks), week)
    finally:
        client.close()
    # every key, as the detector does: a key's hours are shaped by every key's profile
    baselines = estimate(((IncidentKey(p, pl), w, h, n) for p, pl, w, h, n in history), rules)
    baseline = baselines.of(IncidentKey(spec.provider, spec.district))
    return IncidentPlan(spec, baseline.per_hour[hour_of_week(moment)])
