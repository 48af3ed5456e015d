"""Every panel and variable query of the committed boards, expanded as Grafana and the ClickHouse
plugin expand them, runs as the read-only `grafana` user on a real ClickHouse holding the demo
history counted by the real pipeline; for 2024-11-08 each figure equals the daily report's."""

from __future__ import annotations

import html
import json
from datetime import date
from pathlib import Path
from typing import Any

import clickhouse_connect
import pytest
from clickhouse_connect.driver.client import Client
from matplotlib import image

from grafana.boards import ALL_VALUES, BOARDS
from grafana.generate import DASHBOARDS_DIR
from grafana.macros import Variables, render
from grafana.preview import opening_variables, time_range, write_previews
from reports.build import build_report
from reports.model import DailyReport
from reports.source import read_report_input
from schemas.catalogs import get_catalogs
from tests.fixtures.demo_data import DAY, DemoPipeline
from tests.fixtures.pipeline import GRAFANA_PASSWORD

# one xdist worker runs every test of the demo fixture (built once, ~50 s)
pytestmark = [pytest.mark.timeout(900), pytest.mark.xdist_group("demo")]
# The boards as they open on the demo day: their default time ranges ending that day.
RANGES = {board.uid: time_range(board.uid, DAY) for board in BOARDS}
OPENING = opening_variables(DAY)


def boards() -> dict[str, dict[str, Any]]:
    return {
        path.stem: json.loads(path.read_text("utf-8"))
        for path in sorted(DASHBOARDS_DIR.glob("*.json"))
    }


def panels() -> list[tuple[str, str, str]]:
    return [
        (uid, panel["title"], target["rawSql"])
        for uid, board in boards().items()
        for panel in board["panels"]
        for target in panel["targets"]
    ]


@pytest.fixture(scope="module")
def grafana_client(demo_pipeline: DemoPipeline) -> Client:
    return clickhouse_connect.get_client(
        host="127.0.0.1",
        port=demo_pipeline.http_port,
        username="grafana",
        password=GRAFANA_PASSWORD,
    )


@pytest.fixture(scope="module")
def report(demo_pipeline: DemoPipeline) -> DailyReport:
    writer = clickhouse_connect.get_client(
        host="127.0.0.1", port=demo_pipeline.http_port, username="writer",
        password=demo_pipeline.env["ATENCIONES_CLICKHOUSE_PASSWORD"],
    )  # fmt: skip
    return build_report(read_report_input(writer, DAY), get_catalogs())


def run_panel(
    client: Client, uid: str, title: str, variables: Variables = OPENING
) -> list[dict[str, Any]]:
    sql = next(s for u, t, s in panels() if u == uid and t == title)
    result = client.query(render(sql, variables, RANGES[uid]))
    return [dict(zip(result.column_names, row, strict=True)) for row in result.result_rows]


def by(rows: list[dict[str, Any]], key: str, value: str) -> dict[Any, Any]:
    return {row[key]: row[value] for row in rows}


@pytest.mark.parametrize(
    ("uid", "title", "sql"), panels(), ids=[f"{u}:{t}" for u, t, _ in panels()]
)
def test_every_panel_runs_and_returns_rows(
    grafana_client: Client, uid: str, title: str, sql: str
) -> None:
    rendered = render(sql, OPENING, RANGES[uid])
    assert "$" not in rendered.replace("'$", ""), rendered
    rows = grafana_client.query(rendered).result_rows
    assert rows, f"{title}: no rows"
    numbers = [v for row in rows for v in row if isinstance(v, int | float)]
    assert not numbers or any(numbers), f"{title}: only zeros"


def test_every_variable_query_runs(grafana_client: Client) -> None:
    for board in boards().values():
        for variable in board["templating"]["list"]:
            if variable["type"] == "query":
                values = [r[0] for r in grafana_client.query(variable["query"]).result_rows]
                assert values, variable["name"]
    offices = grafana_client.query(
        next(
            v["query"]
            for v in boards()["atenciones-hoy"]["templating"]["list"]
            if v["name"] == "oficina"
        )
    ).result_rows
    assert {r[0] for r in offices} == set(get_catalogs().offices)


def test_live_board_equals_the_report(grafana_client: Client, report: DailyReport) -> None:
    summary = report.section("resumen")
    offices = summary.table("oficinas_dia")
    day_total = offices.total[1]  # type: ignore[index]
    ytd = report.section("oficinas").table("oficina_canal_dia").total[-1]  # type: ignore[index]
    uid = "atenciones-hoy"
    assert (
        run_panel(grafana_client, uid, "Atenciones del día")[0]["Atenciones del día"] == day_total
    )
    year = run_panel(grafana_client, uid, "En lo que va del año")[0]
    assert year["En lo que va del año"] == ytd
    channel_rows = run_panel(grafana_client, uid, "Por canal: hoy y en lo que va del año")
    assert by(channel_rows, "Canal", "Hoy") == by_label(summary.table("canales_dia").rows)
    assert sum(r["En lo que va del año"] for r in channel_rows) == ytd
    office_rows = run_panel(grafana_client, uid, "Por oficina: hoy y en lo que va del año")
    assert by(office_rows, "Oficina", "Hoy") == by_label(offices.rows)
    office_table = report.section("oficinas").table("oficina_canal_dia")
    assert by(office_rows, "Oficina", "En lo que va del año") == by_label(office_table.rows, -1)
    type_rows = run_panel(grafana_client, uid, "Por tipo de caso: hoy y en lo que va del año")
    assert by(type_rows, "Tipo de caso", "Hoy") == by_label(summary.table("tipos_dia").rows)


