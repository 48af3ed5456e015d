"""Faults, bad input at volume and bursts; every scenario ends with the same check: ClickHouse's
analyst objects equal counts computed independently from what was published, and the dead-letter
topic holds exactly the invalid records (distinct origins)."""

from __future__ import annotations

import contextlib
import random
import threading
import time
from pathlib import Path
from typing import Any

import psutil
import pytest

from foundation.processes import BackgroundProcess, free_port
from foundation.settings import Settings, get_settings
from local_stack.clickhouse import ClickHouseServer
from local_stack.kafka import KafkaServer
from schemas.reasons import ATTENTION_REASONS
from streams.dead_letters import read_dead_letters
from streams.invalid_events import break_event
from streams.producer import AttentionProducer
from streams.topics import ensure_topics, project_topics
from tests.faults.conftest import FaultResult
from tests.fixtures.pipeline import (
    clickhouse_counts,
    clickhouse_env,
    clickhouse_grouped_rows,
    expected_counts,
    scenario,
    start_pipeline_clickhouse,
    start_worker,
    unique_topics,
    wait_for_counts,
)

pytestmark = pytest.mark.timeout(900)


class PeakRss:
    """Samples a process's RSS in the background; .peak in MiB."""

    def __init__(self) -> None:
        self.peak = 0.0
        self._stop = threading.Event()
        self.worker: BackgroundProcess | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            pid = self.worker.running_pid() if self.worker else None
            if pid:
                with contextlib.suppress(psutil.Error):
                    self.peak = max(self.peak, psutil.Process(pid).memory_info().rss / 2**20)
            time.sleep(0.2)

    def stop(self) -> None:
        self._stop.set()


def setup(
    kafka: KafkaServer, tmp_path: Path, prefix: str
) -> tuple[ClickHouseServer, dict[str, str], Settings]:
    clickhouse = start_pipeline_clickhouse(tmp_path / "clickhouse")
    topics = unique_topics(prefix)
    settings = Settings(  # every topic the worker is given (env below) is created
        attentions_topic=topics["ATENCIONES_ATTENTIONS_TOPIC"],
        dlq_topic=topics["ATENCIONES_DLQ_TOPIC"],
        incident_signals_topic=topics["ATENCIONES_INCIDENT_SIGNALS_TOPIC"],
        alerts_topic=topics["ATENCIONES_ALERTS_TOPIC"],
    )
    ensure_topics(kafka.bootstrap, project_topics(settings))
    return clickhouse, {**topics, **clickhouse_env(clickhouse)}, settings


def publish(
    kafka: KafkaServer, topic: str, records: list[Any], per_second: float | None = None
) -> None:
    """Publish dicts (validated) or raw (key, value) pairs, optionally at a steady rate."""
    with AttentionProducer(kafka.bootstrap, topic) as producer:
        started = time.monotonic()
        for i, record in enumerate(records):
            if isinstance(record, tuple):
                producer.send_raw(*record)
            else:
                producer.send_now(record)
            if per_second and i % 200 == 0:
                ahead = i / per_second - (time.monotonic() - started)
                if ahead > 0:
                    time.sleep(ahead)
        producer.flush()


def distinct_letters(kafka: KafkaServer, topic: str) -> int:
    letters = read_dead_letters(kafka.bootstrap, topic, timeout_s=3)
    return len({(letter.topic, letter.partition, letter.offset) for letter in letters})


