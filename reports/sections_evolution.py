"""The report's evolution sections: monthly year over year and annual."""

from __future__ import annotations

from collections import Counter
from typing import Any

from clickhouse import figures
from reports.context import ReportContext
from reports.model import Chart, Section, Table
from reports.spanish import (
    growth_sentence_word,
    month_year,
    percent,
)


def monthly_evolution(ctx: ReportContext) -> Section:
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
    titles = {
        "lima_regiones": f"LIMA | REGIONES {previous} - {current}",
        "tipos": f"TIPO DE CASOS {previous}-{current}",
        "modalidad": f"PRESENCIAL | REMOTO {previous} - {current}",
    }
    for split_id, figure in (
        ("lima_regiones", figures.MONTHLY_LIMA_REGIONS),
        ("tipos", figures.MONTHLY_CASE_TYPES),
        ("modalidad", figures.MONTHLY_MODALITY),
    ):
        table_rows = _monthly_rows(ctx.figure(figure), previous, current, last_month)
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
    totals: Counter[tuple[int, int]] = Counter()
    for r in ctx.figure(figures.MONTHLY_LIMA_REGIONS):  # each attention is Lima or a region
        totals[(previous, r["N° mes"])] += r["Año anterior"]
        totals[(current, r["N° mes"])] += r["Año"]
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


def _monthly_rows(
    rows: list[dict[str, Any]], previous: int, current: int, last_month: int
) -> list[list[Any]]:
    """One row per group and year: the months of the year before, and this year's complete
    months (the others None); groups without attentions in those months are left out."""
    counts: Counter[tuple[str, int, int]] = Counter()
    for r in rows:
        counts[(r["Grupo"], previous, r["N° mes"])] += r["Año anterior"]
        if r["N° mes"] <= last_month:
            counts[(r["Grupo"], current, r["N° mes"])] += r["Año"]
    groups = sorted({group for (group, _, _), n in counts.items() if n})
    table_rows: list[list[Any]] = []
    for group in groups:
        for year in (previous, current):
            shown = range(1, 13) if year == previous else range(1, last_month + 1)
            values = [counts[(group, year, m)] if m in shown else None for m in range(1, 13)]
            table_rows.append([f"{group} {year}", *values])
    return table_rows


def annual_evolution(ctx: ReportContext) -> Section:
    """Every whole year before the report's (the annual figures are bound to the year before)."""
    by_type = ctx.figure(figures.ANNUAL_CASE_TYPES)
    by_modality = ctx.figure(figures.ANNUAL_MODALITY)
    years = [r["Año"] for r in by_type]
    section = Section(
        "evolucion_anual",
        f"Evolución anual por tipo de casos y modalidad de atención "
        f"{years[0] if years else ''} - {years[-1] if years else ''}",
    )
    types = ctx.catalogs.case_types_for_years()
    type_columns = [t.annual_name for t in types]
    section.tables.append(
        Table(
            "anual_tipos",
            "Por tipo de casos",
            ["Año", *type_columns, "TOTAL"],
            [[r["Año"], *(r[c] for c in type_columns), r["TOTAL"]] for r in by_type],
        )
    )
    modalities = list(figures.modality_names().values())
    modality_rows = [[r["Año"], *(r[m] for m in modalities), r["TOTAL"]] for r in by_modality]
    section.tables.append(
        Table(
            "anual_modalidad",
            "Por modalidad de atención",
            ["Año", *modalities, "TOTAL"],
            modality_rows,
        )
    )
    section.charts.append(
        Chart(
            "anual_tipos_barras",
            "Evolución anual por tipo de casos",
            "grouped_bars",
            [str(y) for y in years],
            {c: [r[c] for r in by_type] for c in type_columns},
        )
    )
    section.charts.append(
        Chart(
            "anual_modalidad_barras",
            "Evolución anual por modalidad",
            "grouped_bars",
            [str(y) for y in years],
            {m: [r[m] for r in by_modality] for m in modalities},
        )
    )
    return section
