"""One batch of valid records -> new attention states, count deltas and rows to sink (pure)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import NamedTuple

from agents.revisions import Counted, Outcome, decide
from incidents.signal import failure_kinds
from schemas.classification import CASE_SUBTYPE, CHANNEL, OFFICE, Classification
from schemas.timestamps import lima_day_of_epoch

BUCKET_MS = 5 * 60 * 1000  # the live "last hour" is twelve 5-minute buckets
SIGNAL_SUBTYPES = frozenset(failure_kinds())
DayKey = tuple[int, date, Classification]  # (source partition, Lima day, classification)
BucketKey = tuple[int, int, str, str]  # (source partition, bucket start ms, channel, office)
QualityKey = tuple[int, date, str]  # (source partition, Lima day of arrival, outcome)
Signal = tuple[str, int, Classification]  # (attention id, occurred_at ms, classification)


class SourceRecord(NamedTuple):  # one per record per batch: a tuple is the cheapest to build
    partition: int
    offset: int
    attention_id: str
    counted: Counted  # the record's attention as the state would hold it
    received_day: date | None = None  # Lima day of the Kafka record timestamp


@dataclass
class BatchEffect:
    """What a batch changes. Deltas carry the last source offset that touched each key."""

    states: dict[str, tuple[int, Counted]] = field(default_factory=dict)  # id -> (partition, state)
    day_deltas: dict[DayKey, int] = field(default_factory=dict)
    bucket_deltas: dict[BucketKey, int] = field(default_factory=dict)
    quality_deltas: dict[QualityKey, int] = field(default_factory=dict)
    versions: dict[tuple[object, ...], int] = field(default_factory=dict)
    outcomes: Counter[Outcome] = field(default_factory=Counter)
    touched: dict[str, int] = field(default_factory=dict)  # id -> partition, to re-sink rows
    high_water_ms: dict[int, int] = field(default_factory=dict)  # partition -> newest occurred_at
    # first-seen attentions of a service-failure subtype: for the incident detector
    signals: list[Signal] = field(default_factory=list)

    def by_partition(self) -> dict[int, PartitionEffect]:
        """The effect split by source partition, in one pass over each of its maps."""
        parts: dict[int, PartitionEffect] = {}

        def part(partition: int) -> PartitionEffect:
            found = parts.get(partition)
            if found is None:
                found = parts[partition] = PartitionEffect(self.high_water_ms.get(partition, 0))
            return found

        versions = self.versions
        for attention_id, (partition, counted) in self.states.items():
            part(partition).states[attention_id] = counted
        for attention_id, partition in self.touched.items():
            part(partition).touched.append(attention_id)
        for day_key, delta in self.day_deltas.items():
            part(day_key[0]).day_deltas.append((day_key, delta, versions[day_key]))
        for bucket_key, delta in self.bucket_deltas.items():
            part(bucket_key[0]).bucket_deltas.append((bucket_key, delta, versions[bucket_key]))
        for quality_key, delta in self.quality_deltas.items():
            part(quality_key[0]).quality_deltas.append((quality_key, delta, versions[quality_key]))
        return parts

    def _add(self, partition: int, offset: int, counted: Counted, sign: int) -> None:
        day = lima_day_of_epoch(counted.occurred_at_ms / 1000)
        day_key: DayKey = (partition, day, counted.classification)
        self.day_deltas[day_key] = self.day_deltas.get(day_key, 0) + sign
        self.versions[day_key] = offset
        bucket = counted.occurred_at_ms - counted.occurred_at_ms % BUCKET_MS
        office, channel = counted.classification[OFFICE], counted.classification[CHANNEL]
        bucket_key: BucketKey = (partition, bucket, channel, office)
        self.bucket_deltas[bucket_key] = self.bucket_deltas.get(bucket_key, 0) + sign
        self.versions[bucket_key] = offset


def apply_batch(
    records: Iterable[SourceRecord], lookup: Callable[[int, str], Counted | None]
) -> BatchEffect:
    """Apply the revision rules to records in order.

    lookup(partition, attention_id) reads the state as it was before the batch.
    """
    effect = BatchEffect()
    for record in records:
        attention_id = record.attention_id
        incoming = record.counted
        known = effect.states.get(attention_id)
        previous = known[1] if known else lookup(record.partition, attention_id)
        outcome = decide(previous, incoming)
        effect.outcomes[outcome] += 1
        if record.received_day is not None:
            quality_key: QualityKey = (record.partition, record.received_day, outcome.value)
            effect.quality_deltas[quality_key] = effect.quality_deltas.get(quality_key, 0) + 1
            effect.versions[quality_key] = record.offset
        effect.touched[attention_id] = record.partition
        occurred_ms = incoming.occurred_at_ms
        if occurred_ms > effect.high_water_ms.get(record.partition, 0):
            effect.high_water_ms[record.partition] = occurred_ms
        if outcome in (Outcome.DUPLICATE, Outcome.STALE):
            # Nothing changes, but the day keys are sunk again: after a crash between the
            # ClickHouse insert and the Kafka commit, this is how lost writes come back.
            if previous is not None and not previous.voided:
                effect._add(record.partition, record.offset, previous, 0)
            continue
        if previous is not None and not previous.voided:
            effect._add(record.partition, record.offset, previous, -1)
        if outcome is not Outcome.VOID:
            effect._add(record.partition, record.offset, incoming, +1)
        if outcome is Outcome.NEW and incoming.classification[CASE_SUBTYPE] in SIGNAL_SUBTYPES:
            effect.signals.append((attention_id, occurred_ms, incoming.classification))
        effect.states[attention_id] = (record.partition, incoming)
    return effect


@dataclass
class PartitionEffect:
    """One partition's share of a batch's effect: each key with its delta and version."""

    high_water_ms: int = 0
    states: dict[str, Counted] = field(default_factory=dict)
    touched: list[str] = field(default_factory=list)
    day_deltas: list[tuple[DayKey, int, int]] = field(default_factory=list)
    bucket_deltas: list[tuple[BucketKey, int, int]] = field(default_factory=list)
    quality_deltas: list[tuple[QualityKey, int, int]] = field(default_factory=list)
