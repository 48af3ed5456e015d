"""Case write-ups in the Markdown report are plain text: no HTML, link, image or table break."""

from __future__ import annotations

from reports.model import DailyReport, Section, Table
from reports.render_markdown import render_markdown

HOSTILE = (
    "Corte en Talara <script>alert(1)</script> <img src=x onerror=alert(1)> "
    "[aquí](http://evil.example) ![x](http://evil.example/x.png) **urgente** | col"
)


def report_with(summary: str) -> DailyReport:
    table = Table("cases", "Casos", ["ODS", "Resumen"], [["Piura", summary]])
    section = Section("relevant", "Seguimiento de casos", tables=[table])
    return DailyReport("Reporte", "2024-11-08", "2024-11-09T08:00:00-05:00", "2024-11-08", False,
                       [section])  # fmt: skip


def test_markup_in_case_text_is_inert() -> None:
    markdown = render_markdown(report_with(HOSTILE))
    row = next(line for line in markdown.splitlines() if line.startswith("| Piura"))
    for live in ("<script", "<img", "](http", "![", "**urgente**"):
        assert live not in row, (live, row)
    assert "&lt;script&gt;" in row and "\\[aquí\\]" in row
    assert row.count(" | ") == 1  # the text's "|" does not open a third column
    assert "Corte en Talara" in row


def test_ordinary_text_reads_the_same() -> None:
    markdown = render_markdown(report_with("Se atendió a 120 usuarios en Nasca, 08/11/2024."))
    assert "| Piura | Se atendió a 120 usuarios en Nasca, 08/11/2024. |" in markdown