def test_worker_crash_five_sigkills(
    kafka: KafkaServer, tmp_path: Path, record: list[FaultResult]
) -> None:
    clickhouse, env, settings = setup(kafka, tmp_path, "crash")
    stream = scenario(35000, seed=81)
    expected = expected_counts(stream)
    rss = PeakRss()
    worker = start_worker(kafka, tmp_path / "w", **env)
    rss.worker = worker
    # Slow enough that records keep arriving across all five crashes (recovery = time until the
    # restarted worker counts again).
    publisher = threading.Thread(
        target=publish, args=(kafka, settings.attentions_topic, stream, 400.0)
    )
    publisher.start()
    recoveries = []
    rng = random.Random(5)
    try:
        for _ in range(5):
            time.sleep(rng.uniform(2, 6))
            before = sum(clickhouse_counts(clickhouse).values())
            worker.kill()
            restarted = time.monotonic()
            worker = start_worker(kafka, tmp_path / "w", **env)
            rss.worker = worker
            deadline = restarted + 120
            while (
                sum(clickhouse_counts(clickhouse).values()) <= before
                and time.monotonic() < deadline
            ):
                time.sleep(0.5)
            recoveries.append(time.monotonic() - restarted)
        publisher.join()
        seen = wait_for_counts(clickhouse, expected, timeout=300)
    finally:
        publisher.join()
        worker.stop(timeout=30)
        rss.stop()
    record.append(
        FaultResult(
            "worker SIGKILL x5",
            len(stream),
            sum(seen.values()),
            sum(expected.values()),
            distinct_letters(kafka, settings.dlq_topic),
            "/".join(f"{r:.0f}" for r in recoveries),
            rss.peak,
        )
    )
    clickhouse.stop()
    assert seen == expected


def test_clickhouse_outage_of_60_seconds(
    kafka: KafkaServer, tmp_path: Path, record: list[FaultResult]
) -> None:
    clickhouse, env, settings = setup(kafka, tmp_path, "chdown")
    stream = scenario(14000, seed=82)
    expected = expected_counts(stream)
    rss = PeakRss()
    worker = start_worker(kafka, tmp_path / "w", **env)
    rss.worker = worker
    publisher = threading.Thread(
        target=publish, args=(kafka, settings.attentions_topic, stream, 250.0)
    )
    publisher.start()
    try:
        time.sleep(15)
        clickhouse.stop()
        time.sleep(60)
        assert worker.running_pid() is not None, "the worker must survive the outage"
        clickhouse.start()
        back = time.monotonic()
        publisher.join()
        seen = wait_for_counts(clickhouse, expected, timeout=300)
        caught_up = time.monotonic() - back
        grouped = clickhouse_grouped_rows(clickhouse)
    finally:
        publisher.join()
        worker.stop(timeout=30)
        rss.stop()
    record.append(
        FaultResult(
            "ClickHouse down 60 s",
            len(stream),
            sum(seen.values()),
            sum(expected.values()),
            distinct_letters(kafka, settings.dlq_topic),
            f"{caught_up:.0f}",
            rss.peak,
        )
    )
    clickhouse.stop()
    assert seen == expected
    assert grouped == expected


def test_bad_input_at_volume(kafka: KafkaServer, tmp_path: Path, record: list[FaultResult]) -> None:
    clickhouse, env, settings = setup(kafka, tmp_path, "bad")
    valid = scenario(65000, seed=83)[:90000]
    rng = random.Random(9)
    reasons = sorted(ATTENTION_REASONS)
    invalid = []
    for i in range(10000):
        base = {**valid[i % len(valid)], "attention_id": f"bad-{i}"}
        invalid.append(break_event(base, reasons[i % len(reasons)]))
    records: list[Any] = [*valid, *invalid]
    rng.shuffle(records)
    expected = expected_counts(valid)
    rss = PeakRss()
    worker = start_worker(kafka, tmp_path / "w", **env)
    rss.worker = worker
    try:
        publish(kafka, settings.attentions_topic, records)
        seen = wait_for_counts(clickhouse, expected, timeout=400)
        letters = distinct_letters(kafka, settings.dlq_topic)
        deadline = time.monotonic() + 60
        while letters < len(invalid) and time.monotonic() < deadline:
            time.sleep(2)
            letters = distinct_letters(kafka, settings.dlq_topic)
        assert worker.running_pid() is not None
    finally:
        worker.stop(timeout=30)
        rss.stop()
        clickhouse.stop()
    record.append(
        FaultResult(
            "10% bad input, 100k",
            len(records),
            sum(seen.values()),
            sum(expected.values()),
            letters,
            "-",
            rss.peak,
        )
    )
    assert seen == expected
    assert letters == len(invalid)


