"""What every section of the daily report reads: the input rows, the catalogs, the day's totals."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from clickhouse import figures
from clickhouse.figures import Figure
from clickhouse.queries import Row
from schemas.catalogs import Catalogs


@dataclass
class ReportInput:
    """Everything the report reads: the catalog's figures (the ones the boards show too) and the
    cubes of the tables only the report shows."""

    day: date
    figures: dict[str, list[dict[str, Any]]]  # clickhouse.figures, by name, bound to the day
    day_rows: list[Row]  # the day's cube: the tables only the report shows
    ytd_rows: list[Row]
    yearly_rows: list[Row]  # every whole year before the report's year
    generated_at: str
    data_up_to: date | None
    synthetic: bool
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
        self.day_total = _first_value(data.figures[figures.DAY_TOTAL.name], "Atenciones del día")
        self.ytd_total = _first_value(
            data.figures[figures.YEAR_OVER_YEAR.name], "En lo que va del año"
        )
        self.offices = list(catalogs.offices.values())
        self.channels_table = sorted(catalogs.channels.values(), key=lambda ch: ch.table_order)
        self.types_table = catalogs.case_types_for_tables()

    def figure(self, figure: Figure) -> list[dict[str, Any]]:
        return self.data.figures[figure.name]


def _first_value(rows: list[dict[str, Any]], column: str) -> int:
    return int(rows[0][column] or 0) if rows else 0
