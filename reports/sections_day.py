"""The report's day sections: the summary, the most frequent cases, relevant cases, offices."""

from __future__ import annotations

from typing import Any

from reports.context import (
    TOP_OPERATIONAL,
    ReportContext,
    column_totals,
    count_by,
)
from reports.model import Chart, Section, Table
from reports.spanish import (
    day_month_year,
    long_day,
    percent,
)


def summary(ctx: ReportContext) -> Section:
    rows = ctx.data.day_rows
    by_office = count_by(rows, lambda v: v["office"])
    offices = sorted(ctx.offices, key=lambda o: (-by_office[o.code], o.order))
    by_channel = count_by(rows, lambda v: v["channel"])
    by_type = count_by(rows, lambda v: v["case_type"])
    section = Section(
        "resumen",
        f"N° Atenciones del {long_day(ctx.day)}: {ctx.day_total}",
        text=[f"En lo que va del {ctx.year}... {ctx.ytd_total} orientaciones"],
    )
    section.tables.append(
        Table(
            "oficinas_dia",
            "Oficinas de Sunass",
            ["Oficina", "N°"],
            [[o.name, by_office[o.code]] for o in offices],
            ["TOTAL", ctx.day_total],
        )
    )
    section.tables.append(
        Table(
            "canales_dia",
            "Por canal",
            ["Canal", "N°"],
            [[ch.name, by_channel[ch.code]] for ch in ctx.catalogs.channels.values()],
            ["TOTAL", ctx.day_total],
        )
    )
    section.tables.append(
        Table(
            "tipos_dia",
            "Por tipo de casos",
            ["Tipo", "N°"],
            [[t.name, by_type[t.code]] for t in ctx.catalogs.case_types.values()],
            ["TOTAL", ctx.day_total],
        )
    )
    section.charts.append(
        Chart(
            "tipos_dia_torta",
            f"Tipos de casos atendidos {ctx.day.day:02d} "
            f"{day_month_year(ctx.day).split(' de ', 1)[1].replace(' de ', ' ')}",
            "pie",
            [t.name for t in ctx.catalogs.case_types.values()],
            {"N°": [by_type[t.code] for t in ctx.catalogs.case_types.values()]},
        )
    )
    return section


def frequent_cases(ctx: ReportContext) -> Section:
    ytd_types = count_by(ctx.data.ytd_rows, lambda v: v["case_type"])
    section = Section("casos_frecuentes", f"Casos más frecuentes del {long_day(ctx.day)}")
    for case_type, top in (("operacional", TOP_OPERATIONAL), ("comercial", None)):
        counts = count_by(
            (r for r in ctx.data.day_rows if r.values["case_type"] == case_type),
            lambda v: v["case_subtype"],
        )
        total = sum(counts.values())
        order = {s.code: s.order for s in ctx.catalogs.subtypes_of(case_type)}
        # The catch-all subtype is never a "frequent case": it is folded into "Otros".
        ranked = sorted(
            (code for code, n in counts.items() if n > 0),
            key=lambda code: (code.startswith("otros_"), -counts[code], order.get(code, 999)),
        )
        if top is not None:
            ranked = [code for code in ranked if not code.startswith("otros_")]
        shown = ranked if top is None else ranked[:top]
        rows: list[list[Any]] = [
            [ctx.catalogs.case_subtypes[code].name, counts[code], percent(counts[code], total)]
            for code in shown
        ]
        rest = total - sum(counts[code] for code in shown)
        if top is not None:
            rows.append(["Otros", rest, percent(rest, total)])
        plural = "OPERACIONALES" if case_type == "operacional" else "COMERCIALES"
        table_id = "operacionales_dia" if case_type == "operacional" else "comerciales_dia"
        section.tables.append(
            Table(
                table_id,
                f"Casos {plural.lower()} más frecuentes",
                [plural, "N°", "%"],
                rows,
                ["TOTAL", total, 100 if total else 0],
            )
        )
        section.charts.append(
            Chart(
                f"{table_id}_torta",
                f"Casos {plural.lower()} del día",
                "pie",
                [r[0] for r in rows],
                {"N°": [r[1] for r in rows]},
            )
        )
        word = "operacionales" if case_type == "operacional" else "comerciales"
        section.text.append(f"En lo que va de {ctx.year}... {ytd_types[case_type]} casos {word}")
    return section


def relevant_cases(ctx: ReportContext) -> Section:
    section = Section("casos_relevantes", "Seguimiento a casos de mayor relevancia")
    if not ctx.data.cases:
        section.text.append("No se registraron casos de mayor relevancia para este día.")
        return section
    rows = []
    for case in ctx.data.cases:
        region = (
            ctx.catalogs.regions[case["region"]].name
            if case["region"] in ctx.catalogs.regions
            else case["region"]
        )
        where = f"{region} / {case['province']} / {case['district']}"
        rows.append(
            [f"{where}\n{case['summary']}\n({case['source']})", case["action"], case["status"]]
        )
    section.tables.append(
        Table(
            "casos_relevantes",
            "Casos actualizados en el día",
            ["Región / Provincia / Distrito", "Acción adoptada", "Estado"],
            rows,
        )
    )
    return section


def offices_tables(ctx: ReportContext) -> Section:
    rows = ctx.data.day_rows
    ytd = count_by(ctx.data.ytd_rows, lambda v: v["office"])
    by_oc = count_by(rows, lambda v: (v["office"], v["channel"]))
    by_ot = count_by(rows, lambda v: (v["office"], v["case_type"]))
    by_office = count_by(rows, lambda v: v["office"])
    section = Section("oficinas", f"Atención por canal y tipo de casos del {long_day(ctx.day)}")
    channel_rows = [
        [
            o.name,
            *(by_oc[(o.code, ch.code)] for ch in ctx.channels_table),
            by_office[o.code],
            ytd[o.code],
        ]
        for o in ctx.offices
    ]
    section.tables.append(
        Table(
            "oficina_canal_dia",
            "Atención por canal de atención",
            [
                "OFICINA SUNASS",
                *(ch.table_name for ch in ctx.channels_table),
                "TOTAL",
                f"En lo que va de {ctx.year}",
            ],
            channel_rows,
            ["TOTAL", *column_totals(channel_rows, 1)],
        )
    )
    type_rows = [
        [
            o.name,
            *(by_ot[(o.code, t.code)] for t in ctx.types_table),
            by_office[o.code],
            ytd[o.code],
        ]
        for o in ctx.offices
    ]
    section.tables.append(
        Table(
            "oficina_tipo_dia",
            "Atención por tipo de casos",
            [
                "OFICINA SUNASS",
                *(t.table_name for t in ctx.types_table),
                "TOTAL",
                f"En lo que va de {ctx.year}",
            ],
            type_rows,
            ["TOTAL", *column_totals(type_rows, 1)],
        )
    )
    return section
