"""The report's providers section: EPS, Sedapal by district, outside EPS."""

from __future__ import annotations

from typing import Any

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
    c = ctx.c
    day_eps = [r for r in ctx.d.day_rows if r.values["provider_scope"] == "eps"]
    ytd_eps = [r for r in ctx.d.ytd_rows if r.values["provider_scope"] == "eps"]
    day_area = count_by(day_eps, lambda v: (v["provider"], region_of(v, c), v["case_type"]))
    ytd_area = count_by(ytd_eps, lambda v: (v["provider"], region_of(v, c)))
    label = day_month_year(ctx.day)
    type_headers = [t.eps_name for t in ctx.types_table]
    section = Section("prestadores", "Tipo de casos por prestador")
    eps_rows = []
    for area in c.provider_areas:
        cells = [day_area[(area.code, area.region, t.code)] for t in ctx.types_table]
        eps_rows.append(
            [
                area.number or "",
                area.name,
                c.regions[area.region].name,
                *cells,
                sum(cells),
                ytd_area[(area.code, area.region)],
            ]
        )
    section.tables.append(
        Table(
            "eps",
            f"Tipo de casos por EPS ({label})",
            [
                "N°",
                "PRESTADOR",
                "REGIÓN",
                *type_headers,
                "TOTAL",
                f"En lo que va de {ctx.year}",
            ],
            eps_rows,
            ["TOTAL", "", "", *column_totals(eps_rows, 3)],
        )
    )
    sedapal_day = [r for r in day_eps if r.values["provider"] == "sedapal"]
    sedapal_ytd = [r for r in ytd_eps if r.values["provider"] == "sedapal"]
    listed = {d.code for d in c.sedapal_districts()}

    def district_of(v: dict[str, Any]) -> str:
        return v["district"] if v["district"] in listed else "otros"

    d_day = count_by(sedapal_day, lambda v: (district_of(v), v["case_type"]))
    d_ytd = count_by(sedapal_ytd, district_of)
    district_rows = []
    names = [(d.code, d.name) for d in c.sedapal_districts()] + [("otros", "Otros")]
    for number, (code, name) in enumerate(names, start=1):
        cells = [d_day[(code, t.code)] for t in ctx.types_table]
        district_rows.append([number, name, *cells, sum(cells), d_ytd[code]])
    section.tables.append(
        Table(
            "sedapal_distritos",
            "Tipo de casos en Sedapal (Lima y Callao)",
            ["N°", "DISTRITO", *type_headers, "TOTAL", f"En lo que va de {ctx.year}"],
            district_rows,
            ["TOTAL", "", *column_totals(district_rows, 2)],
        )
    )
    day_out = count_by(ctx.d.day_rows, lambda v: (v["provider_scope"], v["case_type"]))
    ytd_out = count_by(ctx.d.ytd_rows, lambda v: v["provider_scope"])
    outside_rows = []
    for number, scope in enumerate(ctx.c.outside_eps_scopes(), start=1):
        cells = [day_out[(scope, t.code)] for t in ctx.types_table]
        outside_rows.append(
            [number, c.provider_scopes[scope].name, *cells, sum(cells), ytd_out[scope]]
        )
    section.tables.append(
        Table(
            "fuera_eps",
            "Tipo de casos fuera del ámbito de EP (zonas rurales, pequeña ciudad y periurbano)",
            ["N°", "PRESTADOR", *type_headers, "Total", f"En lo que va de {ctx.year}"],
            outside_rows,
            ["TOTAL", "", *column_totals(outside_rows, 2)],
        )
    )
    return section
