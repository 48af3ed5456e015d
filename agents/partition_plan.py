"""A partition's share of a batch (agents/batch.py) against its state -> the rows to sink and
the state changes to apply once they are written (pure: the state is not touched)."""

from __future__ import annotations

from collections.abc import Hashable
from datetime import UTC, datetime
from typing import Protocol, TypeVar

from agents.batch import PartitionEffect
from agents.revisions import Counted
from agents.state import PartitionChanges, PartitionState
from clickhouse.writer import AttentionRow, BucketRow, DayCountRow, QualityRow, SinkBatch
from schemas.timestamps import lima_day_number


def plan_partition(
    partition: int, state: PartitionState, part: PartitionEffect, sink: SinkBatch, horizon_ms: int
) -> PartitionChanges:
    """Append the partition's rows to sink (absolute counts, each with its version) and return
    the changes to its state. Buckets that start before horizon_ms are neither sunk nor kept."""
    changes = PartitionChanges()
    changes.high_water_ms = part.high_water_ms
    changes.states = part.states
    for attention_id in part.touched:
        current = changes.states.get(attention_id) or state.states.get(attention_id)
        if current is not None:
            sink.attentions.append(_attention_row(attention_id, current))
    versions = part.versions
    for count_key, delta in part.day_deltas.items():
        value = _add_to_count(state.day_counts, changes.day_counts, count_key, delta)
        day, classification = count_key
        version = versions[count_key]
        sink.day_counts.append(DayCountRow(day, *classification, partition, value, version))
    for bucket_key, delta in part.bucket_deltas.items():
        bucket_ms, channel, office = bucket_key
        if bucket_ms < horizon_ms:
            continue  # only the live hours are kept as buckets
        table_key = f"{bucket_ms}|{channel}|{office}"
        value = _add_to_count(state.buckets, changes.buckets, table_key, delta)
        start = datetime.fromtimestamp(bucket_ms / 1000, tz=UTC)
        version = versions[bucket_key]
        sink.buckets.append(BucketRow(start, channel, office, partition, value, version))
    changes.forgotten = state.buckets_before(horizon_ms)
    for quality_key, delta in part.quality_deltas.items():
        day, outcome = quality_key
        table_key = f"{day.isoformat()}|{outcome}"
        value = _add_to_count(state.quality, changes.quality, table_key, delta)
        version = versions[quality_key]
        sink.quality.append(QualityRow(day, outcome, partition, value, version))
    return changes


K = TypeVar("K", bound=Hashable)
K_contra = TypeVar("K_contra", bound=Hashable, contravariant=True)


class Counts(Protocol[K_contra]):
    """Absolute counts by key: a dict, or the state's DayCounts."""

    def get(self, key: K_contra, default: int, /) -> int: ...

    def __setitem__(self, key: K_contra, value: int, /) -> None: ...


def _add_to_count(counts: Counts[K], changes: Counts[K], key: K, delta: int) -> int:
    """Add delta to an absolute count (as changed so far in this plan, else as in the state);
    record the new value as changed. The state itself is not touched."""
    value = changes.get(key, counts.get(key, 0)) + delta
    changes[key] = value
    return value


def _attention_row(attention_id: str, counted: Counted) -> AttentionRow:
    occurred_ms = counted.occurred_at_ms  # as numbers: no datetime or date per row
    return AttentionRow(
        attention_id,
        counted.revision,
        counted.voided,
        occurred_ms,
        lima_day_number(occurred_ms),
        *counted.classification,
        counted.citizen_ref,
        counted.source,
    )
