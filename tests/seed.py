"""Read the seed report (../shared/seed/) into tables: the specification the system must match."""

from __future__ import annotations

import re

from foundation.settings import REPO_ROOT

SEED_CANDIDATES = [
    REPO_ROOT.parent / "shared" / "seed" / "reporte-diario-2024-11-08.md",
    REPO_ROOT / "demo" / "reporte-diario-2024-11-08.md",
]


def seed_text() -> str:
    for path in SEED_CANDIDATES:
        if path.exists():
            return path.read_text(encoding="utf-8")
    raise FileNotFoundError("seed report not found")


def _clean(cell: str) -> str:
    return re.sub(r"</?b>", "", cell).strip()


def section_rows(heading: str, stop: str | None = None) -> list[list[str]]:
    """Tab-separated rows after the first line containing heading (until stop or next '#')."""
    lines = seed_text().splitlines()
    start = next(i for i, line in enumerate(lines) if heading in line)
    rows = []
    for line in lines[start + 1 :]:
        if line.startswith("#") or (stop and stop in line):
            break
        if "\t" in line:
            rows.append([_clean(c) for c in line.split("\t")])
    return rows
