"""Keeps the catalog tables in ClickHouse (catalog_<name>) equal to schemas/catalogs/*.csv."""

from __future__ import annotations

from pathlib import Path

from clickhouse_connect.driver.client import Client

from schemas.catalogs import CATALOG_DIR, read_catalog_file

# The CSV column `order` is a keyword in SQL; its column is `position`.
_RENAMED = {"order": "position"}
_NUMERIC = {"position", "table_order", "annual_order"}


def catalog_rows(path: Path) -> tuple[list[str], list[list[object]]]:
    header, records = read_catalog_file(path)
    columns = [_RENAMED.get(name, name) for name in header]
    named = list(zip(header, columns, strict=True))
    rows = [
        [_cell(record[name], numeric=column in _NUMERIC) for name, column in named]
        for record in records
    ]
    return columns, rows


def _cell(text: str, numeric: bool) -> object:
    if not numeric:
        return text
    return int(text) if text else None


def sync_catalogs(client: Client, database: str = "atenciones") -> list[str]:
    """Reload each catalog table whose content differs from its CSV; return the reloaded ones."""
    reloaded = []
    for path in sorted(CATALOG_DIR.glob("*.csv")):
        table = f"{database}.catalog_{path.stem}"
        columns, rows = catalog_rows(path)
        current = client.query(
            f"SELECT {', '.join(columns)} FROM {table} ORDER BY {', '.join(columns)}"
        ).result_rows
        if sorted(map(tuple, rows)) == sorted(map(tuple, current)):
            continue
        client.command(f"TRUNCATE TABLE {table}")
        client.insert(table, rows, column_names=columns)
        reloaded.append(path.stem)
    return reloaded
