"""The attention agent's batch logic in-process, without a broker or ClickHouse: a scenario with
duplicates, revisions, voids, stale and late records goes through AttentionPipeline.plan in
batches, each batch's changes applied as the agent applies them once its rows are written; the
absolute counts it would sink add up to an independent count of the scenario."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator

import faust
import orjson
import pytest
from faust.types import Message

from agents.admission import decode_batch, key_partition
from agents.health import WorkerHealth
from agents.pipeline import AttentionPipeline
from agents.sink import Sink
from agents.state import PartitionState
from foundation.settings import Settings
from incidents.signal import is_signal
from schemas.classification import CASE_SUBTYPE
from tests.fixtures.pipeline import expected_counts, scenario

PARTITIONS = 6


def not_called() -> object:
    raise AssertionError("plan() must not write to ClickHouse")


@pytest.fixture
def pipeline() -> Iterator[AttentionPipeline]:
    settings = Settings(topic_partitions=PARTITIONS)
    app = faust.App("plan-test", broker="kafka://127.0.0.1:1", store="memory://")
    health = WorkerHealth(sink_failing_after_s=30, stall_after_s=60)
    pipeline = AttentionPipeline(app, settings, Sink(not_called, health, 1.0), health)  # type: ignore[arg-type]
    pipeline.states.held = {p: PartitionState() for p in range(PARTITIONS)}
    yield pipeline


def messages(stream: list[dict[str, object]]) -> list[Message]:
    """The scenario as Kafka records on their key's partition, offsets in order."""
    offsets: Counter[int] = Counter()
    records = []
    now_ms = int(time.time() * 1000)
    for record in stream:
        key = str(record["attention_id"]).encode()
        partition = key_partition(key, PARTITIONS)
        records.append(
            Message(
                "attentions",
                partition,
                offsets[partition],
                now_ms / 1000,
                0,
                [],
                key,
                orjson.dumps(record),
                0,
            )
        )
        offsets[partition] += 1
    return records


@pytest.mark.parametrize("batch_size", [1, 37, 5000])
def test_batches_planned_and_applied_count_exactly(
    pipeline: AttentionPipeline, batch_size: int
) -> None:
    stream = scenario(400, seed=21)
    records = messages(stream)
    sunk: dict[tuple[object, ...], int] = {}  # what ClickHouse keeps: the last value per key
    for start in range(0, len(records), batch_size):
        decoded = decode_batch(records[start : start + batch_size])
        assert decoded.dead_letters == []
        rows, changes, _, _ = pipeline.plan(decoded.valid)
        for partition, partition_changes in changes.items():
            partition_changes.apply_to(pipeline.partition_state(partition))
        for day, *classification, partition, value, _version in rows.day_counts:
            sunk[(day.isoformat(), *classification, partition)] = value
    counted: Counter[tuple[object, ...]] = Counter()
    for (*key, _partition), value in sunk.items():
        counted[tuple(key)] += value
    assert +counted == +expected_counts(stream)


def test_a_batch_seen_again_changes_no_count(pipeline: AttentionPipeline) -> None:
    """The same records again (a crash before the commit) are duplicates: every count the
    second plan would sink equals the first's."""
    records = messages(scenario(100, seed=22))
    first, changes, signals, _ = pipeline.plan(decode_batch(records).valid)
    for partition, partition_changes in changes.items():
        partition_changes.apply_to(pipeline.partition_state(partition))
    again, _, signals_again, _ = pipeline.plan(decode_batch(records).valid)
    assert {row[:-1] for row in again.day_counts} <= {row[:-1] for row in first.day_counts}
    # first-seen service-failure attentions go to the incident detector once, not again
    assert signals and signals_again == []
    assert all(is_signal(classification[CASE_SUBTYPE]) for _, _, classification in signals)
