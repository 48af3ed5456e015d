"""The report as one self-contained HTML page (inline SVG charts, printable)."""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from reports.charts import chart_svg
from reports.model import DailyReport

TEMPLATES = Path(__file__).with_name("templates")
_environment = Environment(
    loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html", "j2"])
)


def render_html(report: DailyReport) -> str:
    svgs = {chart.id: chart_svg(chart) for section in report.sections for chart in section.charts}
    return _environment.get_template("report.html.j2").render(report=report, svgs=svgs)
