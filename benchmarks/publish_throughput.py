"""Benchmark: events/s of the publish CLI path (read JSONL, validate, send with acks=all)."""

from __future__ import annotations

import random
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import orjson

from foundation.processes import free_port
from foundation.settings import Settings, get_settings
from local_stack.kafka import KafkaServer
from streams.producer import AttentionProducer
from streams.publish import publish_path
from streams.topics import ensure_topics, project_topics
from streams.traffic_mix import TrafficMix

EVENTS = 100_000


def main() -> None:
    base = get_settings()
    with tempfile.TemporaryDirectory() as tmp:
        kafka = KafkaServer(
            Path(tmp) / "kafka", free_port(), free_port(), base.kafka_version, base.cache_dir
        )
        kafka.start()
        try:
            settings = Settings(kafka_bootstrap=kafka.bootstrap)
            ensure_topics(kafka.bootstrap, project_topics(settings))
            mix = TrafficMix(random.Random(1))
            source = Path(tmp) / "events.jsonl"
            stamp = datetime(2024, 11, 8, 15, tzinfo=UTC)
            source.write_bytes(b"\n".join(orjson.dumps(mix.event(stamp)) for _ in range(EVENTS)))
            with AttentionProducer(kafka.bootstrap, settings.attentions_topic) as producer:
                started = time.perf_counter()
                report = publish_path(str(source), "jsonl", producer)
                elapsed = time.perf_counter() - started
            assert report.sent == EVENTS, report.rejected[:3]
            rate = EVENTS / elapsed
            print(f"publish CLI: {EVENTS} events in {elapsed:.2f} s = {rate:,.0f} events/s")
        finally:
            kafka.stop()


if __name__ == "__main__":
    main()
