"""Builds the daily report (reports.model) from the shared ClickHouse queries' rows: the sections
in the seed's order (reports/sections_*.py), then a consistency check."""

from __future__ import annotations

from reports.context import ReportContext, ReportInput
from reports.model import DailyReport
from reports.sections_day import (
    alerts_of_the_day,
    frequent_cases,
    offices_tables,
    relevant_cases,
    summary,
)
from reports.sections_evolution import annual_evolution, monthly_evolution
from reports.sections_previous_year import previous_year
from reports.sections_providers import providers_tables
from reports.spanish import day_month_year
from schemas.catalogs import Catalogs

__all__ = ["ReportInconsistency", "ReportInput", "build_report", "check_consistency"]


def assemble(ctx: ReportContext) -> DailyReport:
    label = day_month_year(ctx.day)
    sections = [
        summary(ctx),
        frequent_cases(ctx),
        relevant_cases(ctx),
        alerts_of_the_day(ctx),
        offices_tables(ctx),
        providers_tables(ctx),
        monthly_evolution(ctx),
        annual_evolution(ctx),
        previous_year(ctx),
    ]
    notes = []
    for cases in ctx.data.duplicated_summaries:
        notes.append(
            f"Calidad de datos: los casos {', '.join(cases)} tienen la misma descripción; "
            "revise si es un error de copia."
        )
    if ctx.data.synthetic:
        notes.append(
            "DATOS SINTÉTICOS DE DEMOSTRACIÓN: las cifras provienen del historial de "
            "demostración generado por el sistema, no de atenciones reales."
        )
    return DailyReport(
        title=f"Reporte diario de atención a usuarios al {label}",
        day=ctx.day.isoformat(),
        generated_at=ctx.data.generated_at,
        data_up_to=ctx.data.data_up_to.isoformat() if ctx.data.data_up_to else None,
        synthetic=ctx.data.synthetic,
        sections=sections,
        notes=notes,
    )


def build_report(data: ReportInput, catalogs: Catalogs) -> DailyReport:
    report = assemble(ReportContext(data, catalogs))
    check_consistency(report)
    return report


class ReportInconsistency(ValueError):
    """A cut of the report does not add up to the day's (or the period's) total."""


def check_consistency(report: DailyReport) -> None:
    """Every cut of the day adds up to the day's total; every year-to-date column to the YTD."""
    summary = report.section("resumen")
    day_total = summary.table("oficinas_dia").total[1]  # type: ignore[index]
    problems = []
    for table_id in ("oficinas_dia", "canales_dia", "tipos_dia"):
        table = summary.table(table_id)
        if sum(r[1] for r in table.rows) != day_total:
            problems.append(table_id)
    frequent = report.section("casos_frecuentes")
    types = {r[0]: r[1] for r in summary.table("tipos_dia").rows}
    if frequent.table("operacionales_dia").total[1] != types["Operacional"]:  # type: ignore[index]
        problems.append("operacionales_dia")
    if frequent.table("comerciales_dia").total[1] != types["Comercial"]:  # type: ignore[index]
        problems.append("comerciales_dia")
    offices = report.section("oficinas")
    for table_id in ("oficina_canal_dia", "oficina_tipo_dia"):
        if offices.table(table_id).total[-2] != day_total:  # type: ignore[index]
            problems.append(table_id)
    providers = report.section("prestadores")
    eps = providers.table("eps").total
    outside = providers.table("fuera_eps").total
    if eps[-2] + outside[-2] != day_total:  # type: ignore[index]
        problems.append("eps + fuera_eps")
    if problems:
        raise ReportInconsistency(
            f"cuts that do not add up to the day's total: {', '.join(problems)}"
        )
