"""The benchmarks' own stack: a broker and a ClickHouse server on free ports, the worker's
environment on them, and the year of traffic they replay (shared by `make bench`, its scale-out
runs and `make bench-peers`)."""

from __future__ import annotations

import atexit
import os
import random
import shutil
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import clickhouse_connect

from clickhouse.migrate import migrate
from foundation.processes import free_port
from foundation.settings import Settings, get_settings
from local_stack.clickhouse import ClickHouseServer
from local_stack.clickhouse.server import ServerUser, pipeline_users
from local_stack.kafka import KafkaServer
from streams.topics import ensure_topics, project_topics
from streams.traffic_mix import TrafficMix

YEAR_EVENTS = int(os.environ.get("BENCH_YEAR_EVENTS", "124000"))
WRITER_PASSWORD = "bench-writer"


def year_of_events(rng: random.Random) -> Iterator[dict[str, object]]:
    """YEAR_EVENTS attentions over one year in random order, or, with BENCH_YEARS=N, over the N
    years up to 2024 in time order (a backfill)."""
    mix = TrafficMix(rng)
    years = int(os.environ.get("BENCH_YEARS", "1"))
    start = datetime(2025 - years, 1, 1, 5, tzinfo=UTC)
    moments = [rng.randrange(0, years * 365 * 86400) for _ in range(YEAR_EVENTS)]
    if years > 1:
        moments.sort()
    # made while published: ten million events held at once would take ~10 GiB
    return (mix.event(start + timedelta(seconds=s), f"y-{i}") for i, s in enumerate(moments))


def counted_total(client: clickhouse_connect.driver.client.Client, where: str = "1") -> int:
    query = f"SELECT sum(attentions) FROM atenciones.daily_counts WHERE {where}"
    return int(client.query(query).result_rows[0][0] or 0)


def worker_environment(
    kafka: KafkaServer, clickhouse: ClickHouseServer, root: Path, web_port: int
) -> dict[str, str]:
    """The worker's environment on the bench's stack (BENCH_* knobs for its state)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ATENCIONES_")}
    env.update(
        ATENCIONES_KAFKA_BOOTSTRAP=kafka.bootstrap,
        ATENCIONES_STATE_DIR=str(root / "state"),
        ATENCIONES_WORKER_WEB_PORT=str(web_port),
        ATENCIONES_CLICKHOUSE_HTTP_PORT=str(clickhouse.http_port),
        ATENCIONES_CLICKHOUSE_PASSWORD=WRITER_PASSWORD,
        ATENCIONES_WORKER_BATCH_SIZE=os.environ.get("BENCH_BATCH_SIZE", "5000"),
        ATENCIONES_WORKER_SNAPSHOT_MIN_STATES=os.environ.get("BENCH_SNAPSHOT_MIN_STATES", "20000"),
        ATENCIONES_WORKER_STATE_HORIZON_DAYS=os.environ.get("BENCH_HORIZON_DAYS", "0"),
        # BENCH_INCIDENTS=false: the worker without the incident detector (its cost)
        ATENCIONES_INCIDENTS_ENABLED=os.environ.get("BENCH_INCIDENTS", "true"),
    )
    return env


def bench_servers(
    root: Path, extra_users: tuple[ServerUser, ...] = ()
) -> tuple[KafkaServer, ClickHouseServer]:
    """A broker and a ClickHouse server of the bench's own under root, on free ports (not started);
    ClickHouse has the pipeline's users (the worker writes as `writer`) and extra_users."""
    base = get_settings()
    kafka = KafkaServer(
        root / "kafka", free_port(), free_port(), base.kafka_version, base.cache_dir, heap="1g"
    )
    users = [*pipeline_users(WRITER_PASSWORD, "a", "g"), *extra_users]
    clickhouse = ClickHouseServer(root / "clickhouse", free_port(), free_port(), users=users)
    if elsewhere := os.environ.get("BENCH_CLICKHOUSE_DATA"):
        # e.g. /dev/shm: ClickHouse's parts in memory, to tell the disk's share of a figure
        clickhouse.data_path = Path(tempfile.mkdtemp(prefix="bench-clickhouse-", dir=elsewhere))
        atexit.register(shutil.rmtree, clickhouse.data_path, True)
    return kafka, clickhouse


def prepare_pipeline(kafka: KafkaServer, clickhouse: ClickHouseServer) -> Settings:
    """The schema migrated and the project's topics created; the settings that name them."""
    migrate(clickhouse.admin_client())
    settings = Settings(kafka_bootstrap=kafka.bootstrap)
    ensure_topics(kafka.bootstrap, project_topics(settings))
    return settings
