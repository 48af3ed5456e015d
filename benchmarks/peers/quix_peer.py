"""Quix Streams doing the same counts idiomatically, exactly-once: a stateful `apply` keyed by
attention (its RocksDB state with a changelog topic) turns each record into count deltas, and a
`BatchingSink` writes them to ClickHouse at each checkpoint, before the offsets commit.

Runs in its own environment (.venv-peers, benchmarks/peers/requirements.txt) until SIGTERM.
Usage: python -m benchmarks.peers.quix_peer BOOTSTRAP TOPIC TABLE PORT USER PASSWORD STATE_DIR
"""

from __future__ import annotations

import sys
from collections import Counter
from typing import Any

import clickhouse_connect
from quixstreams import Application, State
from quixstreams.sinks import BatchingSink, SinkBatch

from benchmarks.peers.revisions import Key, apply
from benchmarks.peers.sink import insert_deltas


class ClickHouseDeltaSink(BatchingSink):
    def __init__(self, table: str, port: int, user: str, password: str) -> None:
        super().__init__()
        self.table = table
        self.connection = (port, user, password)

    def setup(self) -> None:
        port, user, password = self.connection
        self.client = clickhouse_connect.get_client(
            host="127.0.0.1", port=port, username=user, password=password
        )

    def write(self, batch: SinkBatch) -> None:
        deltas: Counter[Key] = Counter()
        for item in batch:
            day, office, channel, case_type, n = item.value
            deltas[(day, office, channel, case_type)] += n
        insert_deltas(self.client, self.table, deltas)


def to_deltas(event: dict[str, Any], state: State) -> list[list[Any]]:
    stored = state.get("seen")  # [revision, key as a list or None]
    before = (stored[0], tuple(stored[1]) if stored[1] else None) if stored else None
    seen, changes = apply(before, event)
    if seen is not before and seen is not None:  # a later revision: remember it
        state.set("seen", [seen[0], list(seen[1]) if seen[1] else None])
    return [[*key, n] for key, n in changes]


def main() -> int:
    bootstrap, topic_name, table, port, user, password, state_dir = sys.argv[1:8]
    app = Application(
        broker_address=bootstrap,
        consumer_group=f"{table}-group",
        auto_offset_reset="earliest",
        processing_guarantee="exactly-once",
        state_dir=state_dir,
        loglevel="WARNING",
    )
    topic = app.topic(topic_name, value_deserializer="json", key_deserializer="str")
    stream = app.dataframe(topic)
    stream = stream.apply(to_deltas, stateful=True, expand=True)
    stream.sink(ClickHouseDeltaSink(table, int(port), user, password))
    app.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
