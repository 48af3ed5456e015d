"""`make bench`'s scale-out runs: another year on its own topic counted by 1, 2 or 3 workers in
one consumer group (BENCH_SCALE_WORKERS), total and per worker."""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import clickhouse_connect

from benchmarks.stack import counted_total, year_of_events
from foundation.processes import BackgroundProcess, free_port
from foundation.settings import REPO_ROOT, Settings
from local_stack.kafka import KafkaServer
from streams.producer import AttentionProducer
from streams.topics import ensure_topics, project_topics

SCALE_WORKERS = [int(n) for n in os.environ.get("BENCH_SCALE_WORKERS", "2,3").split(",") if n]


def scale_out(  # noqa: PLR0917
    root: Path,
    kafka: KafkaServer,
    admin: clickhouse_connect.driver.client.Client,
    env: dict[str, str],
    rng: random.Random,
    count: int,
) -> None:
    """Another year on its own topic, counted by `count` workers in one consumer group.

    The count tables are emptied first: their rows are versioned by source offset, which only
    makes sense for one attentions topic (see clickhouse/README.md).
    """
    for table in ("daily_count_parts", "attention_revisions", "five_minute_buckets",
                  "quality_count_parts"):  # fmt: skip
        admin.command(f"TRUNCATE TABLE atenciones.{table}")
    topic = f"scale-{count}"
    settings = Settings(
        kafka_bootstrap=kafka.bootstrap, attentions_topic=topic, dlq_topic=f"{topic}.dlq",
        relevant_cases_topic=f"{topic}-cases",
    )  # fmt: skip
    ensure_topics(kafka.bootstrap, project_topics(settings))
    events = [{**e, "attention_id": f"s-{e['attention_id']}"} for e in year_of_events(rng)]
    with AttentionProducer(kafka.bootstrap, settings.attentions_topic) as producer:
        producer.publish(events)
    before = counted_total(admin)
    workers = [_group_worker(root, env, topic, number) for number in range(count)]
    try:
        busy = _wait_counted(admin, workers, before, len(events))
        rate = len(events) / busy
        print(
            f"scale-out: {len(events):,} events by {count} workers in one group: "
            f"{rate:,.0f} events/s ({rate / count:,.0f} per worker; same 2-core machine "
            "as Kafka and ClickHouse)"
        )
    finally:
        for worker in workers:
            worker.stop(timeout=30)


def _group_worker(root: Path, env: dict[str, str], topic: str, number: int) -> BackgroundProcess:
    """A worker of the scale-out group on `topic`, started."""
    name = f"{topic}-w{number}"
    worker = BackgroundProcess(name, root / f"{name}.pid", root / f"{name}.log")
    worker_env = {
        **env, "ATENCIONES_ATTENTIONS_TOPIC": topic, "ATENCIONES_DLQ_TOPIC": f"{topic}.dlq",
        "ATENCIONES_RELEVANT_CASES_TOPIC": f"{topic}-cases",
        "ATENCIONES_WORKER_APP_ID": f"bench-{topic}",
        "ATENCIONES_STATE_DIR": str(root / name),
        "ATENCIONES_WORKER_WEB_PORT": str(free_port()),
    }  # fmt: skip
    argv = [sys.executable, "-m", "atenciones.cli", "worker", "--loglevel", "info"]
    worker.start(argv, cwd=REPO_ROOT, env=worker_env)
    return worker


def _wait_counted(
    admin: clickhouse_connect.driver.client.Client,
    workers: list[BackgroundProcess],
    before: int,
    expected: int,
) -> float:
    """Seconds from the first count until `expected` more are counted; a worker that dies or a
    group that stalls past BENCH_SCALE_TIMEOUT ends the bench with their logs kept."""
    first_seen: float | None = None
    deadline = time.monotonic() + float(os.environ.get("BENCH_SCALE_TIMEOUT", "300"))
    last_report = time.monotonic()
    while counted_total(admin) < before + expected:
        if os.environ.get("BENCH_VERBOSE") and time.monotonic() - last_report > 5:
            print(f"  scale-out: {counted_total(admin) - before:,} counted", flush=True)
            last_report = time.monotonic()
        if first_seen is None and counted_total(admin) > before:
            first_seen = time.perf_counter()
        if any(w.running_pid() is None for w in workers) or time.monotonic() > deadline:
            _give_up_with_logs(admin, workers, counted_total(admin) - before, expected)
        time.sleep(0.2)
    return time.perf_counter() - (first_seen or time.perf_counter())


def _give_up_with_logs(
    admin: clickhouse_connect.driver.client.Client,
    workers: list[BackgroundProcess],
    counted: int,
    expected: int,
) -> None:
    kept = Path(tempfile.mkdtemp(prefix="bench-scale-logs-"))
    spy = str(Path(sys.executable).with_name("py-spy"))
    for worker in workers:
        pid = worker.running_pid()
        if pid is not None:  # where a stalled worker waits
            dump = subprocess.run(
                [spy, "dump", "--pid", str(pid)], capture_output=True, text=True, check=False
            )
            (kept / f"{worker.name}.py-spy.txt").write_text(dump.stdout + dump.stderr)
        shutil.copy(worker.log_file, kept / worker.log_file.name)
    by_partition = admin.query(
        "SELECT source_partition, sum(partition_count) FROM "
        "atenciones.daily_count_parts FINAL GROUP BY source_partition ORDER BY 1"
    ).result_rows
    raise SystemExit(
        f"scale-out workers died or stalled ({counted:,} of {expected:,} counted; "
        f"by source partition: {by_partition}); their logs: {kept}"
    )
