"""The report as data: sections of tables (rows of cells), sentences and charts. JSON-ready."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Table:
    id: str
    title: str
    columns: list[str]
    rows: list[list[Any]]
    total: list[Any] | None = None  # the TOTAL row, same columns


@dataclass
class Chart:
    id: str
    title: str
    kind: str  # "pie" | "bars" | "grouped_bars"
    labels: list[str]
    series: dict[str, list[int]]


@dataclass
class Section:
    id: str
    title: str
    text: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)

    def table(self, table_id: str) -> Table:
        return next(t for t in self.tables if t.id == table_id)


@dataclass
class DailyReport:
    title: str
    day: str  # ISO date of the report day (Lima)
    generated_at: str  # RFC 3339, Lima offset
    data_up_to: str | None  # last day with data, up to the report day
    synthetic: bool  # True when the figures come from the synthetic demo history
    sections: list[Section]
    notes: list[str] = field(default_factory=list)

    def section(self, section_id: str) -> Section:
        return next(s for s in self.sections if s.id == section_id)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
