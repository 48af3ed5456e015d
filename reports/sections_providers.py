"""The report's providers section: EPS, Sedapal by district, outside EPS (clickhouse.figures)."""

from __future__ import annotations

from typing import Any

from clickhouse import figures
from reports.context import ReportContext, column_totals
from reports.model import Section, Table
from reports.spanish import day_month_year


def providers_tables(ctx: ReportContext) -> Section:
    section = Section("prestadores", "Tipo de casos por prestador")
    section.tables.append(_eps_table(ctx))
    section.tables.append(_sedapal_districts_table(ctx))
    section.tables.append(_outside_eps_table(ctx))
    return section


def _type_headers(ctx: ReportContext) -> list[str]:
    return [t.eps_name for t in ctx.types_table]


def _by_type_today_and_year(ctx: ReportContext, row: dict[str, Any]) -> list[int]:
    """A figure row's day by case type (in the report's column order), its total, the year."""
    cells = [int(row[t.board_name]) for t in ctx.types_table]
    return [*cells, int(row["Hoy"]), int(row["En lo que va del año"])]


def _eps_table(ctx: ReportContext) -> Table:
    """One row per utility and region it serves: the day by case type, and the year to date."""
    rows = [
        [
            int(r["N°"]) if r["N°"] else "",
            r["Prestador"],
            r["Región"],
            *_by_type_today_and_year(ctx, r),
        ]
        for r in ctx.figure(figures.EPS_BY_CASE_TYPE)
    ]
    return Table(
        "eps",
        f"Tipo de casos por EPS ({day_month_year(ctx.day)})",
        ["N°", "PRESTADOR", "REGIÓN", *_type_headers(ctx), "TOTAL", f"En lo que va de {ctx.year}"],
        rows,
        ["TOTAL", "", "", *column_totals(rows, 3)],
    )


def _sedapal_districts_table(ctx: ReportContext) -> Table:
    """Sedapal's attentions by the districts the seed lists, the others as "Otros"."""
    rows = [
        [number, r["Distrito"], *_by_type_today_and_year(ctx, r)]
        for number, r in enumerate(ctx.figure(figures.SEDAPAL_DISTRICTS), start=1)
    ]
    return Table(
        "sedapal_distritos",
        "Tipo de casos en Sedapal (Lima y Callao)",
        ["N°", "DISTRITO", *_type_headers(ctx), "TOTAL", f"En lo que va de {ctx.year}"],
        rows,
        ["TOTAL", "", *column_totals(rows, 2)],
    )


def _outside_eps_table(ctx: ReportContext) -> Table:
    """The scopes outside the utilities (catalog provider_scopes.outside_eps)."""
    rows = [
        [number, r["Ámbito"], *_by_type_today_and_year(ctx, r)]
        for number, r in enumerate(ctx.figure(figures.OUTSIDE_EPS), start=1)
    ]
    return Table(
        "fuera_eps",
        "Tipo de casos fuera del ámbito de EP (zonas rurales, pequeña ciudad y periurbano)",
        ["N°", "PRESTADOR", *_type_headers(ctx), "Total", f"En lo que va de {ctx.year}"],
        rows,
        ["TOTAL", "", *column_totals(rows, 2)],
    )
