"""`atenciones report`: read ClickHouse, build the report, write it in the format asked for."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from clickhouse_connect.driver.client import Client

from clickhouse.client import connect
from foundation.settings import Settings
from reports.build import build_report
from reports.model import DailyReport
from reports.render_markdown import render_markdown
from reports.source import read_report_input
from schemas.attention import EARLIEST_OCCURRED_AT
from schemas.catalogs import get_catalogs
from schemas.timestamps import lima_today


class ReportError(RuntimeError):
    """The report cannot be produced; the message says why."""


def read_report(client: Client, day: date) -> DailyReport:
    """The day's report from ClickHouse; ReportError when there is no data up to that day."""
    data = read_report_input(client, day)
    if data.data_up_to is None:
        raise ReportError(f"ClickHouse has no attentions up to {day.isoformat()}")
    return build_report(data, get_catalogs())


def load_report(settings: Settings, day: date) -> DailyReport:
    client = connect(settings)
    try:
        return read_report(client, day)
    finally:
        client.close()


def print_pdf(html: str) -> bytes:
    """The report's HTML printed by Chromium; ReportError when it cannot be."""
    from foundation.chromium import PdfError, html_to_pdf  # noqa: PLC0415

    try:
        return html_to_pdf(html)
    except PdfError as exc:
        raise ReportError(str(exc)) from exc


def render(report: DailyReport, fmt: str) -> bytes:
    if fmt == "json":
        return json.dumps(report.to_dict(), ensure_ascii=False, indent=2).encode()
    if fmt == "md":
        return render_markdown(report).encode()
    from reports.render_html import render_html  # noqa: PLC0415 - matplotlib is slow to import

    html = render_html(report)
    if fmt == "html":
        return html.encode()
    return print_pdf(html)


def check_day(day: date, today: date | None = None) -> None:
    """A report is for a day that has passed or is today (in Lima), not before the contract."""
    today = today or lima_today()
    if day > today:
        raise ReportError(
            f"{day.isoformat()} is in the future (today in Lima is {today.isoformat()})"
        )
    if day < EARLIEST_OCCURRED_AT.date():
        raise ReportError(
            f"{day.isoformat()} is before {EARLIEST_OCCURRED_AT.date().isoformat()}, "
            "the earliest day an attention can have"
        )


def output_path(out: str | None, day: date, fmt: str) -> Path:
    """Where to write; ReportError when it cannot be a file we can write."""
    path = Path(out or f"reporte-diario-{day.isoformat()}.{fmt}")
    if path.is_dir():
        raise ReportError(f"{path} is a directory; give a file name")
    if not path.parent.is_dir():
        raise ReportError(f"the folder {path.parent} does not exist")
    existed = path.exists()
    try:  # find out now, not after reading ClickHouse and rendering
        with path.open("ab"):
            pass
    except OSError as exc:
        raise ReportError(f"cannot write {path}: {exc.strerror or exc}") from None
    if not existed:
        path.unlink()
    return path


def generate(settings: Settings, day: date, fmt: str, out: str | None) -> Path:
    check_day(day)
    path = output_path(out, day, fmt)
    content = render(load_report(settings, day), fmt)
    try:
        path.write_bytes(content)
    except OSError as exc:
        raise ReportError(f"cannot write {path}: {exc.strerror or exc}") from exc
    return path
