"""Bounded state through the real broker and ClickHouse: years of history leave the worker with
the horizon's attentions in memory, a journal that snapshots and deletes, a restart that reads
the last snapshot on (not every entry ever written), and counts that stay exact."""

from __future__ import annotations

import random
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from local_stack.kafka import KafkaServer
from streams.dead_letters import read_dead_letters
from streams.producer import AttentionProducer
from streams.traffic_mix import TrafficMix
from tests.fixtures.pipeline import expected_counts, start_pipeline, start_worker, wait_for_counts

pytestmark = pytest.mark.timeout(300)
HORIZON_DAYS = 60
REBUILT = re.compile(
    r"partition (\d+): (\d+) attentions, .*rebuilt from (\d+) of the (\d+) journal entries"
)


def _years_of_history(days: int, per_day: int, seed: int) -> list[dict[str, Any]]:
    """per_day attentions a day for `days` days from 2021-01-01, in order, each day followed by
    corrections of attentions of the previous weeks (well within the horizon)."""
    rng = random.Random(seed)
    mix = TrafficMix(rng)
    start = datetime(2021, 1, 1, 14, tzinfo=UTC)
    stream: list[dict[str, Any]] = []
    for day in range(days):
        today = [
            mix.event(start + timedelta(days=day, minutes=n), f"h{day}-{n}") for n in range(per_day)
        ]
        stream += today
        if day >= 20:
            earlier = f"h{day - rng.randrange(1, 20)}-{rng.randrange(per_day)}"
            moved = mix.event(start + timedelta(days=day - 3), earlier)
            stream.append({**moved, "revision": day})  # later revisions always win
    return stream


def _publish(bootstrap: str, topic: str, events: list[dict[str, Any]]) -> None:
    with AttentionProducer(bootstrap, topic) as producer:
        report = producer.publish(events)
    assert not report.rejected, report.rejected[:3]


def test_years_of_history_restart_from_a_snapshot_with_exact_counts(
    kafka: KafkaServer, tmp_path: Path
) -> None:
    running = start_pipeline(kafka, tmp_path, "bounded")
    try:
        running.worker.stop(timeout=30)
        extra = {
            **running.env,
            "ATENCIONES_WORKER_STATE_HORIZON_DAYS": str(HORIZON_DAYS),
            "ATENCIONES_WORKER_SNAPSHOT_MIN_STATES": "100",
            "ATENCIONES_WORKER_BATCH_SIZE": "300",
        }
        topic = running.settings.attentions_topic
        running.worker = start_worker(kafka, tmp_path / "worker", **extra)
        history = _years_of_history(days=3 * 365, per_day=6, seed=3)
        _publish(kafka.bootstrap, topic, history)
        # A correction of a 2021 attention after three years: beyond the horizon, so it is
        # dead-lettered with its reason, not applied to a state the worker no longer holds.
        too_old = {**history[0], "revision": 9999, "office": "tumbes"}
        _publish(kafka.bootstrap, topic, [too_old])
        expected = expected_counts(history)
        seen = wait_for_counts(running.clickhouse, expected, timeout=180)
        assert seen == expected
        letters = list(read_dead_letters(kafka.bootstrap, running.settings.dlq_topic))
        assert [(letter.reason.value, letter.offset) for letter in letters][:1] == [
            ("beyond_horizon", letters[0].offset)
        ] and len(letters) == 1, letters
        assert "older than the state horizon" in letters[0].message

        # Kill -9 and restart: each partition is rebuilt from its last snapshot on.
        running.worker.kill()
        log_before = running.worker.log_file.read_text(errors="replace")
        running.worker = start_worker(kafka, tmp_path / "worker", **extra)
        recent = [
            {**event, "revision": 5000, "office": "tumbes"}
            for event in history[-40:]
            if "revision" not in event
        ]
        _publish(kafka.bootstrap, topic, recent)
        expected = expected_counts(history + recent)
        assert wait_for_counts(running.clickhouse, expected, timeout=120) == expected
        rebuilt = REBUILT.findall(running.worker.log_file.read_text(errors="replace"))
        rebuilt = rebuilt[len(REBUILT.findall(log_before)) :]
        assert len(rebuilt) == 6, rebuilt
        per_partition_day = 6 / 6
        for _partition, attentions, read, written in rebuilt:
            # memory: the horizon's attentions, plus what arrived since the last snapshot
            assert int(attentions) <= 2.5 * HORIZON_DAYS * per_partition_day + 100
            # restart cost: a few entries since the last snapshot, not the whole history
            assert int(read) <= int(written) / 4, rebuilt
    finally:
        running.stop()
