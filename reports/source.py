"""Reads what the report needs from ClickHouse (through clickhouse.queries only)."""

from __future__ import annotations

from datetime import date, datetime

from clickhouse_connect.driver.client import Client

from clickhouse import queries
from reports.build import ReportInput
from schemas.attention import DEMO_SOURCE
from schemas.timestamps import LIMA, format_rfc3339


def read_report_input(client: Client, day: date, now: datetime | None = None) -> ReportInput:
    year_start = date(day.year, 1, 1)
    previous_start = date(day.year - 1, 1, 1)
    last_complete = date(day.year, day.month, 1)  # months before the report's month
    monthly_end = date.fromordinal(last_complete.toordinal() - 1)
    synthetic = queries.has_source_on_day(client, day, DEMO_SOURCE)
    return ReportInput(
        day=day,
        day_rows=queries.day_cube(client, day),
        ytd_rows=queries.period_cube(client, year_start, day),
        monthly_rows=queries.monthly(client, previous_start, monthly_end),
        yearly_rows=queries.yearly(client, year_start),
        generated_at=format_rfc3339(
            (now or datetime.now(tz=LIMA)).astimezone(LIMA).replace(microsecond=0)
        ),
        data_up_to=queries.last_data_day(client, day),
        synthetic=synthetic,
        cases=queries.cases_updated_on(client, day),
        duplicated_summaries=queries.duplicated_summaries(client),
    )
