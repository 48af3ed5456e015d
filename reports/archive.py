"""The report archive: each delivered report kept as HTML, PDF and a JSON card, by year and
month (`AAAA/MM/AAAA-MM-DD-diario[-vN].*`), and an index page listing them."""

from __future__ import annotations

import html
import json
import os
import uuid
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path

from reports.spanish import day_month_year, thousands

INDEX = "index.html"
KIND_NAMES = {"diario": "Reporte diario", "corte": "Reporte al corte"}


@dataclass(frozen=True)
class ArchivedReport:
    day: str  # ISO date
    kind: str
    version: int
    total: int  # attentions of the day in this version
    generated_at: str  # RFC 3339, Lima
    html: str  # paths relative to the archive's root
    pdf: str


def stem(day: date, kind: str, version: int) -> str:
    suffix = "" if version <= 1 else f"-v{version}"
    return f"{day:%Y/%m}/{day.isoformat()}-{kind}{suffix}"


def store(  # noqa: PLR0917 - the report's parts
    root: Path,
    day: date,
    kind: str,
    version: int,
    total: int,
    generated_at: str,
    html_text: str,
    pdf: bytes,
) -> ArchivedReport:
    """Write one version of a report (replacing the same version) and rebuild the index."""
    name = stem(day, kind, version)
    card = ArchivedReport(
        day.isoformat(), kind, version, total, generated_at, f"{name}.html", f"{name}.pdf"
    )
    _write(root / card.html, html_text.encode())
    _write(root / card.pdf, pdf)
    _write(root / f"{name}.json", json.dumps(asdict(card), ensure_ascii=False).encode())
    rebuild_index(root)
    return card


def _write(path: Path, content: bytes) -> None:
    """Whole or not at all: a reader never sees half a file. The partial file is the writer's
    own: two attempts archiving the same report at once must not write into one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{uuid.uuid4().hex}.partial")
    partial.write_bytes(content)
    os.replace(partial, path)


def archived(root: Path) -> list[ArchivedReport]:
    """Every report of the archive, newest day first (then kind, newest version first)."""
    cards = []
    for path in root.glob("[0-9][0-9][0-9][0-9]/[0-9][0-9]/*.json"):
        try:
            cards.append(ArchivedReport(**json.loads(path.read_text(encoding="utf-8"))))
        except (OSError, ValueError, TypeError) as exc:
            raise ArchiveError(f"{path}: not a report card ({exc})") from exc
    return sorted(cards, key=lambda c: (c.day, c.kind, c.version), reverse=True)


class ArchiveError(RuntimeError):
    """The archive has a file it cannot read; the message names it."""


def rebuild_index(root: Path) -> int:
    """Write index.html from the report cards; the number of reports it lists."""
    cards = archived(root)
    rows = "\n".join(_row(card) for card in cards)
    page = f"""<!doctype html>
<html lang="es"><head><meta charset="utf-8">
<title>Archivo de reportes diarios — Sunass, Dirección de Usuarios</title>
<style>
body {{ font-family: sans-serif; margin: 2em; color: #1b2a3a; }}
table {{ border-collapse: collapse; }}
th, td {{ border: 1px solid #c5d0db; padding: .3em .8em; }}
th {{ background: #0b5394; color: white; }} td.n {{ text-align: right; }}
</style></head><body>
<h1>Archivo de reportes diarios</h1>
<p>{len(cards)} reportes. Una corrección posterior de un día se guarda como nueva versión.</p>
<table><thead><tr><th>Día</th><th>Reporte</th><th>Versión</th><th>Atenciones</th>
<th>Generado</th><th>Archivos</th></tr></thead>
<tbody>
{rows}
</tbody></table></body></html>
"""
    _write(root / INDEX, page.encode())
    return len(cards)


def _row(card: ArchivedReport) -> str:
    e = html.escape
    day = day_month_year(date.fromisoformat(card.day))
    kind = KIND_NAMES.get(card.kind, card.kind)
    return (
        f'<tr><td>{e(day)}</td><td>{e(kind)}</td><td class="n">{card.version}</td>'
        f'<td class="n">{thousands(card.total)}</td><td>{e(card.generated_at)}</td>'
        f'<td><a href="{e(card.html)}">HTML</a> · <a href="{e(card.pdf)}">PDF</a></td></tr>'
    )
