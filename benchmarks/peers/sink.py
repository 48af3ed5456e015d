"""Where the peers write their counts: one SummingMergeTree of count deltas per peer, in the
`peers` database (stdlib + clickhouse-connect: the Quix peer imports it from its environment)."""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any

from clickhouse_connect.driver.client import Client

from benchmarks.peers.revisions import Key

DATABASE = "peers"
COLUMNS = ["day", "office", "channel", "case_type", "n"]


def table_ddl(table: str) -> str:
    return (
        f"CREATE TABLE IF NOT EXISTS {DATABASE}.{table} (day Date, office LowCardinality(String), "
        "channel LowCardinality(String), case_type LowCardinality(String), n Int64) "
        "ENGINE = SummingMergeTree ORDER BY (day, office, channel, case_type)"
    )


def insert_deltas(client: Client, table: str, deltas: Counter[Key]) -> None:
    """One columnar insert of a batch's deltas (already summed per key)."""
    changed = [(key, n) for key, n in deltas.items() if n]
    if not changed:
        return
    columns: list[list[Any]] = [
        [date.fromisoformat(key[0]) for key, _ in changed],
        [key[1] for key, _ in changed],
        [key[2] for key, _ in changed],
        [key[3] for key, _ in changed],
        [n for _, n in changed],
    ]
    client.insert(f"{DATABASE}.{table}", columns, column_names=COLUMNS, column_oriented=True)
