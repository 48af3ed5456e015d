"""The report's providers section: EPS, Sedapal by district, outside EPS."""

from __future__ import annotations

from typing import Any

from clickhouse.queries import Row
from reports.context import (
    ReportContext,
    column_totals,
    count_by,
    region_of,
)
from reports.model import Section, Table
from reports.spanish import (
    day_month_year,
)


def providers_tables(ctx: ReportContext) -> Section:
    day_eps = [r for r in ctx.data.day_rows if r.values["provider_scope"] == "eps"]
    ytd_eps = [r for r in ctx.data.ytd_rows if r.values["provider_scope"] == "eps"]
    section = Section("prestadores", "Tipo de casos por prestador")
    section.tables.append(_eps_table(ctx, day_eps, ytd_eps))
    section.tables.append(_sedapal_districts_table(ctx, day_eps, ytd_eps))
    section.tables.append(_outside_eps_table(ctx))
    return section


def _type_headers(ctx: ReportContext) -> list[str]:
    return [t.eps_name for t in ctx.types_table]


def _eps_table(ctx: ReportContext, day_eps: list[Row], ytd_eps: list[Row]) -> Table:
    """One row per utility and region it serves: the day by case type, and the year to date."""
    c = ctx.catalogs
    day_area = count_by(day_eps, lambda v: (v["provider"], region_of(v, c), v["case_type"]))
    ytd_area = count_by(ytd_eps, lambda v: (v["provider"], region_of(v, c)))
    rows = []
    for area in c.provider_areas:
        cells = [day_area[(area.code, area.region, t.code)] for t in ctx.types_table]
        rows.append(
            [
                area.number or "",
                area.name,
                c.regions[area.region].name,
                *cells,
                sum(cells),
                ytd_area[(area.code, area.region)],
            ]
        )
    return Table(
        "eps",
        f"Tipo de casos por EPS ({day_month_year(ctx.day)})",
        ["N°", "PRESTADOR", "REGIÓN", *_type_headers(ctx), "TOTAL", f"En lo que va de {ctx.year}"],
        rows,
        ["TOTAL", "", "", *column_totals(rows, 3)],
    )


def _sedapal_districts_table(ctx: ReportContext, day_eps: list[Row], ytd_eps: list[Row]) -> Table:
    """Sedapal's attentions by the districts the seed lists, the others as "Otros"."""
    districts = ctx.catalogs.sedapal_districts()
    listed = {d.code for d in districts}

    def district_of(v: dict[str, Any]) -> str:
        return v["district"] if v["district"] in listed else "otros"

    sedapal_day = [r for r in day_eps if r.values["provider"] == "sedapal"]
    sedapal_ytd = [r for r in ytd_eps if r.values["provider"] == "sedapal"]
    d_day = count_by(sedapal_day, lambda v: (district_of(v), v["case_type"]))
    d_ytd = count_by(sedapal_ytd, district_of)
    rows = []
    names = [(d.code, d.name) for d in districts] + [("otros", "Otros")]
    for number, (code, name) in enumerate(names, start=1):
        cells = [d_day[(code, t.code)] for t in ctx.types_table]
        rows.append([number, name, *cells, sum(cells), d_ytd[code]])
    return Table(
        "sedapal_distritos",
        "Tipo de casos en Sedapal (Lima y Callao)",
        ["N°", "DISTRITO", *_type_headers(ctx), "TOTAL", f"En lo que va de {ctx.year}"],
        rows,
        ["TOTAL", "", *column_totals(rows, 2)],
    )


def _outside_eps_table(ctx: ReportContext) -> Table:
    """The scopes outside the utilities (catalog provider_scopes.outside_eps)."""
    day_out = count_by(ctx.data.day_rows, lambda v: (v["provider_scope"], v["case_type"]))
    ytd_out = count_by(ctx.data.ytd_rows, lambda v: v["provider_scope"])
    rows = []
    for number, scope in enumerate(ctx.catalogs.outside_eps_scopes(), start=1):
        cells = [day_out[(scope, t.code)] for t in ctx.types_table]
        rows.append(
            [number, ctx.catalogs.provider_scopes[scope].name, *cells, sum(cells), ytd_out[scope]]
        )
    return Table(
        "fuera_eps",
        "Tipo de casos fuera del ámbito de EP (zonas rurales, pequeña ciudad y periurbano)",
        ["N°", "PRESTADOR", *_type_headers(ctx), "Total", f"En lo que va de {ctx.year}"],
        rows,
        ["TOTAL", "", *column_totals(rows, 2)],
    )
