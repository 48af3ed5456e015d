"""make bench-peers: the worker next to the systems a user could pick instead, on the same
records — Quix Streams exactly-once, a plain Python consumer (the floor) and ClickHouse's Kafka
engine with a materialized view — each draining its own fresh topic from a backlog on one broker
and one ClickHouse server, checked per key against the generator's truth.

Columns: records/s from the system's start and between its first and last count; records per
CPU-second of the system's own process; CPU-seconds the broker and ClickHouse spent meanwhile
(on a small box their work for a system comes out of its share).

Settings: BENCH_PEERS_RECORDS (200000), BENCH_PEERS_REPS (1; the order of the systems rotates
each repetition), BENCH_PEERS_SYSTEMS (worker,quix,plain,clickhouse_kafka), BENCH_PEERS_POLL_S
(0.5: how often each system's count is read; the worker's, through the daily_counts view (FINAL
and a GROUP BY over every key), cost ClickHouse ~9 CPU-seconds of a 28 s drain when read every
0.1 s, taken from the worker's share of two cores).
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import clickhouse_connect
import psutil
from aiokafka import AIOKafkaProducer
from clickhouse_connect.driver.client import Client
from clickhouse_connect.driver.exceptions import DatabaseError

from benchmarks.peers.dataset import Dataset, build
from benchmarks.peers.measure import Run, drain, format_row, median_run
from benchmarks.peers.revisions import Key
from benchmarks.peers.sink import DATABASE, table_ddl
from benchmarks.stack import bench_servers, prepare_pipeline, worker_environment
from foundation.processes import BackgroundProcess, free_port
from foundation.settings import REPO_ROOT, Settings
from local_stack.clickhouse import ClickHouseServer
from local_stack.clickhouse.server import ServerUser
from local_stack.kafka import KafkaServer
from streams.topics import TopicSpec, ensure_topics

RECORDS = int(os.environ.get("BENCH_PEERS_RECORDS", "200000"))
REPS = int(os.environ.get("BENCH_PEERS_REPS", "1"))
SYSTEMS = os.environ.get("BENCH_PEERS_SYSTEMS", "worker,quix,plain,clickhouse_kafka").split(",")
PEERS_PYTHON = REPO_ROOT / ".venv-peers" / "bin" / "python"
PEERS_USER = ServerUser(
    "peers",
    "bench-peers",
    ("GRANT ALL ON peers.*", "GRANT TABLE ENGINE ON *", "GRANT KAFKA ON *.*"),
    read_only=False,
)
PARTITIONS = 6


@dataclass
class Stack:
    root: Path
    kafka: KafkaServer
    clickhouse: ClickHouseServer

    def servers_cpu_s(self) -> float:
        """CPU-seconds the broker and ClickHouse (their processes and children) have used so
        far: on a box of two cores, what a system makes them do is taken from its own share."""
        total = 0.0
        for pid in (self.kafka.process.running_pid(), self.clickhouse.process.running_pid()):
            if pid is None:
                continue
            server = psutil.Process(pid)
            for process in [server, *server.children(recursive=True)]:
                times = process.cpu_times()
                total += times.user + times.system
        return total

    def peers_client(self) -> Client:
        return clickhouse_connect.get_client(
            host="127.0.0.1",
            port=self.clickhouse.http_port,
            username=PEERS_USER.name,
            password=PEERS_USER.password,
        )


def publish(bootstrap: str, topic: str, records: list[tuple[bytes, bytes]]) -> None:
    async def send_all() -> None:
        producer = AIOKafkaProducer(
            bootstrap_servers=bootstrap, linger_ms=20, max_batch_size=512 * 1024, acks="all"
        )
        await producer.start()
        try:
            pending = [await producer.send(topic, value, key=key) for key, value in records]
            await producer.flush()
            await asyncio.gather(*pending)
        finally:
            await producer.stop()

    asyncio.run(send_all())


def counts(client: Client, query: str) -> Counter[Key]:
    found: Counter[Key] = Counter()
    for day, office, channel, case_type, n in client.query(query).result_rows:
        if n:
            found[(day.isoformat(), office, channel, case_type)] = int(n)
    return found


def count_queries(table: str, column: str) -> tuple[str, str]:
    """The total and the per-key counts of a system's count table."""
    total = f"SELECT sum({column}) FROM {table}"
    per_key = f"SELECT day, office, channel, case_type, sum({column}) FROM {table} "
    return total, per_key + "GROUP BY day, office, channel, case_type"


