"""The three boards, as code (grafana-foundation-sdk, Grafana 11.6 flavour).

Each board is a list of panels (kind, title, SQL from grafana/panel_sql.py, size); the SDK lays
them out left to right, top to bottom, on Grafana's 24-column grid.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from grafana_foundation_sdk.builders import bargauge, stat, table, timeseries
from grafana_foundation_sdk.builders.dashboard import (
    Dashboard,
    QueryVariable,
    TextBoxVariable,
)
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models.dashboard import (
    VariableOption,
    VariableRefresh,
    VariableSort,
)

from grafana import panel_sql as sql
from grafana.clickhouse_query import DATASOURCE, ClickHouseSQL

TIMEZONE = "America/Lima"
FOLDER_TITLE = "Atenciones"
FOLDER_UID = "atenciones"


@dataclass(frozen=True)
class PanelSpec:
    kind: str  # stat | table | timeseries | bargauge
    title: str
    sql: str
    width: int
    height: int
    description: str = ""
    time_series: bool = False


@dataclass(frozen=True)
class Board:
    uid: str
    title: str
    description: str
    panels: list[PanelSpec]
    variables: list[str]  # names, built by VARIABLES below
    time_from: str = "now/d"
    time_to: str = "now/d"
    refresh: str = ""
    tags: list[str] = field(default_factory=lambda: ["atenciones", "sunass"])


def _catalog_variable(name: str, label: str, catalog: str) -> QueryVariable:
    return (
        QueryVariable(name)
        .label(label)
        .datasource(DATASOURCE)
        .query(f"SELECT code FROM atenciones.catalog_{catalog} ORDER BY position, code")
        .multi(True)
        .include_all(True)
        .allow_custom_value(False)
        .all_value(sql.ALL)
        .refresh(VariableRefresh.ON_DASHBOARD_LOAD)
        .sort(VariableSort.DISABLED)
        .current(VariableOption(selected=True, text=["All"], value=["$__all"]))
    )


def _year_variable() -> QueryVariable:
    return (
        QueryVariable("anio")
        .label("Año")
        .datasource(DATASOURCE)
        .query("SELECT DISTINCT toString(toYear(day)) FROM atenciones.daily_counts ORDER BY 1 DESC")
        .refresh(VariableRefresh.ON_DASHBOARD_LOAD)
        .sort(VariableSort.DISABLED)
    )


def _day_variable() -> TextBoxVariable:
    return (
        TextBoxVariable("dia")
        .label("Día (AAAA-MM-DD, vacío = hoy)")
        .description("Revisar un día pasado como si fuera hoy; vacío = hoy en Lima.")
        .default_value("")
    )


VARIABLES: dict[str, Any] = {
    "dia": _day_variable,
    "oficina": lambda: _catalog_variable("oficina", "Oficina", "offices"),
    "canal": lambda: _catalog_variable("canal", "Canal", "channels"),
    "eps": lambda: _catalog_variable("eps", "EPS", "providers"),
    "anio": _year_variable,
}
# What each variable holds when a board is opened (used by the tests and the preview).
ALL_VALUES = {"oficina": sql.ALL, "canal": sql.ALL, "eps": sql.ALL}

LIVE = Board(
    uid="atenciones-hoy",
    title="Atenciones — hoy vs año",
    description="El día en curso (o el día elegido) frente al año, actualizado cada 10 s.",
    refresh="10s",
    variables=["dia", "oficina", "canal", "eps"],
    panels=[
        PanelSpec(
            "table",
            "Alertas activas",
            sql.ALERTS,
            24,
            6,
            description=(
                "Incidentes detectados en vivo: muchas atenciones de falta de agua, presión, "
                "calidad, alcantarillado o roturas en un distrito. Las del día y las que siguen "
                "abiertas; Pico = atenciones en la ventana más improbable, Esperado = lo habitual "
                "en esa ventana."
            ),
        ),
        PanelSpec("stat", "Atenciones del día", sql.DAY_TOTAL, 6, 5),
        PanelSpec("stat", "Mismo día del año anterior", sql.SAME_DAY_LAST_YEAR, 6, 5),
        PanelSpec("stat", "En lo que va del año", sql.YEAR_OVER_YEAR, 12, 5),
        PanelSpec("table", "Por canal: hoy y en lo que va del año", sql.BY_CHANNEL, 8, 9),
        PanelSpec("table", "Por tipo de caso: hoy y en lo que va del año", sql.BY_CASE_TYPE, 8, 9),
        PanelSpec(
            "bargauge",
            "Última hora por canal (ventana móvil de 5 min)",
            sql.LAST_HOUR_BY_CHANNEL,
            8,
            9,
            description="Siempre la última hora real, aunque se revise un día pasado.",
        ),
        PanelSpec("table", "Por oficina: hoy y en lo que va del año", sql.BY_OFFICE, 12, 12),
        PanelSpec("table", "Casos operacionales más frecuentes hoy", sql.TOP_OPERATIONAL, 6, 12),
        PanelSpec("table", "Casos comerciales más frecuentes hoy", sql.TOP_COMMERCIAL, 6, 12),
        PanelSpec(
            "table", "EPS: hoy por tipo de caso y en lo que va del año", sql.EPS_TABLE, 24, 14
        ),
        PanelSpec("table", "Sedapal por distrito (Lima y Callao)", sql.SEDAPAL_DISTRICTS, 12, 14),
        PanelSpec(
            "timeseries",
            "Atenciones por canal (rango del tablero)",
            sql.ATTENTIONS_OVER_TIME,
            12,
            14,
            time_series=True,
        ),
        PanelSpec(
            "table",
            "Fuera del ámbito de EPS (rural, pequeña ciudad, otro urbano)",
            sql.OUTSIDE_EPS,
            12,
            8,
        ),
        PanelSpec(
            "table",
            "Calidad de datos del día: rechazados, duplicados, correcciones",
            sql.DATA_QUALITY,
            12,
            8,
        ),
    ],
)

EVOLUTION = Board(
    uid="atenciones-evolucion",
    title="Evolución",
    description="Evolución mensual frente al año anterior y resultados anuales.",
    time_from="now-2y/y",
    time_to="now",
    variables=["anio"],
    panels=[
        PanelSpec("table", "Mensual: Lima | Regiones", sql.MONTHLY_LIMA_REGIONS, 8, 14),
        PanelSpec("table", "Mensual: tipo de casos", sql.MONTHLY_CASE_TYPES, 8, 14),
        PanelSpec("table", "Mensual: presencial | remoto", sql.MONTHLY_MODALITY, 8, 14),
        PanelSpec(
            "timeseries",
            "Atenciones por mes, Lima y regiones (rango del tablero)",
            sql.MONTHLY_OVER_RANGE,
            24,
            9,
            time_series=True,
        ),
        PanelSpec("table", "Anual por tipo de casos", sql.ANNUAL_CASE_TYPES, 12, 9),
        PanelSpec("table", "Anual por modalidad de atención", sql.ANNUAL_MODALITY, 12, 9),
    ],
)

CASES = Board(
    uid="atenciones-casos",
    title="Casos de mayor relevancia",
    description=(
        "Casos abiertos con su última acción, los actualizados en el día y los finalizados."
    ),
    time_from="now-30d",
    time_to="now",
    refresh="1m",
    variables=["dia", "oficina"],
    panels=[
        PanelSpec("stat", "Casos abiertos", sql.OPEN_CASES_COUNT, 4, 6),
        PanelSpec("table", "Casos actualizados en el día", sql.CASES_OF_THE_DAY, 20, 10),
        PanelSpec("table", "Casos abiertos y su última acción", sql.OPEN_CASES, 24, 10),
        PanelSpec(
            "table", "Finalizados recientemente (rango del tablero)", sql.FINALIZED_CASES, 24, 8
        ),
    ],
)

BOARDS = [LIVE, EVOLUTION, CASES]


def _panel(spec: PanelSpec) -> Any:
    query = ClickHouseSQL(spec.sql)
    if spec.time_series:
        query = query.time_series()
    builders: dict[str, Any] = {
        "stat": stat.Panel,
        "table": table.Panel,
        "timeseries": timeseries.Panel,
        "bargauge": bargauge.Panel,
    }
    panel = (
        builders[spec.kind]()
        .title(spec.title)
        .datasource(DATASOURCE)
        .with_target(query)
        .span(spec.width)
        .height(spec.height)
    )
    if spec.description:
        panel = panel.description(spec.description)
    return panel


def build_board(board: Board) -> dict[str, Any]:
    builder = (
        Dashboard(board.title)
        .uid(board.uid)
        .description(board.description)
        .tags(board.tags)
        .timezone(TIMEZONE)
        .time(board.time_from, board.time_to)
        .readonly()  # changed here, in code, not in the UI
    )
    if board.refresh:
        builder = builder.refresh(board.refresh)
    for name in board.variables:
        builder = builder.with_variable(VARIABLES[name]())
    for spec in board.panels:
        builder = builder.with_panel(_panel(spec))
    encoded: dict[str, Any] = json.loads(JSONEncoder().encode(builder.build()))
    return encoded


def board_json(board: Board) -> str:
    """The committed file's text: stable key order, two-space indent, final newline."""
    return (
        JSONEncoder(sort_keys=True, indent=2, ensure_ascii=False).encode(build_board(board)) + "\n"
    )
