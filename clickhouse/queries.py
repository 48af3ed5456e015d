"""The queries the daily report and the Grafana boards share (server-side parameters only)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from clickhouse_connect.driver.client import Client

from schemas.classification import CLASSIFICATION_FIELDS

CLASSIFICATION = CLASSIFICATION_FIELDS

# One Lima day, by full classification: every cut of the day is a sum over these rows.
DAY_CUBE = f"""
SELECT {", ".join(CLASSIFICATION)}, sum(attentions) AS attentions
FROM atenciones.daily_counts
WHERE day = {{day:Date}}
GROUP BY {", ".join(CLASSIFICATION)}
"""

# From the first day of the year to the report day (inclusive).
PERIOD_CUBE = """
SELECT office, case_type, provider_scope, provider, provider_region, district,
       sum(attentions) AS attentions
FROM atenciones.daily_counts
WHERE day BETWEEN {start:Date} AND {end:Date}
GROUP BY office, case_type, provider_scope, provider, provider_region, district
"""

# Whole years before the report's year, by office, channel and case type.
YEARLY = """
SELECT toYear(day) AS year, office, channel, case_type, sum(attentions) AS attentions
FROM atenciones.daily_counts
WHERE day < {before:Date}
GROUP BY year, office, channel, case_type
ORDER BY year
"""

FROM_SOURCE_ON_DAY = """
SELECT count() > 0 FROM atenciones.attentions WHERE day = {day:Date} AND source = {source:String}
"""


def latest_case_updates_on(day: str) -> str:
    """Relevant cases with an update on a Lima day (a SQL expression: a parameter, or the
    boards' chosen day): that day's latest update of each, and when the day's first came. The
    report's case section and the boards' "Casos del día" panel both read this."""
    return f"""
SELECT case_id, argMax(region, revision) AS region,
       argMax(province, revision) AS province, argMax(district, revision) AS district,
       argMax(summary, revision) AS summary, argMax(source, revision) AS source,
       argMax(action, revision) AS action, argMax(status, revision) AS status,
       argMax(office, revision) AS office, min(reported_at) AS first_update
FROM atenciones.relevant_case_updates FINAL
WHERE day = {day}
GROUP BY case_id
"""


# The current state of one case (None when the case is unknown).
CASE_STATE = "SELECT * FROM atenciones.relevant_cases WHERE case_id = {case_id:String}"

# Other cases whose current summary is the same text (copy-paste errors, as in the seed).
SAME_SUMMARY = """
SELECT case_id FROM atenciones.relevant_cases
WHERE lower(trimBoth(summary)) = lower(trimBoth({summary:String})) AND case_id != {case_id:String}
ORDER BY case_id
"""

# Pairs of cases (current state) sharing a summary.
DUPLICATED_SUMMARIES = """
SELECT groupArray(case_id) AS cases FROM atenciones.relevant_cases
GROUP BY lower(trimBoth(summary)) HAVING count() > 1
"""

# Service-failure attentions per incident key (incidents/signal.py), week (0 = the oldest of the
# span) and hour of the week in Lima (0 = Monday 00:00): the incident detector's baselines.
SIGNAL_HISTORY = """
SELECT if(a.provider = '', a.provider_scope, a.provider) AS provider,
       if(a.district = '', concat('ods:', a.office), a.district) AS place,
       intDiv(dateDiff('day', {start:Date}, a.day), 7) AS week,
       (toDayOfWeek(a.occurred_at, 0, 'America/Lima') - 1) * 24
           + toHour(toTimeZone(a.occurred_at, 'America/Lima')) AS hour_of_week,
       count() AS attentions
FROM atenciones.attentions AS a
JOIN atenciones.catalog_case_subtypes AS s ON s.code = a.case_subtype
WHERE s.service_failure != '' AND a.day >= {start:Date} AND a.day < {end:Date}
GROUP BY provider, place, week, hour_of_week
"""

# Incident alerts (the latest version of each): those of a Lima day, or every open one.
ALERTS_ON_DAY = """
SELECT * FROM atenciones.alerts FINAL WHERE day = {day:Date} ORDER BY opened_at, alert_id
"""
OPEN_ALERTS = "SELECT * FROM atenciones.alerts FINAL WHERE status = 'open' ORDER BY opened_at"
ALERT = "SELECT * FROM atenciones.alerts FINAL WHERE alert_id = {alert_id:String}"
# The office that attended most of an alert's service-failure attentions since its first window.
ALERT_MAIN_OFFICE = """
SELECT a.office
FROM atenciones.attentions AS a
JOIN atenciones.catalog_case_subtypes AS s ON s.code = a.case_subtype
WHERE s.service_failure != '' AND a.district = {place:String}
  AND if(a.provider = '', a.provider_scope, a.provider) = {provider:String}
  AND a.day >= {day:Date} - 1 AND a.occurred_at >= fromUnixTimestamp64Milli({since_ms:Int64})
GROUP BY a.office
ORDER BY count() DESC, a.office
LIMIT 1
"""

LAST_DATA_DAY = "SELECT max(day) FROM atenciones.daily_counts WHERE day <= {day:Date}"


@dataclass(frozen=True)
class Row:
    values: dict[str, Any]
    attentions: int


def run(client: Client, sql: str, **parameters: Any) -> list[Row]:
    result = client.query(sql, parameters=parameters)
    names = list(result.column_names)
    rows = []
    for raw in result.result_rows:
        record = dict(zip(names, raw, strict=True))
        count = int(record.pop("attentions"))
        rows.append(Row(record, count))
    return rows


def day_cube(client: Client, day: date) -> list[Row]:
    return run(client, DAY_CUBE, day=day)


def period_cube(client: Client, start: date, end: date) -> list[Row]:
    return run(client, PERIOD_CUBE, start=start, end=end)


def yearly(client: Client, before: date) -> list[Row]:
    return run(client, YEARLY, before=before)


def has_source_on_day(client: Client, day: date, source: str) -> bool:
    return bool(
        client.query(FROM_SOURCE_ON_DAY, parameters={"day": day, "source": source}).result_rows[0][
            0
        ]
    )


def case_state(client: Client, case_id: str) -> dict[str, Any] | None:
    rows = records(client, CASE_STATE, case_id=case_id)
    return rows[0] if rows else None


def cases_with_same_summary(client: Client, case_id: str, summary: str) -> list[str]:
    result = client.query(SAME_SUMMARY, parameters={"case_id": case_id, "summary": summary})
    return [row[0] for row in result.result_rows]


def duplicated_summaries(client: Client) -> list[list[str]]:
    return [sorted(row[0]) for row in client.query(DUPLICATED_SUMMARIES).result_rows]


def signal_history(client: Client, start: date, end: date) -> list[tuple[str, str, int, int, int]]:
    """(provider, place, week, hour of week, attentions) from start (inclusive) to end."""
    rows = client.query(SIGNAL_HISTORY, parameters={"start": start, "end": end}).result_rows
    return [(str(p), str(place), int(w), int(h), int(n)) for p, place, w, h, n in rows]


def records(client: Client, sql: str, **parameters: Any) -> list[dict[str, Any]]:
    """The rows of a query as dicts by column name."""
    result = client.query(sql, parameters=parameters)
    return [dict(zip(result.column_names, row, strict=True)) for row in result.result_rows]


def alerts_on(client: Client, day: date) -> list[dict[str, Any]]:
    return records(client, ALERTS_ON_DAY, day=day)


def open_alerts(client: Client) -> list[dict[str, Any]]:
    return records(client, OPEN_ALERTS)


def alert(client: Client, alert_id: str) -> dict[str, Any] | None:
    rows = records(client, ALERT, alert_id=alert_id)
    return rows[0] if rows else None


def alert_main_office(client: Client, alert: dict[str, Any]) -> str | None:
    rows = client.query(
        ALERT_MAIN_OFFICE,
        parameters={"place": alert["place"], "provider": alert["provider"],
                    "day": alert["day"],
                    "since_ms": int(alert["window_start"].timestamp() * 1000)},
    ).result_rows  # fmt: skip
    return str(rows[0][0]) if rows else None


def last_data_day(client: Client, day: date) -> date | None:
    value = client.query(LAST_DATA_DAY, parameters={"day": day}).result_rows[0][0]
    return value if isinstance(value, date) and value.year > 1970 else None
