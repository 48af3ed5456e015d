"""Builds the daily report (reports.model) from the shared ClickHouse queries' rows."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from clickhouse.queries import Row
from reports.model import Chart, DailyReport, Section, Table
from reports.spanish import (
    day_month_year,
    growth_sentence_word,
    long_day,
    month_year,
    percent,
    thousands,
)
from schemas.catalogs import Catalogs

TYPES_TABLE = ("operacional", "comercial", "expediente_trass", "informacion_general")
OUTSIDE = ("rural", "pequena_ciudad", "otro_urbano")
TOP_OPERATIONAL = 5


@dataclass
class ReportInput:
    """Everything the report reads, as returned by clickhouse.queries."""

    day: date
    day_rows: list[Row]
    ytd_rows: list[Row]
    monthly_rows: list[Row]  # January of the previous year to the last complete month
    yearly_rows: list[Row]  # every whole year before the report's year
    generated_at: str
    data_up_to: date | None
    synthetic: bool
    cases: list[dict[str, Any]] = field(default_factory=list)  # updated on the report day
    duplicated_summaries: list[list[str]] = field(default_factory=list)


def _sum(rows: Iterable[Row], key: Callable[[dict[str, Any]], Any]) -> Counter[Any]:
    counts: Counter[Any] = Counter()
    for row in rows:
        counts[key(row.values)] += row.attentions
    return counts


def _region_of(values: dict[str, Any], c: Catalogs) -> str:
    return values["provider_region"] or c.home_region(values["provider"])


class ReportBuilder:
    def __init__(self, data: ReportInput, catalogs: Catalogs) -> None:
        self.d = data
        self.c = catalogs
        self.day = data.day
        self.year = data.day.year
        self.day_total = sum(r.attentions for r in data.day_rows)
        self.ytd_total = sum(r.attentions for r in data.ytd_rows)
        self.offices = list(catalogs.offices.values())
        self.channels_table = sorted(catalogs.channels.values(), key=lambda ch: ch.table_order)
        self.types_table = [catalogs.case_types[t] for t in TYPES_TABLE]

    def build(self) -> DailyReport:
        label = day_month_year(self.day)
        sections = [
            self.summary(),
            self.frequent_cases(),
            self.relevant_cases(),
            self.offices_tables(),
            self.providers_tables(),
            self.monthly_evolution(),
            self.annual_evolution(),
            self.previous_year(),
        ]
        notes = []
        for cases in self.d.duplicated_summaries:
            notes.append(
                f"Calidad de datos: los casos {', '.join(cases)} tienen la misma descripción; "
                "revise si es un error de copia."
            )
        if self.d.synthetic:
            notes.append(
                "DATOS SINTÉTICOS DE DEMOSTRACIÓN: las cifras provienen del historial de "
                "demostración generado por el sistema, no de atenciones reales."
            )
        return DailyReport(
            title=f"Reporte diario de atención a usuarios al {label}",
            day=self.day.isoformat(),
            generated_at=self.d.generated_at,
            data_up_to=self.d.data_up_to.isoformat() if self.d.data_up_to else None,
            synthetic=self.d.synthetic,
            sections=sections,
            notes=notes,
        )

    # -- 1. the day -------------------------------------------------------------------------

    def summary(self) -> Section:
        rows = self.d.day_rows
        by_office = _sum(rows, lambda v: v["office"])
        offices = sorted(self.offices, key=lambda o: (-by_office[o.code], o.order))
        by_channel = _sum(rows, lambda v: v["channel"])
        by_type = _sum(rows, lambda v: v["case_type"])
        section = Section(
            "resumen",
            f"N° Atenciones del {long_day(self.day)}: {self.day_total}",
            text=[f"En lo que va del {self.year}... {self.ytd_total} orientaciones"],
        )
        section.tables.append(
            Table(
                "oficinas_dia",
                "Oficinas de Sunass",
                ["Oficina", "N°"],
                [[o.name, by_office[o.code]] for o in offices],
                ["TOTAL", self.day_total],
            )
        )
        section.tables.append(
            Table(
                "canales_dia",
                "Por canal",
                ["Canal", "N°"],
                [[ch.name, by_channel[ch.code]] for ch in self.c.channels.values()],
                ["TOTAL", self.day_total],
            )
        )
        section.tables.append(
            Table(
                "tipos_dia",
                "Por tipo de casos",
                ["Tipo", "N°"],
                [[t.name, by_type[t.code]] for t in self.c.case_types.values()],
                ["TOTAL", self.day_total],
            )
        )
        section.charts.append(
            Chart(
                "tipos_dia_torta",
                f"Tipos de casos atendidos {self.day.day:02d} "
                f"{day_month_year(self.day).split(' de ', 1)[1].replace(' de ', ' ')}",
                "pie",
                [t.name for t in self.c.case_types.values()],
                {"N°": [by_type[t.code] for t in self.c.case_types.values()]},
            )
        )
        return section

    # -- 2. most frequent cases ---------------------------------------------------------------

    def frequent_cases(self) -> Section:
        ytd_types = _sum(self.d.ytd_rows, lambda v: v["case_type"])
        section = Section("casos_frecuentes", f"Casos más frecuentes del {long_day(self.day)}")
        for case_type, top in (("operacional", TOP_OPERATIONAL), ("comercial", None)):
            counts = _sum(
                (r for r in self.d.day_rows if r.values["case_type"] == case_type),
                lambda v: v["case_subtype"],
            )
            total = sum(counts.values())
            order = {s.code: s.order for s in self.c.subtypes_of(case_type)}
            # The catch-all subtype is never a "frequent case": it is folded into "Otros".
            ranked = sorted(
                (code for code, n in counts.items() if n > 0),
                key=lambda code: (code.startswith("otros_"), -counts[code], order.get(code, 999)),
            )
            if top is not None:
                ranked = [code for code in ranked if not code.startswith("otros_")]
            shown = ranked if top is None else ranked[:top]
            rows: list[list[Any]] = [
                [self.c.case_subtypes[code].name, counts[code], percent(counts[code], total)]
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
            section.text.append(
                f"En lo que va de {self.year}... {ytd_types[case_type]} casos {word}"
            )
        return section

    # -- 3. relevant cases (their own issue) ----------------------------------------------------

    def relevant_cases(self) -> Section:
        section = Section("casos_relevantes", "Seguimiento a casos de mayor relevancia")
        if not self.d.cases:
            section.text.append("No se registraron casos de mayor relevancia para este día.")
            return section
        rows = []
        for case in self.d.cases:
            region = (
                self.c.regions[case["region"]].name
                if case["region"] in self.c.regions
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

    # -- 4. office tables ----------------------------------------------------------------------

    def offices_tables(self) -> Section:
        rows = self.d.day_rows
        ytd = _sum(self.d.ytd_rows, lambda v: v["office"])
        by_oc = _sum(rows, lambda v: (v["office"], v["channel"]))
        by_ot = _sum(rows, lambda v: (v["office"], v["case_type"]))
        by_office = _sum(rows, lambda v: v["office"])
        section = Section(
            "oficinas", f"Atención por canal y tipo de casos del {long_day(self.day)}"
        )
        channel_rows = [
            [
                o.name,
                *(by_oc[(o.code, ch.code)] for ch in self.channels_table),
                by_office[o.code],
                ytd[o.code],
            ]
            for o in self.offices
        ]
        section.tables.append(
            Table(
                "oficina_canal_dia",
                "Atención por canal de atención",
                [
                    "OFICINA SUNASS",
                    *(ch.table_name for ch in self.channels_table),
                    "TOTAL",
                    f"En lo que va de {self.year}",
                ],
                channel_rows,
                ["TOTAL", *_column_totals(channel_rows, 1)],
            )
        )
        type_rows = [
            [
                o.name,
                *(by_ot[(o.code, t.code)] for t in self.types_table),
                by_office[o.code],
                ytd[o.code],
            ]
            for o in self.offices
        ]
        section.tables.append(
            Table(
                "oficina_tipo_dia",
                "Atención por tipo de casos",
                [
                    "OFICINA SUNASS",
                    *(t.table_name for t in self.types_table),
                    "TOTAL",
                    f"En lo que va de {self.year}",
                ],
                type_rows,
                ["TOTAL", *_column_totals(type_rows, 1)],
            )
        )
        return section

    # -- 5. providers --------------------------------------------------------------------------

    def providers_tables(self) -> Section:
        c = self.c
        day_eps = [r for r in self.d.day_rows if r.values["provider_scope"] == "eps"]
        ytd_eps = [r for r in self.d.ytd_rows if r.values["provider_scope"] == "eps"]
        day_area = _sum(day_eps, lambda v: (v["provider"], _region_of(v, c), v["case_type"]))
        ytd_area = _sum(ytd_eps, lambda v: (v["provider"], _region_of(v, c)))
        label = day_month_year(self.day)
        type_headers = [t.eps_name for t in self.types_table]
        section = Section("prestadores", "Tipo de casos por prestador")
        eps_rows = []
        for area in c.provider_areas:
            cells = [day_area[(area.code, area.region, t.code)] for t in self.types_table]
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
                    f"En lo que va de {self.year}",
                ],
                eps_rows,
                ["TOTAL", "", "", *_column_totals(eps_rows, 3)],
            )
        )
        sedapal_day = [r for r in day_eps if r.values["provider"] == "sedapal"]
        sedapal_ytd = [r for r in ytd_eps if r.values["provider"] == "sedapal"]
        listed = {d.code for d in c.sedapal_districts()}

        def district_of(v: dict[str, Any]) -> str:
            return v["district"] if v["district"] in listed else "otros"

        d_day = _sum(sedapal_day, lambda v: (district_of(v), v["case_type"]))
        d_ytd = _sum(sedapal_ytd, district_of)
        district_rows = []
        names = [(d.code, d.name) for d in c.sedapal_districts()] + [("otros", "Otros")]
        for number, (code, name) in enumerate(names, start=1):
            cells = [d_day[(code, t.code)] for t in self.types_table]
            district_rows.append([number, name, *cells, sum(cells), d_ytd[code]])
        section.tables.append(
            Table(
                "sedapal_distritos",
                "Tipo de casos en Sedapal (Lima y Callao)",
                ["N°", "DISTRITO", *type_headers, "TOTAL", f"En lo que va de {self.year}"],
                district_rows,
                ["TOTAL", "", *_column_totals(district_rows, 2)],
            )
        )
        day_out = _sum(self.d.day_rows, lambda v: (v["provider_scope"], v["case_type"]))
        ytd_out = _sum(self.d.ytd_rows, lambda v: v["provider_scope"])
        outside_rows = []
        for number, scope in enumerate(OUTSIDE, start=1):
            cells = [day_out[(scope, t.code)] for t in self.types_table]
            outside_rows.append(
                [number, c.provider_scopes[scope].name, *cells, sum(cells), ytd_out[scope]]
            )
        section.tables.append(
            Table(
                "fuera_eps",
                "Tipo de casos fuera del ámbito de EP (zonas rurales, pequeña ciudad y periurbano)",
                ["N°", "PRESTADOR", *type_headers, "Total", f"En lo que va de {self.year}"],
                outside_rows,
                ["TOTAL", "", *_column_totals(outside_rows, 2)],
            )
        )
        return section

    # -- 6. monthly evolution ------------------------------------------------------------------

    def monthly_evolution(self) -> Section:
        rows = self.d.monthly_rows
        previous, current = self.year - 1, self.year
        last_month = self.day.month - 1  # the last complete month
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
                "Lima" if self.c.offices[v["office"]].area == "lima" else "Regiones"
            ),
            "tipos": lambda v: self.c.case_types[v["case_type"]].annual_name,
            "modalidad": lambda v: self.c.channels[v["channel"]].modality.capitalize(),
        }
        titles = {
            "lima_regiones": f"LIMA | REGIONES {previous} - {current}",
            "tipos": f"TIPO DE CASOS {previous}-{current}",
            "modalidad": f"PRESENCIAL | REMOTO {previous} - {current}",
        }
        totals = _sum(rows, lambda v: (v["month"].year, v["month"].month))
        for split_id, key in splits.items():
            counts = _sum(rows, lambda v, key=key: (key(v), v["month"].year, v["month"].month))  # type: ignore[misc]
            groups = sorted({g for g, _, _ in counts})
            table_rows: list[list[Any]] = []
            for group in groups:
                for year in (previous, current):
                    months = range(1, 13) if year == previous else range(1, last_month + 1)
                    values = [
                        counts[(group, year, m)] if m in months else None for m in range(1, 13)
                    ]
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

    # -- 7. annual evolution -------------------------------------------------------------------

    def annual_evolution(self) -> Section:
        rows = self.d.yearly_rows
        years = sorted({r.values["year"] for r in rows})
        section = Section(
            "evolucion_anual",
            f"Evolución anual por tipo de casos y modalidad de atención "
            f"{years[0] if years else ''} - {years[-1] if years else ''}",
        )
        by_type = _sum(rows, lambda v: (v["year"], v["case_type"]))
        by_modality = _sum(rows, lambda v: (v["year"], self.c.channels[v["channel"]].modality))
        types = [
            self.c.case_types[t]
            for t in ("operacional", "comercial", "informacion_general", "expediente_trass")
        ]
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

    # -- 8. the previous year's results --------------------------------------------------------

    def previous_year(self) -> Section:
        year = self.year - 1
        rows = [r for r in self.d.yearly_rows if r.values["year"] == year]
        before = [r for r in self.d.yearly_rows if r.values["year"] == year - 1]
        total = sum(r.attentions for r in rows)
        total_before = sum(r.attentions for r in before)
        section = Section(
            "resultados_anterior", f"Resultados {year}: N° Atenciones {year}: {thousands(total)}"
        )
        by_channel = _sum(rows, lambda v: v["channel"])
        by_type = _sum(rows, lambda v: v["case_type"])
        section.tables.append(
            Table(
                "anio_canales",
                "Por canal",
                ["Canal", "N°"],
                [[ch.name, by_channel[ch.code]] for ch in self.channels_table],
                ["TOTAL", total],
            )
        )
        types = [
            self.c.case_types[t]
            for t in ("operacional", "comercial", "informacion_general", "expediente_trass")
        ]
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
        change = total - total_before
        section.text.append(
            f"En relación con el año anterior, en el {year} las orientaciones a usuarios "
            f"{'crecieron' if change >= 0 else 'disminuyeron'} en {thousands(abs(change))} "
            f"({'+' if change >= 0 else '-'}{abs(percent(change, total_before))}%)"
        )
        by_oc = _sum(rows, lambda v: (v["office"], v["channel"]))
        by_ot = _sum(rows, lambda v: (v["office"], v["case_type"]))
        by_office = _sum(rows, lambda v: v["office"])
        by_office_before = _sum(before, lambda v: v["office"])
        oc_rows = [
            [
                o.name,
                *(by_oc[(o.code, ch.code)] for ch in self.channels_table),
                by_office[o.code],
                by_office_before[o.code],
                percent(by_office[o.code] - by_office_before[o.code], by_office_before[o.code]),
            ]
            for o in self.offices
        ]
        oc_total = [
            "TOTAL",
            *_column_totals([r[:-1] for r in oc_rows], 1),
            percent(total - total_before, total_before),
        ]
        section.tables.append(
            Table(
                "anio_oficina_canal",
                f"Atención en oficinas por canal de atención {year}",
                [
                    "OFICINA SUNASS",
                    *(ch.table_name for ch in self.channels_table),
                    "TOTAL",
                    f"TOTAL {year - 1}",
                    f"CRECIMIENTO {year} (%)",
                ],
                oc_rows,
                oc_total,
            )
        )
        ot_rows = [
            [o.name, *(by_ot[(o.code, t.code)] for t in self.types_table), by_office[o.code]]
            for o in self.offices
        ]
        section.tables.append(
            Table(
                "anio_oficina_tipo",
                f"Atención en oficinas por tipo de casos {year}",
                ["OFICINA SUNASS", *(t.table_name for t in self.types_table), "TOTAL"],
                ot_rows,
                ["TOTAL", *_column_totals(ot_rows, 1)],
            )
        )
        return section


def _column_totals(rows: list[list[Any]], first: int) -> list[int]:
    width = len(rows[0]) if rows else 0
    return [sum(int(r[i] or 0) for r in rows) for i in range(first, width)]


def build_report(data: ReportInput, catalogs: Catalogs) -> DailyReport:
    report = ReportBuilder(data, catalogs).build()
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
