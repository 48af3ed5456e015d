"""The report's section on the previous year's results."""

from __future__ import annotations

from clickhouse.queries import Row
from reports.context import (
    ReportContext,
    column_totals,
    count_by,
)
from reports.model import Chart, Section, Table
from reports.spanish import (
    percent,
    thousands,
)


def previous_year(ctx: ReportContext) -> Section:
    year = ctx.year - 1
    rows = [r for r in ctx.data.yearly_rows if r.values["year"] == year]
    before = [r for r in ctx.data.yearly_rows if r.values["year"] == year - 1]
    total = sum(r.attentions for r in rows)
    total_before = sum(r.attentions for r in before)
    section = Section(
        "resultados_anterior", f"Resultados {year}: N° Atenciones {year}: {thousands(total)}"
    )
    _channels_and_types(ctx, section, year, rows, total)
    change = total - total_before
    section.text.append(
        f"En relación con el año anterior, en el {year} las orientaciones a usuarios "
        f"{'crecieron' if change >= 0 else 'disminuyeron'} en {thousands(abs(change))} "
        f"({'+' if change >= 0 else '-'}{abs(percent(change, total_before))}%)"
    )
    section.tables.append(_offices_by_channel(ctx, year, rows, before))
    section.tables.append(_offices_by_type(ctx, year, rows))
    return section


def _channels_and_types(
    ctx: ReportContext, section: Section, year: int, rows: list[Row], total: int
) -> None:
    """The year's totals by channel and by case type (table and pie chart)."""
    by_channel = count_by(rows, lambda v: v["channel"])
    by_type = count_by(rows, lambda v: v["case_type"])
    section.tables.append(
        Table(
            "anio_canales",
            "Por canal",
            ["Canal", "N°"],
            [[ch.name, by_channel[ch.code]] for ch in ctx.channels_table],
            ["TOTAL", total],
        )
    )
    types = ctx.catalogs.case_types_for_years()
    section.tables.append(
        Table(
            "anio_tipos",
            "Por tipo de casos",
            ["Tipo", "N°"],
            [[t.annual_name, by_type[t.code]] for t in types],
            ["TOTAL", total],
        )
    )
    section.charts.append(
        Chart(
            "anio_tipos_torta",
            f"Tipos de casos atendidos ({year})",
            "pie",
            [t.annual_name for t in types],
            {"N°": [by_type[t.code] for t in types]},
        )
    )


def _offices_by_channel(ctx: ReportContext, year: int, rows: list[Row], before: list[Row]) -> Table:
    """Each office by channel, its total, the year before's and the growth."""
    by_oc = count_by(rows, lambda v: (v["office"], v["channel"]))
    by_office = count_by(rows, lambda v: v["office"])
    by_office_before = count_by(before, lambda v: v["office"])
    oc_rows = [
        [
            o.name,
            *(by_oc[(o.code, ch.code)] for ch in ctx.channels_table),
            by_office[o.code],
            by_office_before[o.code],
            percent(by_office[o.code] - by_office_before[o.code], by_office_before[o.code]),
        ]
        for o in ctx.offices
    ]
    total, total_before = sum(by_office.values()), sum(by_office_before.values())
    return Table(
        "anio_oficina_canal",
        f"Atención en oficinas por canal de atención {year}",
        [
            "OFICINA SUNASS",
            *(ch.table_name for ch in ctx.channels_table),
            "TOTAL",
            f"TOTAL {year - 1}",
            f"CRECIMIENTO {year} (%)",
        ],
        oc_rows,
        [
            "TOTAL",
            *column_totals([r[:-1] for r in oc_rows], 1),
            percent(total - total_before, total_before),
        ],
    )


def _offices_by_type(ctx: ReportContext, year: int, rows: list[Row]) -> Table:
    by_ot = count_by(rows, lambda v: (v["office"], v["case_type"]))
    by_office = count_by(rows, lambda v: v["office"])
    ot_rows = [
        [o.name, *(by_ot[(o.code, t.code)] for t in ctx.types_table), by_office[o.code]]
        for o in ctx.offices
    ]
    return Table(
        "anio_oficina_tipo",
        f"Atención en oficinas por tipo de casos {year}",
        ["OFICINA SUNASS", *(t.table_name for t in ctx.types_table), "TOTAL"],
        ot_rows,
        ["TOTAL", *column_totals(ot_rows, 1)],
    )
