"""The queries the daily report and the Grafana boards share (server-side parameters only)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from clickhouse_connect.driver.client import Client

CLASSIFICATION = (
    "office", "channel", "case_type", "case_subtype", "provider_scope", "provider",
    "provider_region", "district",
)  # fmt: skip

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

# Months of a span of days, by office, channel and case type (Lima vs regions, modality, types).
MONTHLY = """
SELECT toStartOfMonth(day) AS month, office, channel, case_type, sum(attentions) AS attentions
FROM atenciones.daily_counts
WHERE day BETWEEN {start:Date} AND {end:Date}
GROUP BY month, office, channel, case_type
ORDER BY month
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


def monthly(client: Client, start: date, end: date) -> list[Row]:
    return run(client, MONTHLY, start=start, end=end)


def yearly(client: Client, before: date) -> list[Row]:
    return run(client, YEARLY, before=before)


def has_source_on_day(client: Client, day: date, source: str) -> bool:
    return bool(
        client.query(FROM_SOURCE_ON_DAY, parameters={"day": day, "source": source}).result_rows[0][
            0
        ]
    )


def last_data_day(client: Client, day: date) -> date | None:
    value = client.query(LAST_DATA_DAY, parameters={"day": day}).result_rows[0][0]
    return value if isinstance(value, date) and value.year > 1970 else None
