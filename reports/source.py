"""Reads what the report needs from ClickHouse: the catalog's figures bound to the report day
(clickhouse.figures) and the cubes of the tables only the report shows (clickhouse.queries)."""

from __future__ import annotations

from datetime import date, datetime

from clickhouse_connect.driver.client import Client

from clickhouse import figures, queries
from reports.build import ReportInput
from schemas.attention import DEMO_SOURCE
from schemas.timestamps import LIMA, format_rfc3339

# The figures the report shows, and the year each is bound to (relative to the report's).
REPORT_FIGURES = {
    figures.DAY_TOTAL: 0,
    figures.YEAR_OVER_YEAR: 0,
    figures.BY_OFFICE: 0,
    figures.BY_CHANNEL: 0,
    figures.BY_CASE_TYPE: 0,
    figures.TOP_OPERATIONAL_SUBTYPES: 0,
    figures.COMMERCIAL_SUBTYPES: 0,
    figures.CASES_OF_THE_DAY: 0,
    figures.ALERTS: 0,
    figures.EPS_BY_CASE_TYPE: 0,
    figures.SEDAPAL_DISTRICTS: 0,
    figures.OUTSIDE_EPS: 0,
    figures.MONTHLY_LIMA_REGIONS: 0,
    figures.MONTHLY_CASE_TYPES: 0,
    figures.MONTHLY_MODALITY: 0,
    figures.ANNUAL_CASE_TYPES: -1,  # the whole years before the report's
    figures.ANNUAL_MODALITY: -1,
}


def read_report_input(client: Client, day: date, now: datetime | None = None) -> ReportInput:
    year_start = date(day.year, 1, 1)
    return ReportInput(
        day=day,
        figures={
            figure.name: figure.rows(client, day, day.year + year_offset)
            for figure, year_offset in REPORT_FIGURES.items()
        },
        day_rows=queries.day_cube(client, day),
        ytd_rows=queries.period_cube(client, year_start, day),
        yearly_rows=queries.yearly(client, year_start),
        generated_at=format_rfc3339(
            (now or datetime.now(tz=LIMA)).astimezone(LIMA).replace(microsecond=0)
        ),
        data_up_to=queries.last_data_day(client, day),
        synthetic=queries.has_source_on_day(client, day, DEMO_SOURCE),
        duplicated_summaries=queries.duplicated_summaries(client),
    )