def by_label(rows: list[list[Any]], column: int = 1) -> dict[str, Any]:
    return {row[0]: row[column] for row in rows}


def test_frequent_cases_equal_the_report(grafana_client: Client, report: DailyReport) -> None:
    section = report.section("casos_frecuentes")
    for title, table_id in (
        ("Casos operacionales más frecuentes hoy", "operacionales_dia"),
        ("Casos comerciales más frecuentes hoy", "comerciales_dia"),
    ):
        rows = {
            r["Subtipo"]: (r["N°"], r["%"])
            for r in run_panel(grafana_client, "atenciones-hoy", title)
        }
        reported = section.table(table_id)
        shown = [row for row in reported.rows if row[0] != "Otros"]
        assert shown
        for name, count, share in shown:
            assert rows[name] == (count, share), name
        assert sum(n for n, _ in rows.values()) == reported.total[1]  # type: ignore[index]


TYPE_HEADERS = {
    "OPERACIONAL": "Operacional", "COMERCIAL": "Comercial", "INF. GRAL.": "Inf. general",
    "EXP. TRASS": "Exp. TRASS",
}  # fmt: skip


def table_cells(columns: list[str], row: list[Any]) -> dict[str, Any]:
    cells = dict(zip(columns, row, strict=True))
    out = {TYPE_HEADERS[k]: v for k, v in cells.items() if k in TYPE_HEADERS}
    out["Hoy"] = next(v for k, v in cells.items() if k.upper() == "TOTAL")
    out["En lo que va del año"] = row[-1]
    return out


def panel_cells(row: dict[str, Any]) -> dict[str, Any]:
    keys = [*TYPE_HEADERS.values(), "Hoy", "En lo que va del año"]
    return {key: row[key] for key in keys}


def test_provider_tables_equal_the_report(grafana_client: Client, report: DailyReport) -> None:
    section = report.section("prestadores")
    uid = "atenciones-hoy"
    eps = section.table("eps")
    panel = {
        (r["Prestador"], r["Región"]): panel_cells(r)
        for r in run_panel(grafana_client, uid, "EPS: hoy por tipo de caso y en lo que va del año")
    }
    assert len(panel) == len(eps.rows)
    for row in eps.rows:
        assert panel[(row[1], row[2])] == table_cells(eps.columns, row), row[1]
    districts = section.table("sedapal_distritos")
    panel = {
        r["Distrito"]: panel_cells(r)
        for r in run_panel(grafana_client, uid, "Sedapal por distrito (Lima y Callao)")
    }
    assert list(panel) == [row[1] for row in districts.rows]
    for row in districts.rows:
        assert panel[row[1]] == table_cells(districts.columns, row), row[1]
    outside = section.table("fuera_eps")
    title = "Fuera del ámbito de EPS (rural, pequeña ciudad, otro urbano)"
    panel = {r["Ámbito"]: panel_cells(r) for r in run_panel(grafana_client, uid, title)}
    for row in outside.rows:
        assert panel[row[1]] == table_cells(outside.columns, row), row[1]


def test_evolution_board_equals_the_report(grafana_client: Client, report: DailyReport) -> None:
    uid = "atenciones-evolucion"
    monthly = report.section("evolucion_mensual")
    for title, table_id in (
        ("Mensual: Lima | Regiones", "mensual_lima_regiones"),
        ("Mensual: tipo de casos", "mensual_tipos"),
        ("Mensual: presencial | remoto", "mensual_modalidad"),
    ):
        rows = run_panel(grafana_client, uid, title)
        panel = {(r["Grupo"], r["N° mes"]): (r["Año anterior"], r["Año"]) for r in rows}
        checked = 0
        for label, *months in monthly.table(table_id).rows:
            group, year = label.rsplit(" ", 1)
            for month, value in enumerate(months, start=1):
                if value is None:
                    continue
                column = 1 if int(year) == 2024 else 0
                assert panel[(group, month)][column] == value, (title, label, month)
                checked += 1
        assert checked >= 20, title
    annual = report.section("evolucion_anual")
    types = {r["Año"]: r for r in run_panel(grafana_client, uid, "Anual por tipo de casos")}
    table = annual.table("anual_tipos")
    for year, *values in table.rows:
        assert [types[year][c] for c in table.columns[1:]] == values, year
    modality = {
        r["Año"]: r for r in run_panel(grafana_client, uid, "Anual por modalidad de atención")
    }
    table = annual.table("anual_modalidad")
    for year, *values in table.rows:
        assert [modality[year][c] for c in table.columns[1:]] == values, year


