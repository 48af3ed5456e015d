"""A static preview of each board: the committed panels' SQL, expanded as Grafana and the plugin
expand it, run on ClickHouse, laid out on the board's grid. It is not Grafana (no Grafana runs on
the development machines); the page says so. Used for the pictures in the README."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from clickhouse_connect.driver.client import Client
from jinja2 import Environment, FileSystemLoader, select_autoescape

from grafana.boards import ALL_VALUES, BOARDS
from grafana.generate import board_path
from grafana.macros import ALL, TimeRange, Variables, render
from schemas.timestamps import LIMA

ROW_PX = 30  # Grafana's grid: 24 columns, rows of 30 px
MAX_ROWS = 14
COLORS = ("#5794f2", "#73bf69", "#f2cc0c", "#ff9830", "#f2495c", "#b877d9", "#8ab8ff", "#96d98d")
_TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).with_name("templates")),
    autoescape=select_autoescape(["html", "j2"]),
)


@dataclass
class PanelResult:
    title: str
    kind: str
    grid: dict[str, int]
    columns: list[str]
    rows: list[Any]
    svg: str = ""


def time_range(uid: str, day: date) -> TimeRange:
    """The board's default range, with `day` as "now" (end of that Lima day)."""
    end = datetime.combine(day, time(23, 59, 59), tzinfo=LIMA)
    starts = {
        "atenciones-hoy": datetime.combine(day, time(), tzinfo=LIMA),
        "atenciones-evolucion": datetime(day.year - 2, 1, 1, tzinfo=LIMA),
        "atenciones-casos": end - timedelta(days=30),
    }
    interval = {"atenciones-hoy": 3600, "atenciones-evolucion": 86400}.get(uid, 3600)
    return TimeRange(starts[uid], end, interval)


def opening_variables(day: date) -> Variables:
    return Variables(
        {"dia": day.isoformat(), "anio": str(day.year), **dict.fromkeys(ALL_VALUES, ALL)},
        ALL_VALUES,
    )


def _series_svg(columns: list[str], rows: list[Any]) -> str:
    """A plain line chart (time, series, value) as inline SVG."""
    width, height, pad = 900, 220, 30
    series: dict[str, list[tuple[float, float]]] = {}
    for moment, name, value in rows:
        series.setdefault(str(name), []).append((moment.timestamp(), float(value)))
    xs = [x for points in series.values() for x, _ in points]
    top = max((y for points in series.values() for _, y in points), default=1) or 1
    low, high = min(xs, default=0), max(xs, default=1)
    span = (high - low) or 1
    lines, legend = [], []
    for index, (name, points) in enumerate(sorted(series.items())):
        color = COLORS[index % len(COLORS)]
        path = " ".join(
            f"{pad + (x - low) / span * (width - 2 * pad):.1f},"
            f"{height - pad - y / top * (height - 2 * pad):.1f}"
            for x, y in sorted(points)
        )
        lines.append(f'<polyline fill="none" stroke="{color}" stroke-width="2" points="{path}"/>')
        legend.append(
            f'<text x="{pad + index * 150}" y="14" fill="{color}" font-size="12">{name}</text>'
        )
    return (
        f'<svg viewBox="0 0 {width} {height}" width="100%" height="88%" '
        'preserveAspectRatio="none">'
        f'<text x="{pad}" y="{height - 8}" fill="#8e8e8e" font-size="11">máx. {top:,.0f}</text>'
        + "".join(legend + lines)
        + "</svg>"
    )


def run_board(client: Client, uid: str, day: date) -> tuple[dict[str, Any], list[PanelResult]]:
    board = json.loads(board_path(next(b for b in BOARDS if b.uid == uid)).read_text("utf-8"))
    variables, span = opening_variables(day), time_range(uid, day)
    results = []
    for panel in board["panels"]:
        result = client.query(render(panel["targets"][0]["rawSql"], variables, span))
        columns, rows = list(result.column_names), list(result.result_rows)
        item = PanelResult(panel["title"], panel["type"], panel["gridPos"], columns, rows)
        if panel["type"] == "timeseries":
            item.svg = _series_svg(columns, rows)
        results.append(item)
    return board, results


_LABEL_COLUMNS = {"Año", "N° mes", "N°"}


def _cell(value: Any, column: str = "") -> str:
    if isinstance(value, int) and column not in _LABEL_COLUMNS:
        return f"{value:,}".replace(",", " ")
    if value is None:
        return "–"
    return str(value)


def preview_html(board: dict[str, Any], panels: list[PanelResult], day: date) -> str:
    height = max(p.grid["y"] + p.grid["h"] for p in panels) * ROW_PX
    return _TEMPLATES.get_template("preview.html.j2").render(
        board=board, panels=panels, day=day, row_px=ROW_PX, height=height, cell=_cell,
        max_rows=MAX_ROWS,
    )  # fmt: skip


def page_height(panels: list[PanelResult]) -> int:
    return max(p.grid["y"] + p.grid["h"] for p in panels) * ROW_PX + 90


def write_previews(client: Client, day: date, out: Path, png: bool = True) -> list[Path]:
    """<uid>.html (and .png, screenshotted by headless Chromium) for every board."""
    from foundation.chromium import html_to_png  # noqa: PLC0415 - Chromium only when pictures are asked

    out.mkdir(parents=True, exist_ok=True)
    written = []
    for board_spec in BOARDS:
        board, panels = run_board(client, board_spec.uid, day)
        html = preview_html(board, panels, day)
        page = out / f"{board_spec.uid}.html"
        page.write_text(html, encoding="utf-8")
        written.append(page)
        if png:
            picture = out / f"{board_spec.uid}.png"
            picture.write_bytes(html_to_png(html, 1600, page_height(panels)))
            written.append(picture)
    return written
