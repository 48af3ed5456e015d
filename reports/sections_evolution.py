"""The report's evolution sections: monthly year over year and annual."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from reports.context import (
    ReportContext,
    count_by,
)
from reports.model import Chart, Section, Table
from reports.spanish import (
    growth_sentence_word,
    month_year,
    percent,
)


def monthly_evolution(ctx: ReportContext) -> Section:
    rows = ctx.data.monthly_rows
    previous, current = ctx.year - 1, ctx.year
    last_month = ctx.day.month - 1  # the last complete month
    section = Section(
        "evolucion_mensual", f"Evolución mensual de atenciones {previous} - {current}"
    )
    if last_month == 0:
        section.text.append(f"Aún no hay un mes completo de {current}.")
        return section
    month_labels = [month_year(previous, m).split()[0] for m in range(1, 13)]
    short_labels = [label[:3] for label in month_labels]
    splits: dict[str, Callable[[dict[str, Any]], str]] = {
        "lima_regiones": lambda v: (
            "Lima" if ctx.catalogs.offices[v["office"]].area == "lima" else "Regiones"
        ),
        "tipos": lambda v: ctx.catalogs.case_types[v["case_type"]].annual_name,
        "modalidad": lambda v: ctx.catalogs.channels[v["channel"]].modality.capitalize(),
    }
    titles = {
        "lima_regiones": f"LIMA | REGIONES {previous} - {current}",
        "tipos": f"TIPO DE CASOS {previous}-{current}",
        "modalidad": f"PRESENCIAL | REMOTO {previous} - {current}",
    }
    totals = count_by(rows, lambda v: (v["month"].year, v["month"].month))
    for split_id, key in splits.items():
        counts = count_by(rows, lambda v, key=key: (key(v), v["month"].year, v["month"].month))  # type: ignore[misc]
        groups = sorted({g for g, _, _ in counts})
        table_rows: list[list[Any]] = []
        for group in groups:
            for year in (previous, current):
                months = range(1, 13) if year == previous else range(1, last_month + 1)
                values = [counts[(group, year, m)] if m in months else None for m in range(1, 13)]
                table_rows.append([f"{group} {year}", *values])
        section.tables.append(
            Table(f"mensual_{split_id}", titles[split_id], ["", *month_labels], table_rows)
        )
        section.charts.append(
            Chart(
                f"mensual_{split_id}_barras",
                titles[split_id],
                "grouped_bars",
                short_labels,
                {r[0]: [v or 0 for v in r[1:]] for r in table_rows},
            )
        )
    this_month = totals[(current, last_month)]
    that_month = totals[(previous, last_month)]
    this_period = sum(totals[(current, m)] for m in range(1, last_month + 1))
    that_period = sum(totals[(previous, m)] for m in range(1, last_month + 1))
    month_change = percent(this_month - that_month, that_month)
    period_change = percent(this_period - that_period, that_period)
    first = month_year(current, 1).split()[0]
    last = month_year(current, last_month).split()[0]
    section.text.append(
        f"En {month_year(current, last_month)} se evidencia un "
        f"{growth_sentence_word(month_change)} del {abs(month_change)}%, en relación a "
        f"{month_year(previous, last_month)}. En el acumulado del periodo {first} - {last} "
        f"{current} se registró un {growth_sentence_word(period_change)} del "
        f"{abs(period_change)}% en comparación al {previous}."
    )
    section.text.append(
        '* En el 2023 se cambia el tipo de caso "Otros" a "Información general" y se agregó el '
        'tipo de caso "Expedientes TRASS".'
    )
    return section


def annual_evolution(ctx: ReportContext) -> Section:
    rows = ctx.data.yearly_rows
    years = sorted({r.values["year"] for r in rows})
    section = Section(
        "evolucion_anual",
        f"Evolución anual por tipo de casos y modalidad de atención "
        f"{years[0] if years else ''} - {years[-1] if years else ''}",
    )
    by_type = count_by(rows, lambda v: (v["year"], v["case_type"]))
    by_modality = count_by(
        rows, lambda v: (v["year"], ctx.catalogs.channels[v["channel"]].modality)
    )
    types = ctx.catalogs.case_types_for_years()
    type_rows = [
        [
            year,
            *(by_type[(year, t.code)] for t in types),
            sum(by_type[(year, t.code)] for t in types),
        ]
        for year in years
    ]
    section.tables.append(
        Table(
            "anual_tipos",
            "Por tipo de casos",
            ["Año", *(t.annual_name for t in types), "TOTAL"],
            type_rows,
        )
    )
    modality_rows = [
        [
            year,
            by_modality[(year, "presencial")],
            by_modality[(year, "remoto")],
            by_modality[(year, "presencial")] + by_modality[(year, "remoto")],
        ]
        for year in years
    ]
    section.tables.append(
        Table(
            "anual_modalidad",
            "Por modalidad de atención",
            ["Año", "Presencial", "Remoto", "TOTAL"],
            modality_rows,
        )
    )
    section.charts.append(
        Chart(
            "anual_tipos_barras",
            "Evolución anual por tipo de casos",
            "grouped_bars",
            [str(y) for y in years],
            {t.annual_name: [by_type[(y, t.code)] for y in years] for t in types},
        )
    )
    section.charts.append(
        Chart(
            "anual_modalidad_barras",
            "Evolución anual por modalidad",
            "grouped_bars",
            [str(y) for y in years],
            {
                "Presencial": [r[1] for r in modality_rows],
                "Remoto": [r[2] for r in modality_rows],
            },
        )
    )
    return section
