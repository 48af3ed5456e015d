"""The demo history through the real pipeline, shared by the report and the board tests.

Besides the SYNTHETIC history and the seed's relevant cases, it publishes what the boards show
that the history lacks: attentions of the last minutes (the live last hour) and, with Kafka
record timestamps of the report day, duplicates, a correction and invalid records (data quality).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

from demo.history import history_events
from demo.load import publish_cases
from demo.seed_report import SeedFigures
from foundation.settings import Settings
from local_stack.kafka import KafkaServer
from schemas.reasons import Reason
from schemas.timestamps import LIMA, format_rfc3339
from streams.invalid_events import break_event
from streams.producer import AttentionProducer
from tests.integration.conftest import start_pipeline

DAY = date(2024, 11, 8)
ARRIVAL_MS = int(datetime(2024, 11, 8, 12, 0, tzinfo=LIMA).timestamp() * 1000)
INVALID_REASONS = (Reason.INVALID_JSON, Reason.UNKNOWN_OFFICE, Reason.MISSING_FIELD)
LIVE_EVENTS = 12


@dataclass
class DemoPipeline:
    env: dict[str, str]  # the worker's ClickHouse and Kafka settings (writer user)
    http_port: int
    live_events: int
    duplicates: int
    corrections: int
    invalid: dict[str, int]  # reason -> records


def _encode(event: dict[str, Any]) -> tuple[bytes, bytes]:
    return event["attention_id"].encode(), orjson.dumps(event)


def run_demo_pipeline(kafka: KafkaServer, root: Path, seed: SeedFigures) -> Iterator[DemoPipeline]:
    pipeline = start_pipeline(kafka, root, "demo")
    clickhouse, settings, env, worker = (
        pipeline.clickhouse,
        pipeline.settings,
        pipeline.env,
        pipeline.worker,
    )
    total = 0
    of_the_day: list[dict[str, Any]] = []
    with AttentionProducer(kafka.bootstrap, settings.attentions_topic) as producer:
        for event in history_events(seed):
            producer.send_now(event)
            total += 1
            if len(of_the_day) < 3 and event["occurred_at"].startswith(DAY.isoformat()):
                of_the_day.append(event)
        now = datetime.now(tz=UTC)
        for number in range(LIVE_EVENTS):
            live = {
                **of_the_day[0],
                "attention_id": f"live-{number:04d}",
                "occurred_at": format_rfc3339(now - timedelta(minutes=2 + number)),
            }
            producer.send_now(live)
            total += 1
        for event in of_the_day:  # the same revision again: duplicates
            producer.send_raw(*_encode(event), timestamp_ms=ARRIVAL_MS)
        corrected = {**of_the_day[0], "revision": 1}  # same classification: counts unchanged
        producer.send_raw(*_encode(corrected), timestamp_ms=ARRIVAL_MS)
        for reason in INVALID_REASONS:
            key, value = break_event(dict(of_the_day[1]), reason)
            producer.send_raw(key, value, timestamp_ms=ARRIVAL_MS)
        producer.flush()
    publish_cases(
        Settings(
            kafka_bootstrap=kafka.bootstrap, relevant_cases_topic=settings.relevant_cases_topic
        )
    )
    admin = clickhouse.admin_client()
    try:
        deadline = time.monotonic() + 600
        counted = 0
        while time.monotonic() < deadline:
            counted = admin.query("SELECT count() FROM atenciones.attentions").result_rows[0][0]
            letters = admin.query("SELECT count() FROM atenciones.dead_letters").result_rows[0][0]
            cases = admin.query("SELECT count() FROM atenciones.relevant_cases").result_rows[0][0]
            if counted >= total and letters >= len(INVALID_REASONS) and cases >= 4:
                break
            assert worker.running_pid(), worker.log_tail(40)
            time.sleep(2)
        assert counted == total
        yield DemoPipeline(
            env={**env, "ATENCIONES_KAFKA_BOOTSTRAP": kafka.bootstrap},
            http_port=clickhouse.http_port,
            live_events=LIVE_EVENTS,
            duplicates=len(of_the_day),
            corrections=1,
            invalid={reason.value: 1 for reason in INVALID_REASONS},
        )
    finally:
        pipeline.stop()
