"""The report builder from a small hand-made input, in-process: each cut of the day, the year to
date, the providers' tables, the monthly evolution and the annual results, figure by figure.
(The demo fixture, tests/integration/test_report.py, checks agreement with the seed.)"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from clickhouse.queries import CLASSIFICATION, Row
from reports.build import ReportInconsistency, build_report
from reports.context import ReportInput
from reports.model import DailyReport, Table
from schemas.catalogs import get_catalogs

DAY = date(2024, 11, 8)
PERIOD = ("office", "case_type", "provider_scope", "provider", "provider_region", "district")
# (office, channel, case_type, case_subtype, provider_scope, provider, provider_region, district)
DAY_CUBE = [
    (("piura", "telefonico", "operacional", "falta_agua_zona", "eps", "eps_grau", "piura", ""), 3),
    (
        (
            "lima_callao",
            "presencial",
            "comercial",
            "consumo_elevado",
            "eps",
            "sedapal",
            "lima",
            "150110",
        ),
        2,
    ),
    (("lima_callao", "whatsapp", "informacion_general", "", "rural", "", "", ""), 1),
]
EARLIER_THIS_YEAR = [(("piura", "operacional", "eps", "eps_grau", "piura", ""), 10)]


def period_values(values: tuple[str, ...]) -> tuple[str, ...]:
    named = dict(zip(CLASSIFICATION, values, strict=True))
    return tuple(named[name] for name in PERIOD)


def report_input(day_cube: list[tuple[tuple[str, ...], int]] = DAY_CUBE) -> ReportInput:
    ytd = [(period_values(v), n) for v, n in day_cube] + EARLIER_THIS_YEAR
    month = {"office": "piura", "channel": "telefonico", "case_type": "operacional"}
    return ReportInput(
        day=DAY,
        day_rows=[Row(dict(zip(CLASSIFICATION, v, strict=True)), n) for v, n in day_cube],
        ytd_rows=[Row(dict(zip(PERIOD, v, strict=True)), n) for v, n in ytd],
        monthly_rows=[
            Row({"month": date(2024, 10, 1), **month}, 7),
            Row(
                {
                    "month": date(2023, 10, 1),
                    "office": "lima_callao",
                    "channel": "presencial",
                    "case_type": "comercial",
                },
                4,
            ),
        ],
        yearly_rows=[
            Row({"year": 2023, **month}, 50),
            Row({"year": 2022, **month}, 40),
        ],
        generated_at="2024-11-09T08:00:00-05:00",
        data_up_to=DAY,
        synthetic=False,
    )


@pytest.fixture(scope="module")
def report() -> DailyReport:
    return build_report(report_input(), get_catalogs())


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


def test_most_frequent_subtypes_with_their_share(report: DailyReport) -> None:
    operational = table(report, "casos_frecuentes", "operacionales_dia")
    assert operational.rows[0] == ["Falta de agua en la zona", 3, 100]
    assert operational.total == ["TOTAL", 3, 100]
    assert table(report, "casos_frecuentes", "comerciales_dia").rows == [
        ["Consumo elevado", 2, 100]
    ]


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
    assert by_area["Lima 2024"] == [0] * 10 + [None, None]  # November on: not complete yet
    annual = table(report, "evolucion_anual", "anual_tipos")
    assert annual.columns[1:5] == [
        "Operacional", "Comercial", "Información general", "Expediente TRASS",
    ]  # fmt: skip
    assert annual.rows == [[2022, 40, 0, 0, 0, 40], [2023, 50, 0, 0, 0, 50]]
    growth = {r[0]: r[-3:] for r in table(report, "resultados_anterior", "anio_oficina_canal").rows}
    assert growth["Piura"] == [50, 40, 25]  # 2023, 2022, growth in %


def test_a_day_without_attentions_is_all_zeros_and_still_adds_up() -> None:
    empty = build_report(report_input([]), get_catalogs())
    assert table(empty, "resumen", "oficinas_dia").total == ["TOTAL", 0]
    assert table(empty, "resumen", "tipos_dia").total == ["TOTAL", 0]


def test_a_cut_that_does_not_add_up_is_refused() -> None:
    data = report_input()
    data.day_rows[0] = Row({**data.day_rows[0].values, "channel": "no_such_channel"}, 3)
    with pytest.raises(ReportInconsistency, match="canales_dia"):
        build_report(data, get_catalogs())
