"""The floor: aiokafka `getmany` + orjson + a dict of revisions + one columnar insert per batch,
offsets committed after the insert (at-least-once: a crash between the two counts a batch twice).

Runs until SIGTERM. Usage: python -m benchmarks.peers.plain_peer BOOTSTRAP TOPIC TABLE PORT
USER PASSWORD
"""

from __future__ import annotations

import asyncio
import signal
import sys
from collections import Counter

import clickhouse_connect
import orjson
from aiokafka import AIOKafkaConsumer

from benchmarks.peers.revisions import Key, Seen, apply
from benchmarks.peers.sink import insert_deltas


async def run(
    bootstrap: str, topic: str, table: str, *, port: int, user: str, password: str
) -> None:
    client = clickhouse_connect.get_client(
        host="127.0.0.1", port=port, username=user, password=password
    )
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=f"{table}-group",
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_partition_fetch_bytes=4 * 2**20,
    )
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    seen: dict[bytes, Seen] = {}
    await consumer.start()
    try:
        while not stop.is_set():
            fetched = await consumer.getmany(timeout_ms=200, max_records=20000)
            deltas: Counter[Key] = Counter()
            for records in fetched.values():
                for record in records:
                    attention = record.key or b""
                    state, changes = apply(seen.get(attention), orjson.loads(record.value or b""))
                    if state is not None:
                        seen[attention] = state
                    for key, n in changes:
                        deltas[key] += n
            if fetched:
                await asyncio.to_thread(insert_deltas, client, table, deltas)
                await consumer.commit()
    finally:
        await consumer.stop()
        client.close()


def main() -> int:
    bootstrap, topic, table, port, user, password = sys.argv[1:7]
    asyncio.run(run(bootstrap, topic, table, port=int(port), user=user, password=password))
    return 0


if __name__ == "__main__":
    sys.exit(main())
