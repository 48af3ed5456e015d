"""A scenario of attentions with duplicates, revisions, voids, stale and late records, the counts
it must produce (computed here independently of the pipeline), and ClickHouse read-backs."""

from __future__ import annotations

import random
import time
import zlib
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import clickhouse_connect
from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition
from kafka.partitioner import Partitioner

from clickhouse.migrate import migrate
from foundation.processes import free_port, wait_until
from local_stack.clickhouse import ClickHouseServer
from local_stack.clickhouse.server import pipeline_users
from schemas.catalogs import get_catalogs
from streams.traffic_mix import TrafficMix

WRITER_PASSWORD = "writer-test-pw"
ANALYST_PASSWORD = "analyst-test-pw"
GRAFANA_PASSWORD = "grafana-test-pw"
LIMA = timedelta(hours=-5)
CountKey = tuple[str, ...]


def start_pipeline_clickhouse(state_dir: Path) -> ClickHouseServer:
    server = ClickHouseServer(
        state_dir=state_dir,
        http_port=free_port(),
        tcp_port=free_port(),
        users=pipeline_users(WRITER_PASSWORD, ANALYST_PASSWORD, GRAFANA_PASSWORD),
        max_execution_time_s=5,
    )
    server.start()
    try:
        migrate(server.admin_client())
    except BaseException:
        server.stop()  # a failing migration must not leave a server running
        raise
    return server


def clickhouse_env(server: ClickHouseServer) -> dict[str, str]:
    return {
        "ATENCIONES_CLICKHOUSE_HTTP_PORT": str(server.http_port),
        "ATENCIONES_CLICKHOUSE_TCP_PORT": str(server.tcp_port),
        "ATENCIONES_CLICKHOUSE_USER": "writer",
        "ATENCIONES_CLICKHOUSE_PASSWORD": WRITER_PASSWORD,
    }


def scenario(n: int, seed: int) -> list[dict[str, Any]]:
    """n attentions, then duplicates, revisions (moving office and day), voids, stale, late."""
    rng = random.Random(seed)
    mix = TrafficMix(rng)
    base_day = datetime(2024, 11, 8, tzinfo=UTC) - LIMA  # Lima midnight starting 08/11
    edges = [timedelta(seconds=-1), timedelta(0), timedelta(days=1, seconds=-1), timedelta(days=1)]
    events: list[dict[str, Any]] = []
    for i in range(n):
        if i % 10 == 0:
            stamp = base_day + rng.choice(edges)  # 23:59:59 and 00:00:00 Lima
        elif i % 25 == 1:
            stamp = base_day - timedelta(days=40, hours=-10)  # late: 40 days back
        else:
            stamp = base_day + timedelta(seconds=rng.randrange(0, 2 * 86400))
        events.append(mix.event(stamp.astimezone(UTC), attention_id=f"s{seed}-{i}"))
    stream = list(events)
    stream += [dict(e) for e in rng.sample(events, n // 4)]  # duplicates
    revised = rng.sample(events, n // 5)
    for event in revised:
        other = mix.event(base_day + timedelta(hours=rng.randrange(-30, 40)))
        stream.append({**other, "attention_id": event["attention_id"], "revision": 1})
    for event in revised[: len(revised) // 3]:
        stream.append({**event, "revision": 2, "voided": True})
    for event in revised[len(revised) // 3 : len(revised) // 2]:
        stream.append({**event, "revision": 0, "office": "tumbes"})  # stale
    for event in rng.sample(events, n // 20):
        if event not in revised:
            stream.append({**event, "revision": 5, "voided": True})
    return stream


def expected_final(stream: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per attention the record that counts: the first one with the highest revision."""
    final: dict[str, dict[str, Any]] = {}
    for record in stream:
        current = final.get(record["attention_id"])
        if current is None or record.get("revision", 0) > current.get("revision", 0):
            final[record["attention_id"]] = record
    return {k: v for k, v in final.items() if not v.get("voided")}


def lima_day_of(record: dict[str, Any]) -> date:
    stamp = datetime.fromisoformat(record["occurred_at"])
    return (stamp.astimezone(UTC) + LIMA).date()


def expected_counts(stream: list[dict[str, Any]]) -> Counter[CountKey]:
    catalogs = get_catalogs()
    counts: Counter[CountKey] = Counter()
    for record in expected_final(stream).values():
        provider = record.get("provider", "")
        region = record.get("provider_region") or (
            catalogs.home_region(provider) if provider else ""
        )
        key = (
            lima_day_of(record).isoformat(),
            record["office"],
            record["channel"],
            record["case_type"],
            record.get("case_subtype", ""),
            record["provider_scope"],
            provider,
            region,
            record.get("district", ""),
        )
        counts[key] += 1
    return counts


COUNT_COLUMNS = (
    "toString(day), office, channel, case_type, case_subtype, provider_scope, provider, "
    "provider_region, district"
)


def clickhouse_counts(server: ClickHouseServer) -> Counter[CountKey]:
    client = clickhouse_connect.get_client(
        host="127.0.0.1", port=server.http_port, username="analyst", password=ANALYST_PASSWORD
    )
    rows = client.query(f"SELECT {COUNT_COLUMNS}, attentions FROM atenciones.daily_counts")
    client.close()
    return Counter({tuple(row[:-1]): int(row[-1]) for row in rows.result_rows})


def clickhouse_grouped_rows(server: ClickHouseServer) -> Counter[CountKey]:
    client = clickhouse_connect.get_client(
        host="127.0.0.1", port=server.http_port, username="analyst", password=ANALYST_PASSWORD
    )
    rows = client.query(
        f"SELECT {COUNT_COLUMNS}, count() FROM atenciones.attentions GROUP BY {COUNT_COLUMNS}"
    )
    client.close()
    return Counter({tuple(row[:-1]): int(row[-1]) for row in rows.result_rows})


def wait_for_counts(
    server: ClickHouseServer, expected: Counter[CountKey], timeout: float = 120.0
) -> Counter[CountKey]:
    deadline = time.monotonic() + timeout
    seen: Counter[CountKey] = Counter()
    while time.monotonic() < deadline:
        seen = clickhouse_counts(server)
        if seen == expected and clickhouse_grouped_rows(server) == expected:
            return seen
        time.sleep(1)
    return seen


def crc32_partition(key: bytes, partitions: int) -> int:
    return zlib.crc32(key) % partitions


class Crc32Partitioner(Partitioner):
    """librdkafka's `consistent` partitioner (kcat, confluent-kafka): CRC32 of the key."""

    def partition(  # noqa: PLR0917 - kafka-python's interface
        self, topic: str, key: Any, serialized_key: bytes, value: Any, serialized_value: Any,
        cluster: Any,
    ) -> int:  # fmt: skip
        partitions = sorted(cluster.partitions_for_topic(topic))
        return partitions[crc32_partition(serialized_key, len(partitions))]


def wait_for_group_caught_up(bootstrap: str, group: str, topic: str, timeout: float = 90) -> None:
    """Wait until `group` has committed the end of every partition of `topic` (a replay done)."""
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    consumer = KafkaConsumer(bootstrap_servers=bootstrap)
    try:
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic)]
        ends = consumer.end_offsets(partitions)

        def caught_up() -> bool:
            committed = admin.list_group_offsets({group: list(ends)}).get(group, {})
            return all(
                end == 0 or (tp in committed and committed[tp].offset >= end)
                for tp, end in ends.items()
            )

        wait_until(caught_up, timeout, f"consumer group {group} at the end of {topic}", 0.5)
    finally:
        consumer.close()
        admin.close()
