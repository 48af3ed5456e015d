"""The report as Markdown (for e-mail and chat)."""

from __future__ import annotations

import html
import re
from typing import Any

from reports.model import DailyReport, Table

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]()!#|~])")


def inert(text: str) -> str:
    """Text from the data (case write-ups) as plain text in Markdown: HTML escaped, Markdown's
    markup characters backslash-escaped (no link, image, emphasis or table break)."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", html.escape(text, quote=False))


def _cell(value: Any) -> str:
    return "" if value is None else inert(str(value)).replace("\n", "<br>")


def _table(table: Table) -> list[str]:
    lines = [f"**{table.title}**", ""]
    lines.append("| " + " | ".join(table.columns) + " |")
    lines.append("|" + "|".join("---" for _ in table.columns) + "|")
    for row in table.rows:
        lines.append("| " + " | ".join(_cell(v) for v in row) + " |")
    if table.total is not None:
        lines.append(
            "| " + " | ".join(f"**{_cell(v)}**" if _cell(v) else "" for v in table.total) + " |"
        )
    return [*lines, ""]


def render_markdown(report: DailyReport) -> str:
    lines = ["**Dirección de Usuarios**", "", f"# {report.title}", ""]
    lines += [f"> {note}" for note in report.notes]
    for section in report.sections:
        lines += [f"## {section.title}", ""]
        for table in section.tables:
            lines += _table(table)
        for text in section.text:
            lines += [text, ""]
    lines.append(
        f"_Generado el {report.generated_at} desde ClickHouse (atenciones.daily_counts); "
        f"datos hasta el {report.data_up_to or 'sin datos'}._"
    )
    return "\n".join(lines) + "\n"