def total_of(client: Client, query: str) -> int:
    return int(client.query(query).result_rows[0][0] or 0)


def peer_topic(stack: Stack, client: Client, dataset: Dataset, system: str) -> str:
    """A fresh topic holding the records, and the system's empty count table."""
    topic = f"peers-{system}"
    ensure_topics(stack.kafka.bootstrap, [TopicSpec(topic, PARTITIONS, {})])
    publish(stack.kafka.bootstrap, topic, dataset.records)
    client.command(table_ddl(system))
    return topic


def run_worker(stack: Stack, dataset: Dataset, settings: Settings) -> Run:
    publish(stack.kafka.bootstrap, settings.attentions_topic, dataset.records)
    admin = stack.clickhouse.admin_client()
    worker = BackgroundProcess("worker", stack.root / "worker.pid", stack.root / "worker.log")
    env = worker_environment(stack.kafka, stack.clickhouse, stack.root, free_port())

    def start() -> int | None:
        argv = [sys.executable, "-m", "atenciones.cli", "worker", "--loglevel", "warn"]
        worker.start(argv, cwd=REPO_ROOT, env=env)
        return worker.running_pid()

    total_query, per_key = count_queries("atenciones.daily_counts", "attentions")

    def total() -> int:
        if worker.running_pid() is None:
            raise SystemExit(f"worker died:\n{worker.log_tail(40)}")
        return total_of(admin, total_query)

    try:
        return drain(
            "worker",
            dataset,
            start=start,
            total=total,
            target=dataset.counted,
            per_key=lambda: counts(admin, per_key),
            exact=True,
            servers_cpu_s=stack.servers_cpu_s,
        )
    finally:
        worker.stop(timeout=30)


def run_consumer(stack: Stack, dataset: Dataset, system: str) -> Run:
    """Quix Streams or the plain floor: a process of its own writing deltas to peers.<system>."""
    client = stack.peers_client()
    topic = peer_topic(stack, client, dataset, system)
    process = BackgroundProcess(system, stack.root / f"{system}.pid", stack.root / f"{system}.log")
    args = [stack.kafka.bootstrap, topic, system, str(stack.clickhouse.http_port)]
    args += [PEERS_USER.name, PEERS_USER.password]
    if system == "quix":
        argv = [str(PEERS_PYTHON), "-m", "benchmarks.peers.quix_peer", *args]
        argv.append(str(stack.root / "quix-state"))
    else:
        argv = [sys.executable, "-m", "benchmarks.peers.plain_peer", *args]
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT))

    def start() -> int | None:
        process.start(argv, cwd=REPO_ROOT, env=env)
        return process.running_pid()

    total_query, per_key = count_queries(f"{DATABASE}.{system}", "n")

    def total() -> int:
        if process.running_pid() is None:
            raise SystemExit(f"{system} died:\n{process.log_tail(40)}")
        return total_of(client, total_query)

    try:
        return drain(
            system,
            dataset,
            start=start,
            total=total,
            target=dataset.counted,
            per_key=lambda: counts(client, per_key),
            exact=True,
            servers_cpu_s=stack.servers_cpu_s,
        )
    finally:
        process.stop(timeout=30)