def test_burst_of_ten_times_the_rate(
    kafka: KafkaServer, tmp_path: Path, record: list[FaultResult]
) -> None:
    clickhouse, env, settings = setup(kafka, tmp_path, "burst")
    calm, burst, after = scenario(3000, seed=84), scenario(20000, seed=85), scenario(3000, seed=86)
    stream = calm + burst + after
    expected = expected_counts(stream)
    rss = PeakRss()
    worker = start_worker(kafka, tmp_path / "w", **env)
    rss.worker = worker
    try:
        time.sleep(8)
        publish(kafka, settings.attentions_topic, calm, per_second=500)
        started = time.monotonic()
        publish(kafka, settings.attentions_topic, burst, per_second=5000)
        publish(kafka, settings.attentions_topic, after, per_second=500)
        seen = wait_for_counts(clickhouse, expected, timeout=300)
        drained = time.monotonic() - started
    finally:
        worker.stop(timeout=30)
        rss.stop()
        clickhouse.stop()
    record.append(
        FaultResult(
            "burst 10x (5,000/s)",
            len(stream),
            sum(seen.values()),
            sum(expected.values()),
            0,
            f"{drained:.0f}",
            rss.peak,
        )
    )
    assert seen == expected
    assert rss.peak < 1024


def test_broker_restart(tmp_path: Path, record: list[FaultResult]) -> None:
    """Its own broker (the session's one is shared): stopped 20 s mid-stream, then restarted on
    the same port and data. The producer retries (idempotent, acks=all); the worker reconnects
    or, if it exits, is restarted as docker-compose's `restart: unless-stopped` would."""
    settings = get_settings()
    broker = KafkaServer(
        state_dir=tmp_path / "kafka", port=free_port(), controller_port=free_port(),
        version=settings.kafka_version, cache_dir=settings.cache_dir,
    )  # fmt: skip
    broker.start()
    clickhouse, env, topic_settings = setup(broker, tmp_path, "brokerdown")
    stream = scenario(14000, seed=87)
    expected = expected_counts(stream)
    rss = PeakRss()
    worker = start_worker(broker, tmp_path / "w", **env)
    rss.worker = worker
    publisher = threading.Thread(
        target=publish, args=(broker, topic_settings.attentions_topic, stream, 300.0)
    )
    publisher.start()
    supervisor_restarts = 0
    try:
        time.sleep(15)
        broker.stop()
        time.sleep(20)
        broker.start()
        back = time.monotonic()
        before = sum(clickhouse_counts(clickhouse).values())
        deadline = back + 300
        while sum(clickhouse_counts(clickhouse).values()) <= before:
            assert time.monotonic() < deadline, worker.log_tail(40)
            if worker.running_pid() is None:
                supervisor_restarts += 1
                worker = start_worker(broker, tmp_path / "w", **env)
                rss.worker = worker
            time.sleep(0.5)
        resumed = time.monotonic() - back
        publisher.join()
        seen = wait_for_counts(clickhouse, expected, timeout=300)
        letters = distinct_letters(broker, topic_settings.dlq_topic)
    finally:
        publisher.join()
        worker.stop(timeout=30)
        rss.stop()
        clickhouse.stop()
        broker.stop()
    record.append(
        FaultResult(
            f"Kafka down 20 s (worker restarts: {supervisor_restarts})",
            len(stream),
            sum(seen.values()),
            sum(expected.values()),
            letters,
            f"{resumed:.0f}",
            rss.peak,
        )
    )
    assert seen == expected
    assert letters == 0
