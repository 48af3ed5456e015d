"""The report builder from a small hand-made input, in-process: hand-made counts in an embedded
ClickHouse (the real migrations), read through the figure catalog and the report's cubes, each
cut of the day, the year to date, the providers' tables, the monthly evolution and the annual
results checked figure by figure. (The demo fixture, tests/integration/test_report.py, checks
agreement with the seed.)"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from typing import Any

import pytest

from clickhouse import figures
from clickhouse.queries import Row
from reports.build import ReportInconsistency, build_report
from reports.context import ReportInput
from reports.model import DailyReport, Table
from reports.source import read_report_input
from schemas.catalogs import get_catalogs
from tests.fixtures.alerts import COLUMNS, alert_row
from tests.fixtures.classifications import COMAS_BILLING, GRAU_WATER, RURAL_INFO
from tests.fixtures.in_process_clickhouse import InProcessClickHouse

DAY = date(2024, 11, 8)
COUNTS = [
    (DAY, GRAU_WATER, 3),
    (DAY, COMAS_BILLING, 2),
    (DAY, RURAL_INFO, 1),
    (date(2024, 10, 15), GRAU_WATER, 7),  # earlier this year: Piura 10 before the day
    (date(2024, 3, 1), GRAU_WATER, 3),
    (date(2023, 10, 20), COMAS_BILLING, 4),
    (date(2023, 6, 1), GRAU_WATER, 50),
    (date(2022, 6, 1), GRAU_WATER, 40),
]


def read_input(database: InProcessClickHouse, counts: list[Any]) -> ReportInput:
    database.clear_counts()
    for day, classification, attentions in counts:
        database.count_attentions(day, classification, attentions)
    return read_report_input(database.as_client(), DAY)


@pytest.fixture(scope="module")
def report_input(in_process_clickhouse: InProcessClickHouse) -> Iterator[ReportInput]:
    yield read_input(in_process_clickhouse, COUNTS)
    in_process_clickhouse.clear_counts()


@pytest.fixture(scope="module")
def report(report_input: ReportInput) -> DailyReport:
    return build_report(report_input, get_catalogs())


def table(report: DailyReport, section: str, table_id: str) -> Table:
    return report.section(section).table(table_id)


def nonzero(rows: list[list[Any]]) -> list[list[Any]]:
    return [r for r in rows if any(isinstance(c, int) and c for c in r[1:])]


def test_every_cut_of_the_day(report: DailyReport) -> None:
    assert nonzero(table(report, "resumen", "oficinas_dia").rows) == [
        ["Lima Metropolitana y Callao", 3], ["Piura", 3],
    ]  # fmt: skip
    assert table(report, "resumen", "oficinas_dia").total == ["TOTAL", 6]
    assert nonzero(table(report, "resumen", "canales_dia").rows) == [
        ["Presencial", 2], ["Telefónico", 3], ["WhatsApp", 1],
    ]  # fmt: skip
    assert table(report, "resumen", "tipos_dia").rows == [
        ["Comercial", 2], ["Operacional", 3], ["Otros", 1], ["Expedientes TRASS", 0],
    ]  # fmt: skip
    assert report.section("resumen").text == ["En lo que va del 2024... 16 orientaciones"]


def test_most_frequent_subtypes_with_their_share(report: DailyReport) -> None:
    operational = table(report, "casos_frecuentes", "operacionales_dia")
    assert operational.rows == [["Falta de agua en la zona", 3, 100], ["Otros", 0, 0]]
    assert operational.total == ["TOTAL", 3, 100]
    assert table(report, "casos_frecuentes", "comerciales_dia").rows == [
        ["Consumo elevado", 2, 100]
    ]


def test_only_five_operational_subtypes_are_named_the_catch_all_never(
    in_process_clickhouse: InProcessClickHouse,
) -> None:
    subtypes = [s for s in get_catalogs().subtypes_of("operacional")]
    counts = [(DAY, {**GRAU_WATER, "case_subtype": s.code}, 10 + i) for i, s in enumerate(subtypes)]
    data = read_input(in_process_clickhouse, counts)
    rows = build_report(data, get_catalogs()).section("casos_frecuentes").table("operacionales_dia")
    in_process_clickhouse.clear_counts()
    named = {s.code: 10 + i for i, s in enumerate(subtypes) if not s.code.startswith("otros_")}
    top = sorted(named.values(), reverse=True)[:5]
    assert [r[1] for r in rows.rows] == [*top, sum(10 + i for i in range(len(subtypes))) - sum(top)]
    assert rows.rows[-1][0] == "Otros"
    assert sum(r[2] for r in rows.rows) in range(99, 102)  # whole percents, halves up


def test_offices_by_case_type_with_the_year_to_date(report: DailyReport) -> None:
    by_type = table(report, "oficinas", "oficina_tipo_dia")
    assert by_type.columns[1:5] == ["Operacional", "Comercial", "TRASS", "INFO. GRAL."]
    rows = {r[0]: r[1:] for r in by_type.rows}
    assert rows["Piura"] == [3, 0, 0, 0, 3, 13]  # 3 today, 10 earlier this year
    assert rows["Lima Metropolitana y Callao"] == [0, 2, 0, 1, 3, 3]


def test_providers_sedapal_districts_and_outside_the_eps(report: DailyReport) -> None:
    eps = {r[1]: r[3:] for r in table(report, "prestadores", "eps").rows}
    assert eps["SEDAPAL"] == [0, 2, 0, 0, 2, 2]
    assert eps["EPS GRAU S.A."] == [3, 0, 0, 0, 3, 13]
    assert table(report, "prestadores", "eps").rows[0][0] == 1  # the catalog's number
    districts = {r[1]: r[2:] for r in table(report, "prestadores", "sedapal_distritos").rows}
    assert districts["Comas"] == [0, 2, 0, 0, 2, 2]
    assert districts["San Martín De Porres"] == [0, 0, 0, 0, 0, 0]
    outside = table(report, "prestadores", "fuera_eps").rows
    assert [r[1] for r in outside] == ["ZONAS RURALES", "PEQUEÑAS CIUDADES", "OTRO ÁMBITO URBANO"]
    assert outside[0][2:] == [0, 0, 0, 1, 1, 1]


def test_monthly_evolution_and_annual_results(report: DailyReport) -> None:
    by_area = {
        r[0]: r[1:] for r in table(report, "evolucion_mensual", "mensual_lima_regiones").rows
    }
    assert by_area["Lima 2023"][9] == 4 and by_area["Regiones 2024"][9] == 7  # October
    assert by_area["Regiones 2024"][2] == 3  # March
    assert by_area["Lima 2024"] == [0] * 10 + [None, None]  # November on: not complete yet
    annual = table(report, "evolucion_anual", "anual_tipos")
    assert annual.columns[1:5] == [
        "Operacional", "Comercial", "Información general", "Expediente TRASS",
    ]  # fmt: skip
    assert annual.rows == [[2022, 40, 0, 0, 0, 40], [2023, 50, 4, 0, 0, 54]]
    modality = table(report, "evolucion_anual", "anual_modalidad")
    assert modality.columns == ["Año", "Presencial", "Remoto", "TOTAL"]
    assert modality.rows == [[2022, 0, 40, 40], [2023, 4, 50, 54]]
    growth = {r[0]: r[-3:] for r in table(report, "resultados_anterior", "anio_oficina_canal").rows}
    assert growth["Piura"] == [50, 40, 25]  # 2023, 2022, growth in %


def test_a_day_without_attentions_is_all_zeros_and_still_adds_up(
    in_process_clickhouse: InProcessClickHouse,
) -> None:
    empty = build_report(read_input(in_process_clickhouse, []), get_catalogs())
    assert table(empty, "resumen", "oficinas_dia").total == ["TOTAL", 0]
    assert table(empty, "resumen", "tipos_dia").total == ["TOTAL", 0]
    assert table(empty, "casos_frecuentes", "operacionales_dia").rows == [["Otros", 0, 0]]


def test_a_figure_that_does_not_add_up_is_refused(report_input: ReportInput) -> None:
    by_channel = [dict(r) for r in report_input.figures[figures.BY_CHANNEL.name]]
    by_channel[0]["Hoy"] += 1
    data = replace(report_input, figures={**report_input.figures, "by_channel": by_channel})
    with pytest.raises(ReportInconsistency, match="canales_dia"):
        build_report(data, get_catalogs())


def test_the_cube_and_the_figures_must_agree(report_input: ReportInput) -> None:
    day_rows = list(report_input.day_rows)
    day_rows[0] = Row(day_rows[0].values, day_rows[0].attentions + 1)
    with pytest.raises(ReportInconsistency, match="oficina_canal_dia"):
        build_report(replace(report_input, day_rows=day_rows), get_catalogs())


def test_the_days_alerts_are_listed_with_their_peak_and_a_quiet_day_says_so(
    in_process_clickhouse: InProcessClickHouse, report: DailyReport
) -> None:
    quiet = report.section("alertas")
    assert (quiet.tables, quiet.text) == ([], ["No se detectaron alertas de incidentes en el día."])
    talara = alert_row("eps_grau", "200701", DAY, 13, "open", {"falta_agua_zona": 6})
    in_process_clickhouse.insert("atenciones.alerts", [talara], COLUMNS)
    try:
        with_alert = build_report(read_input(in_process_clickhouse, COUNTS), get_catalogs())
    finally:
        in_process_clickhouse.command("TRUNCATE TABLE atenciones.alerts")
    section = with_alert.section("alertas")
    assert section.text[0].startswith("Alertas de incidentes detectadas en vivo: 1, de ellas 1 ")
    assert table(with_alert, "alertas", "alertas_dia").rows == [
        ["ABIERTA", "EPS GRAU S.A.", "Piura / Talara / Pariñas", "08/11 08:00", "08:30", "",
         "6 en 60 min (lo habitual: 0,25)", "Falta de agua en la zona (6)"],
    ]  # fmt: skip
