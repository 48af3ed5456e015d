"""The report's day sections: the summary, the most frequent cases, relevant cases, the day's
incident alerts, offices."""

from __future__ import annotations

from typing import Any

from clickhouse import figures
from reports.context import ReportContext, column_totals, count_by
from reports.model import Chart, Section, Table
from reports.spanish import day_month_year, long_day


def summary(ctx: ReportContext) -> Section:
    section = Section(
        "resumen",
        f"N° Atenciones del {long_day(ctx.day)}: {ctx.day_total}",
        text=[f"En lo que va del {ctx.year}... {ctx.ytd_total} orientaciones"],
    )
    for table_id, title, label, figure, name_column in (
        ("oficinas_dia", "Oficinas de Sunass", "Oficina", figures.BY_OFFICE, "Oficina"),
        ("canales_dia", "Por canal", "Canal", figures.BY_CHANNEL, "Canal"),
        ("tipos_dia", "Por tipo de casos", "Tipo", figures.BY_CASE_TYPE, "Tipo de caso"),
    ):
        rows = [[r[name_column], r["Hoy"]] for r in ctx.figure(figure)]
        section.tables.append(Table(table_id, title, [label, "N°"], rows, ["TOTAL", ctx.day_total]))
    types = section.table("tipos_dia").rows
    section.charts.append(
        Chart(
            "tipos_dia_torta",
            f"Tipos de casos atendidos {ctx.day.day:02d} "
            f"{day_month_year(ctx.day).split(' de ', 1)[1].replace(' de ', ' ')}",
            "pie",
            [name for name, _ in types],
            {"N°": [count for _, count in types]},
        )
    )
    return section


def frequent_cases(ctx: ReportContext) -> Section:
    ytd_types = {
        r["Tipo de caso"]: r["En lo que va del año"] for r in ctx.figure(figures.BY_CASE_TYPE)
    }
    section = Section("casos_frecuentes", f"Casos más frecuentes del {long_day(ctx.day)}")
    for case_type, figure, table_id, word in (
        ("operacional", figures.TOP_OPERATIONAL_SUBTYPES, "operacionales_dia", "operacionales"),
        ("comercial", figures.COMMERCIAL_SUBTYPES, "comerciales_dia", "comerciales"),
    ):
        rows: list[list[Any]] = [[r["Subtipo"], r["N°"], r["%"]] for r in ctx.figure(figure)]
        total = sum(r[1] for r in rows)
        section.tables.append(
            Table(
                table_id,
                f"Casos {word} más frecuentes",
                [word.upper(), "N°", "%"],
                rows,
                ["TOTAL", total, 100 if total else 0],
            )
        )
        section.charts.append(
            Chart(
                f"{table_id}_torta",
                f"Casos {word} del día",
                "pie",
                [r[0] for r in rows],
                {"N°": [r[1] for r in rows]},
            )
        )
        type_name = ctx.catalogs.case_types[case_type].name
        section.text.append(f"En lo que va de {ctx.year}... {ytd_types[type_name]} casos {word}")
    return section


def relevant_cases(ctx: ReportContext) -> Section:
    section = Section("casos_relevantes", "Seguimiento a casos de mayor relevancia")
    cases = ctx.figure(figures.CASES_OF_THE_DAY)
    if not cases:
        section.text.append("No se registraron casos de mayor relevancia para este día.")
        return section
    rows = [
        [
            f"{case['Región / Provincia / Distrito']}\n{case['Resumen']}\n({case['Fuente']})",
            case["Acción adoptada"],
            case["Estado"],
        ]
        for case in cases
    ]
    section.tables.append(
        Table(
            "casos_relevantes",
            "Casos actualizados en el día",
            ["Región / Provincia / Distrito", "Acción adoptada", "Estado"],
            rows,
        )
    )
    return section


ALERT_COLUMNS = ["Estado", "Prestador", "Lugar", "Desde", "Alerta", "Cierre", "Pico", "Casos"]


def alerts_of_the_day(ctx: ReportContext) -> Section:
    """The incident alerts that opened on the day, and those opened before still open."""
    section = Section("alertas", "Alertas del día")
    alerts = ctx.figure(figures.ALERTS)
    if not alerts:
        section.text.append("No se detectaron alertas de incidentes en el día.")
        return section
    still_open = sum(alert["Estado"] == "ABIERTA" for alert in alerts)
    section.text.append(
        f"Alertas de incidentes detectadas en vivo: {len(alerts)}, de ellas {still_open} "
        "abiertas al generar el reporte. Pico: atenciones de falla del servicio en la ventana "
        "más improbable frente a lo habitual para ese lugar, día de la semana y hora."
    )
    rows = [
        [
            *(alert[name] for name in ALERT_COLUMNS[:6]),
            peak_text(alert["Pico"], alert["Minutos"], alert["Esperado"]),
            alert["Casos"],
        ]
        for alert in alerts
    ]
    section.tables.append(Table("alertas_dia", "Alertas del día", ALERT_COLUMNS, rows))
    return section


def peak_text(count: int, minutes: int, expected: float) -> str:
    """'9 en 60 min (lo habitual: 0,25)'."""
    return f"{count} en {minutes} min (lo habitual: {f'{expected:.2f}'.replace('.', ',')})"


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
