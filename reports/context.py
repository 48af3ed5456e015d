"""What every section of the daily report reads: the input rows, the catalogs, the day's totals."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from clickhouse.queries import Row
from schemas.catalogs import Catalogs

TOP_OPERATIONAL = 5


@dataclass
class ReportInput:
    """Everything the report reads, as returned by clickhouse.queries."""

    day: date
    day_rows: list[Row]
    ytd_rows: list[Row]
    monthly_rows: list[Row]  # January of the previous year to the last complete month
    yearly_rows: list[Row]  # every whole year before the report's year
    generated_at: str
    data_up_to: date | None
    synthetic: bool
    cases: list[dict[str, Any]] = field(default_factory=list)  # updated on the report day
    duplicated_summaries: list[list[str]] = field(default_factory=list)


def count_by(rows: Iterable[Row], key: Callable[[dict[str, Any]], Any]) -> Counter[Any]:
    counts: Counter[Any] = Counter()
    for row in rows:
        counts[key(row.values)] += row.attentions
    return counts


def region_of(values: dict[str, Any], c: Catalogs) -> str:
    return values["provider_region"] or c.home_region(values["provider"])


def column_totals(rows: list[list[Any]], first: int) -> list[int]:
    width = len(rows[0]) if rows else 0
    return [sum(int(r[i] or 0) for r in rows) for i in range(first, width)]


class ReportContext:
    """The input rows and catalogs, with the totals and table orders every section uses."""

    def __init__(self, data: ReportInput, catalogs: Catalogs) -> None:
        self.data = data
        self.catalogs = catalogs
        self.day = data.day
        self.year = data.day.year
        self.day_total = sum(r.attentions for r in data.day_rows)
        self.ytd_total = sum(r.attentions for r in data.ytd_rows)
        self.offices = list(catalogs.offices.values())
        self.channels_table = sorted(catalogs.channels.values(), key=lambda ch: ch.table_order)
        self.types_table = catalogs.case_types_for_tables()
