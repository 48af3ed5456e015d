"""The report archive: versions side by side, an index that lists them, whole files only."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from reports import archive


def store(root: Path, day: date, version: int, total: int, kind: str = "diario") -> None:
    html = f"<html>{day} v{version}</html>"
    archive.store(root, day, kind, version, total, "2026-11-30T08:00:00-05:00", html, b"%PDF")


def test_versions_are_kept_side_by_side_and_listed(tmp_path: Path) -> None:
    store(tmp_path, date(2026, 11, 28), 1, 450)
    store(tmp_path, date(2026, 11, 29), 1, 462)
    store(tmp_path, date(2026, 11, 28), 2, 452)
    store(tmp_path, date(2026, 11, 30), 1, 120, kind="corte")
    month = tmp_path / "2026" / "11"
    assert sorted(p.name for p in month.iterdir()) == [
        "2026-11-28-diario-v2.html", "2026-11-28-diario-v2.json", "2026-11-28-diario-v2.pdf",
        "2026-11-28-diario.html", "2026-11-28-diario.json", "2026-11-28-diario.pdf",
        "2026-11-29-diario.html", "2026-11-29-diario.json", "2026-11-29-diario.pdf",
        "2026-11-30-corte.html", "2026-11-30-corte.json", "2026-11-30-corte.pdf",
    ]  # fmt: skip
    listed = [(c.day, c.kind, c.version, c.total) for c in archive.archived(tmp_path)]
    assert listed == [
        ("2026-11-30", "corte", 1, 120),
        ("2026-11-29", "diario", 1, 462),
        ("2026-11-28", "diario", 2, 452),
        ("2026-11-28", "diario", 1, 450),
    ]
    index = (tmp_path / "index.html").read_text()
    assert "4 reportes" in index
    assert index.index("30 de noviembre de 2026") < index.index("29 de noviembre de 2026")
    assert 'href="2026/11/2026-11-28-diario-v2.pdf"' in index
    assert "Reporte al corte" in index


def test_the_same_version_is_replaced_not_doubled(tmp_path: Path) -> None:
    store(tmp_path, date(2026, 11, 29), 1, 462)
    store(tmp_path, date(2026, 11, 29), 1, 463)
    [card] = archive.archived(tmp_path)
    assert card.total == 463
    assert not list(tmp_path.rglob(".*.partial"))


def test_rebuild_counts_and_a_broken_card_is_named(tmp_path: Path) -> None:
    store(tmp_path, date(2026, 11, 29), 1, 462)
    (tmp_path / "index.html").unlink()
    assert archive.rebuild_index(tmp_path) == 1
    assert (tmp_path / "index.html").exists()
    broken = tmp_path / "2026" / "11" / "2026-11-27-diario.json"
    broken.write_text(json.dumps({"day": "2026-11-27"}))
    with pytest.raises(archive.ArchiveError, match=r"2026-11-27-diario\.json"):
        archive.rebuild_index(tmp_path)
