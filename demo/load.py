"""Load the demo history through the normal pipeline: publish to Kafka, wait for ClickHouse."""

from __future__ import annotations

import time
from pathlib import Path

from kafka import KafkaProducer
from tqdm import tqdm

from clickhouse.client import connect
from demo.cases import seed_case_events
from demo.history import SOURCE, history_events, history_size
from demo.seed_report import load_seed
from foundation.processes import ServiceError, http_json
from foundation.settings import Settings
from schemas.relevant_case import validate_case
from streams.cases import send_case
from streams.producer import AttentionProducer

SEED_REPORT = Path(__file__).with_name("reporte-diario-2024-11-08.md")


def publish_history(
    settings: Settings, seed_report: Path = SEED_REPORT, progress: bool = True
) -> int:
    """Publish every demo event (validated) to the attentions topic; return how many."""
    seed = load_seed(seed_report)
    sent = 0
    with AttentionProducer(settings.kafka_bootstrap, settings.attentions_topic) as producer:
        for event in tqdm(
            history_events(seed), desc="demo history", unit=" events", disable=not progress
        ):
            producer.send_now(event)
            sent += 1
        producer.flush()
    publish_cases(settings, seed_report)
    return sent


def publish_cases(settings: Settings, seed_report: Path = SEED_REPORT) -> int:
    """Publish the seed's relevant cases (two updates each) to the relevant-cases topic."""
    producer = KafkaProducer(bootstrap_servers=settings.kafka_bootstrap, acks="all")
    try:
        events = seed_case_events(seed_report)
        for event in events:
            send_case(producer, settings.relevant_cases_topic, validate_case(event))
    finally:
        producer.close()
    return len(events)


def demo_size(seed_report: Path = SEED_REPORT) -> int:
    """How many attentions the demo history has, from its plan (nothing generated)."""
    return history_size(load_seed(seed_report))


def counted_demo_attentions(settings: Settings) -> int:
    client = connect(settings)
    try:
        result = client.query(
            "SELECT count() FROM atenciones.attentions WHERE source = {source:String}",
            parameters={"source": SOURCE},
        )
        return int(result.result_rows[0][0])
    finally:
        client.close()


def wait_until_counted(
    settings: Settings,
    expected: int,
    timeout_s: float = 900,
    *,
    progress: bool = True,
    stall_s: float = 120,
    unhealthy_s: float = 30,
) -> float:
    """Wait until ClickHouse holds `expected` demo attentions; return the seconds waited.

    ServiceError, with the reason, when the worker's health page stops answering or reports a
    problem for `unhealthy_s`, when the count does not grow for `stall_s`, or after `timeout_s`."""
    started = last_growth = time.monotonic()
    unhealthy_since: float | None = None
    bar = tqdm(total=expected, desc="counted in ClickHouse", unit=" events", disable=not progress)
    seen = 0
    health_url = f"http://127.0.0.1:{settings.worker_web_port}/health"
    try:
        while seen < expected:
            now = time.monotonic()
            counted = f"{seen} of {expected} demo attentions counted"
            if now - started > timeout_s:
                raise ServiceError(f"only {counted} after {timeout_s:.0f} s")
            if now - last_growth > stall_s:
                raise ServiceError(f"no progress for {stall_s:.0f} s ({counted})")
            code, body = http_json(health_url)
            if code == 200:
                unhealthy_since = None
            else:
                unhealthy_since = unhealthy_since or now
                if now - unhealthy_since > unhealthy_s:
                    why = "; ".join(body.get("problems", [])) or "its health page does not answer"
                    raise ServiceError(f"the worker is not healthy: {why} ({counted})")
            time.sleep(1)
            current = counted_demo_attentions(settings)
            if current > seen:
                last_growth = time.monotonic()
            bar.update(current - seen)
            seen = current
    finally:
        bar.close()
    return time.monotonic() - started