def test_active_alerts_panel_equals_the_report(grafana_client: Client, report: DailyReport) -> None:
    rows = run_panel(grafana_client, "atenciones-hoy", "Alertas activas")
    reported = report.section("alertas").table("alertas_dia").rows
    assert [[r["Estado"], r["Prestador"], r["Lugar"], r["Desde"]] for r in rows] == [
        row[:4] for row in reported
    ]
    assert [r["Lugar"] for r in rows] == ["Piura / Talara / Pariñas"]


def test_cases_board_equals_the_report(grafana_client: Client, report: DailyReport) -> None:
    uid = "atenciones-casos"
    reported = report.section("casos_relevantes").table("casos_relevantes").rows
    rows = run_panel(grafana_client, uid, "Casos actualizados en el día")
    assert [
        [
            f"{r['Región / Provincia / Distrito']}\n{r['Resumen']}\n({r['Fuente']})",
            r["Acción adoptada"],
            r["Estado"],
        ]
        for r in rows
    ] == reported
    pending = sum(1 for row in reported if row[2] == "PENDIENTE")
    assert run_panel(grafana_client, uid, "Casos abiertos")[0]["Casos abiertos"] == pending
    assert len(run_panel(grafana_client, uid, "Casos abiertos y su última acción")) == pending
    finalized = run_panel(grafana_client, uid, "Finalizados recientemente (rango del tablero)")
    assert len(finalized) == len(reported) - pending


def test_live_extras_last_hour_quality_and_time_series(
    grafana_client: Client, demo_pipeline: DemoPipeline, report: DailyReport
) -> None:
    uid = "atenciones-hoy"
    last_hour = run_panel(grafana_client, uid, "Última hora por canal (ventana móvil de 5 min)")
    assert sum(r["Última hora"] for r in last_hour) == demo_pipeline.live_events
    quality = run_panel(
        grafana_client, uid, "Calidad de datos del día: rechazados, duplicados, correcciones"
    )
    rejected = {r["Detalle"]: r["Eventos"] for r in quality if r["Tipo"].startswith("Rechazados")}
    assert rejected == demo_pipeline.invalid
    outcomes = {r["Detalle"]: r["Eventos"] for r in quality if r["Tipo"] == "Revisiones"}
    assert outcomes == {
        "Duplicados (ignorados)": demo_pipeline.duplicates,
        "Correcciones": demo_pipeline.corrections,
    }
    series = run_panel(grafana_client, uid, "Atenciones por canal (rango del tablero)")
    day_total = report.section("resumen").table("oficinas_dia").total[1]  # type: ignore[index]
    assert sum(r["attentions"] for r in series) == day_total
    assert all(r["time"].minute == 0 for r in series)  # one bucket per hour ($__timeInterval)
    same_day = run_panel(grafana_client, uid, "Mismo día del año anterior")[0]
    direct = grafana_client.query(
        "SELECT sum(attentions) FROM atenciones.daily_counts WHERE day = {d:Date}",
        parameters={"d": date(2023, 11, 8)},
    ).result_rows[0][0]
    assert same_day["Mismo día del año anterior"] == direct


def test_variables_filter_and_stay_inert_under_injection(
    grafana_client: Client, report: DailyReport
) -> None:
    uid, title = "atenciones-hoy", "Atenciones del día"
    lima_name = get_catalogs().offices["lima_callao"].name
    only_lima = Variables({**OPENING.values, "oficina": ["lima_callao"]}, ALL_VALUES)
    lima = run_panel(grafana_client, uid, title, only_lima)[0]["Atenciones del día"]
    assert lima == by_label(report.section("resumen").table("oficinas_dia").rows)[lima_name]
    hostile = Variables(
        {
            **OPENING.values,
            "oficina": ["x') OR ('1'='1"],
            "dia": "2024-11-08' OR 1=1 --",
        },
        ALL_VALUES,
    )
    rows = run_panel(grafana_client, uid, title, hostile)
    assert rows == [{"Atenciones del día": 0}]


def test_preview_pages_show_every_panel(
    demo_pipeline: DemoPipeline, report: DailyReport, tmp_path: Path
) -> None:
    writer = clickhouse_connect.get_client(
        host="127.0.0.1", port=demo_pipeline.http_port, username="grafana",
        password=GRAFANA_PASSWORD,
    )  # fmt: skip
    written = write_previews(writer, DAY, tmp_path, png=True)
    assert sorted(p.name for p in written) == sorted(
        f"{b.uid}.{ext}" for b in BOARDS for ext in ("html", "png")
    )
    live = (tmp_path / "atenciones-hoy.html").read_text("utf-8")
    assert "VISTA PREVIA — no es Grafana" in live
    for board in boards().values():
        page = (tmp_path / f"{board['uid']}.html").read_text("utf-8")
        for panel in board["panels"]:
            assert html.escape(panel["title"], quote=False) in page
    day_total = report.section("resumen").table("oficinas_dia").total[1]  # type: ignore[index]
    assert f'<div class="value">{day_total}</div>' in live
    picture = image.imread(tmp_path / "atenciones-hoy.png")
    assert picture.shape[1] == 1600 and picture.shape[0] > 1500
    assert picture[..., :3].std() > 0.05  # not a blank page
