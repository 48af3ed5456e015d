"""The figure catalog: the report and the boards run one statement per figure. In-process, on an
embedded ClickHouse: the report's binding gives what a board shows with every filter at "All" on
the same day, the boards' filters filter, and every figure the report shows is on a board."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

import pytest

from clickhouse import figures
from grafana.boards import BOARDS
from grafana.macros import TimeRange, Variables, render
from grafana.panel_sql import BOARD
from grafana.preview import opening_variables, time_range
from reports.source import REPORT_FIGURES
from tests.fixtures.alerts import COLUMNS, alert_row
from tests.fixtures.classifications import COMAS_BILLING, GRAU_WATER
from tests.fixtures.in_process_clickhouse import InProcessClickHouse

DAY = date(2024, 11, 8)


@pytest.fixture(scope="module")
def database(in_process_clickhouse: InProcessClickHouse) -> Iterator[InProcessClickHouse]:
    in_process_clickhouse.clear_counts()
    for day, classification, attentions in (
        (DAY, GRAU_WATER, 3),
        (DAY, COMAS_BILLING, 2),
        (date(2024, 2, 1), GRAU_WATER, 5),
        (date(2023, 11, 8), COMAS_BILLING, 4),
        (date(2023, 2, 1), GRAU_WATER, 6),
    ):
        in_process_clickhouse.count_attentions(day, classification, attentions)
    in_process_clickhouse.command("TRUNCATE TABLE atenciones.alerts")
    rows = [
        alert_row("eps_grau", "200701", DAY, 13, "open", {"falta_agua_zona": 7, "baja_presion": 2}),
        alert_row("sedapal", "ods:lima_callao", DAY, 9, "closed", {"problemas_alcantarillado": 5}),
        alert_row("rural", "010199", DAY - timedelta(days=1), 22, "open", {"falta_agua_zona": 4}),
        alert_row("sedapal", "150110", DAY - timedelta(days=1), 10, "closed", {"calidad_agua": 6}),
    ]
    in_process_clickhouse.insert("atenciones.alerts", rows, COLUMNS)
    yield in_process_clickhouse
    in_process_clickhouse.clear_counts()
    in_process_clickhouse.command("TRUNCATE TABLE atenciones.alerts")


def board_rows(
    database: InProcessClickHouse, figure: figures.Figure, variables: Variables, year: int
) -> list[dict[str, object]]:
    values = {**variables.values, "anio": str(year)}
    sql = render(figure.sql(BOARD), Variables(values, variables.all_values), _RANGE)
    result = database.query(sql)
    return [dict(zip(result.column_names, row, strict=True)) for row in result.result_rows]


_RANGE: TimeRange = time_range(BOARDS[0].uid, DAY)


@pytest.mark.parametrize("figure", list(figures.FIGURES.values()), ids=lambda f: f.name)
def test_the_report_sees_what_a_board_shows_with_every_filter_at_all(
    database: InProcessClickHouse, figure: figures.Figure
) -> None:
    for year in (DAY.year, DAY.year - 1):
        reported = figure.rows(database.as_client(), DAY, year)
        assert reported == board_rows(database, figure, opening_variables(DAY), year)
    assert figure.rows(database.as_client(), DAY) != [] or figure is figures.CASES_OF_THE_DAY


def test_the_figures_hold_the_hand_made_counts(database: InProcessClickHouse) -> None:
    client = database.as_client()
    assert figures.DAY_TOTAL.rows(client, DAY) == [{"Atenciones del día": 5}]
    assert figures.YEAR_OVER_YEAR.rows(client, DAY) == [
        {"En lo que va del año": 10, "Mismo periodo del año anterior": 10, "Variación %": 0}
    ]
    same_day = figures.SAME_DAY_LAST_YEAR.rows(client, DAY)
    assert same_day == [{"Mismo día del año anterior": 4, "Variación %": 25}]
    offices = {
        r["Oficina"]: (r["Hoy"], r["En lo que va del año"])
        for r in figures.BY_OFFICE.rows(client, DAY)
    }
    assert offices["Piura"] == (3, 8) and offices["Lima Metropolitana y Callao"] == (2, 2)
    assert list(offices)[:2] == ["Piura", "Lima Metropolitana y Callao"]  # most today first
    annual = figures.ANNUAL_CASE_TYPES.rows(client, DAY, 2023)
    assert [(r["Año"], r["Operacional"], r["Comercial"], r["TOTAL"]) for r in annual] == [
        (2023, 6, 4, 10)
    ]


def test_the_alerts_of_the_day_and_those_still_open_are_named_in_lima_time(
    database: InProcessClickHouse,
) -> None:
    rows = figures.ALERTS.rows(database.as_client(), DAY)
    shown = [(r["Estado"], r["Prestador"], r["Lugar"], r["Desde"], r["Cierre"]) for r in rows]
    assert shown == [
        ("ABIERTA", "ZONAS RURALES", "Amazonas / ubigeo 010199", "07/11 17:00", ""),
        ("ABIERTA", "EPS GRAU S.A.", "Piura / Talara / Pariñas", "08/11 08:00", ""),
        ("CERRADA", "SEDAPAL", "ODS Lima Metropolitana y Callao", "08/11 04:00", "06:00"),
    ]
    assert rows[1]["Casos"] == "Falta de agua en la zona (7), Baja presión del agua (2)"
    assert (rows[1]["Alerta"], rows[1]["Pico"], rows[1]["Esperado"]) == ("08:30", 9, 0.25)


def test_the_boards_filters_filter(database: InProcessClickHouse) -> None:
    opening = opening_variables(DAY)
    piura = Variables({**opening.values, "oficina": ["piura"]}, opening.all_values)
    offices = board_rows(database, figures.BY_OFFICE, piura, DAY.year)
    assert {r["Oficina"]: r["Hoy"] for r in offices if r["Hoy"]} == {"Piura": 3}
    sedapal = Variables({**opening.values, "eps": ["sedapal"]}, opening.all_values)
    eps = board_rows(database, figures.EPS_BY_CASE_TYPE, sedapal, DAY.year)
    assert [(r["Prestador"], r["Hoy"]) for r in eps] == [("SEDAPAL", 2)]


def test_every_figure_is_on_a_board_and_the_report_shows_catalog_figures_only() -> None:
    panel_sql = {panel.sql.strip() for board in BOARDS for panel in board.panels}
    missing = [f.name for f in figures.FIGURES.values() if f.sql(BOARD).strip() not in panel_sql]
    assert missing == []
    assert all(figures.FIGURES[f.name] is f for f in REPORT_FIGURES)
