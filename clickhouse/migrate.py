"""Applies the numbered SQL migrations (clickhouse/migrations/NNNN_name.sql) once each, in order,
then brings the catalog tables up to date with the CSVs."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from clickhouse_connect.driver.client import Client

from clickhouse.catalog_tables import sync_catalogs

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    path: Path

    def statements(self) -> list[str]:
        text = "\n".join(
            line for line in self.path.read_text(encoding="utf-8").splitlines()
            if not line.lstrip().startswith("--")
        )  # fmt: skip
        return [s.strip() for s in text.split(";") if s.strip()]


def discover(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    migrations = []
    for path in sorted(directory.glob("*.sql")):
        match = _NAME.match(path.name)
        if match is None:
            raise ValueError(f"migration file {path.name} is not named NNNN_name.sql")
        migrations.append(Migration(int(match[1]), match[2], path))
    versions = [m.version for m in migrations]
    if len(set(versions)) != len(versions):
        raise ValueError("two migrations share a number")
    return migrations


def applied_versions(client: Client, database: str) -> set[int]:
    client.command(f"CREATE DATABASE IF NOT EXISTS {database}")
    client.command(
        f"CREATE TABLE IF NOT EXISTS {database}.schema_migrations "
        "(version UInt32, name String, applied_at DateTime64(3, 'UTC') DEFAULT now64(3)) "
        "ENGINE = MergeTree ORDER BY version"
    )
    rows = client.query(f"SELECT version FROM {database}.schema_migrations").result_rows
    return {int(row[0]) for row in rows}


def migrate(client: Client, database: str = "atenciones") -> list[Migration]:
    """Apply the migrations not applied yet; return them. Running it twice changes nothing."""
    done = applied_versions(client, database)
    applied = []
    for migration in discover():
        if migration.version in done:
            continue
        for statement in migration.statements():
            client.command(statement)
        client.insert(
            f"{database}.schema_migrations",
            [[migration.version, migration.name]],
            column_names=["version", "name"],
        )
        applied.append(migration)
    sync_catalogs(client, database)
    return applied