def run_clickhouse_kafka(stack: Stack, dataset: Dataset) -> Run | None:
    """ClickHouse's own consumer: no process of ours, no dedup, no revisions (every record that is
    not a void counts once), at-least-once."""
    system = "clickhouse_kafka"
    client = stack.peers_client()
    topic = peer_topic(stack, client, dataset, system)
    source = (
        f"CREATE TABLE {DATABASE}.kafka_source (raw String) ENGINE = Kafka SETTINGS "
        f"kafka_broker_list = '{stack.kafka.bootstrap}', kafka_topic_list = '{topic}', "
        "kafka_group_name = 'peers-clickhouse', kafka_format = 'JSONAsString', "
        "kafka_num_consumers = 1, kafka_max_block_size = 65536"
    )
    view = (
        f"CREATE MATERIALIZED VIEW {DATABASE}.kafka_counts TO {DATABASE}.{system} AS SELECT "
        "toDate(parseDateTime64BestEffort(JSONExtractString(raw, 'occurred_at')), "
        "'America/Lima') AS day, JSONExtractString(raw, 'office') AS office, "
        "JSONExtractString(raw, 'channel') AS channel, "
        "JSONExtractString(raw, 'case_type') AS case_type, toInt64(1) AS n "
        f"FROM {DATABASE}.kafka_source WHERE NOT JSONExtractBool(raw, 'voided')"
    )

    def start() -> int | None:
        client.command(source)
        client.command(view)
        return None

    try:
        client.command(source.replace("kafka_source", "kafka_probe"))
    except DatabaseError as exc:
        # chdb's embedded server refuses Kafka tables ("Shutdown was called": its message-broker
        # pool is off); a clickhouse-server (docker-compose) runs this peer
        reason = str(exc).split("DB::Exception: ")[-1].split(" (for url")[0]
        print(f"  {system:<17} skipped: this ClickHouse refuses Kafka tables ({reason})")
        return None
    client.command(f"DROP TABLE {DATABASE}.kafka_probe")

    total_query, per_key = count_queries(f"{DATABASE}.{system}", "n")
    try:
        return drain(
            system,
            dataset,
            start=start,
            total=lambda: total_of(client, total_query),
            target=dataset.not_voided_records,
            per_key=lambda: counts(client, per_key),
            exact=False,
            servers_cpu_s=stack.servers_cpu_s,
        )
    finally:
        client.command(f"DROP VIEW IF EXISTS {DATABASE}.kafka_counts")
        client.command(f"DROP TABLE IF EXISTS {DATABASE}.kafka_source")


def one_repetition(dataset: Dataset, order: list[str]) -> list[Run]:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        kafka, clickhouse = bench_servers(root, (PEERS_USER,))
        kafka.start()
        clickhouse.start()
        try:
            stack = Stack(root, kafka, clickhouse)
            settings = prepare_pipeline(kafka, clickhouse)
            stack.peers_client().command(f"CREATE DATABASE IF NOT EXISTS {DATABASE}")
            runs = []
            for system in order:
                run: Run | None
                if system == "worker":
                    run = run_worker(stack, dataset, settings)
                elif system == "clickhouse_kafka":
                    run = run_clickhouse_kafka(stack, dataset)
                else:
                    run = run_consumer(stack, dataset, system)
                if run is not None:
                    print(f"  {format_row(run)}", flush=True)
                    runs.append(run)
            return runs
        finally:
            clickhouse.stop()
            kafka.stop()


def main() -> None:
    if "quix" in SYSTEMS and not PEERS_PYTHON.exists():
        raise SystemExit(f"error: {PEERS_PYTHON} missing: run `make bench-peers` (it creates it)")
    dataset = build(RECORDS)
    print(
        f"{len(dataset.records):,} records: {dataset.distinct:,} distinct attentions, "
        f"{dataset.resends:,} re-sends, {dataset.corrections:,} corrections, {dataset.voids:,} "
        f"voids; {dataset.counted:,} counted at the end, over {len(dataset.truth):,} keys "
        f"(Lima day x office x channel x case type); {PARTITIONS} partitions per topic"
    )
    header = (
        f"{'system':<17} {'from start':>10} {'steady':>10} {'per CPU s':>10} "
        f"{'servers CPU s':>13} {'seconds':>8}"
    )
    runs: dict[str, list[Run]] = {system: [] for system in SYSTEMS}
    for rep in range(REPS):
        order = SYSTEMS[rep % len(SYSTEMS) :] + SYSTEMS[: rep % len(SYSTEMS)]
        print(f"repetition {rep + 1} of {REPS} ({', '.join(order)}): records/s\n  {header}")
        for run in one_repetition(dataset, order):
            runs[run.system].append(run)
    print(f"\nmedians over {REPS} repetition(s), records/s\n  {header}  exact")
    medians = {system: median_run(system, found) for system, found in runs.items() if found}
    for run in medians.values():
        print(f"  {format_row(run)}")
    if "worker" in medians:
        worker = medians["worker"]
        for system, run in medians.items():
            if system != "worker":
                print(
                    f"  worker / {system}: from start {worker.from_start / run.from_start:.2f}x, "
                    f"steady {worker.steady / run.steady:.2f}x"
                )
    records = len(dataset.records)
    for system, run in medians.items():
        if run.per_cpu_second:
            own, servers = 1e6 / run.per_cpu_second, run.servers_cpu_s * 1e6 / records
            print(
                f"  {system}: CPU a record {own:.0f} us own + {servers:.0f} us broker and "
                f"ClickHouse = {own + servers:.0f} us"
            )


if __name__ == "__main__":
    main()
