"""One partition's records of a batch -> new attention states and count deltas (pure)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import NamedTuple

from agents.day_counts import DayCountKey, day_count_key
from agents.revisions import Counted, Outcome, decide
from incidents.signal import failure_kinds
from schemas.classification import CASE_SUBTYPE, CHANNEL, OFFICE, Classification
from schemas.timestamps import lima_day_of_epoch

BUCKET_MS = 5 * 60 * 1000  # the live "last hour" is twelve 5-minute buckets
SIGNAL_SUBTYPES = frozenset(failure_kinds())
BucketKey = tuple[int, str, str]  # (bucket start ms, channel, office)
QualityKey = tuple[date, str]  # (Lima day of arrival, outcome)
Signal = tuple[str, int, Classification]  # (attention id, occurred_at ms, classification)


class SourceRecord(NamedTuple):  # one per record per batch: a tuple is the cheapest to build
    offset: int
    attention_id: str
    counted: Counted  # the record's attention as the state would hold it
    received_day: date | None = None  # Lima day of the Kafka record timestamp


@dataclass
class PartitionEffect:
    """What a batch changes on one source partition (an attention's state lives on one
    partition: its key's). Deltas by key, each with the last source offset that touched it."""

    states: dict[str, Counted] = field(default_factory=dict)
    day_deltas: dict[DayCountKey, int] = field(default_factory=dict)
    bucket_deltas: dict[BucketKey, int] = field(default_factory=dict)
    quality_deltas: dict[QualityKey, int] = field(default_factory=dict)
    versions: dict[tuple[object, ...], int] = field(default_factory=dict)
    outcomes: Counter[Outcome] = field(default_factory=Counter)
    touched: dict[str, None] = field(default_factory=dict)  # ids whose rows are sunk again
    high_water_ms: int = 0  # the newest occurred_at seen
    # first-seen attentions of a service-failure subtype: for the incident detector
    signals: list[Signal] = field(default_factory=list)

    def _add(self, offset: int, counted: Counted, sign: int) -> None:
        day_key = day_count_key(
            lima_day_of_epoch(counted.occurred_at_ms / 1000), counted.classification
        )
        self.day_deltas[day_key] = self.day_deltas.get(day_key, 0) + sign
        self.versions[day_key] = offset
        bucket = counted.occurred_at_ms - counted.occurred_at_ms % BUCKET_MS
        office, channel = counted.classification[OFFICE], counted.classification[CHANNEL]
        bucket_key: BucketKey = (bucket, channel, office)
        self.bucket_deltas[bucket_key] = self.bucket_deltas.get(bucket_key, 0) + sign
        self.versions[bucket_key] = offset


def apply_records(
    records: Iterable[SourceRecord], lookup: Callable[[str], Counted | None]
) -> PartitionEffect:
    """Apply the revision rules to one partition's records, in order.

    lookup(attention_id) reads the partition's state as it was before the batch.
    """
    effect = PartitionEffect()
    for record in records:
        attention_id = record.attention_id
        incoming = record.counted
        previous = effect.states.get(attention_id) or lookup(attention_id)
        outcome = decide(previous, incoming)
        effect.outcomes[outcome] += 1
        if record.received_day is not None:
            quality_key: QualityKey = (record.received_day, outcome.value)
            effect.quality_deltas[quality_key] = effect.quality_deltas.get(quality_key, 0) + 1
            effect.versions[quality_key] = record.offset
        effect.touched[attention_id] = None
        occurred_ms = incoming.occurred_at_ms
        effect.high_water_ms = max(effect.high_water_ms, occurred_ms)
        if outcome in (Outcome.DUPLICATE, Outcome.STALE):
            # Nothing changes, but the day keys are sunk again: after a crash between the
            # ClickHouse insert and the Kafka commit, this is how lost writes come back.
            if previous is not None and not previous.voided:
                effect._add(record.offset, previous, 0)
            continue
        if previous is not None and not previous.voided:
            effect._add(record.offset, previous, -1)
        if outcome is not Outcome.VOID:
            effect._add(record.offset, incoming, +1)
        if outcome is Outcome.NEW and incoming.classification[CASE_SUBTYPE] in SIGNAL_SUBTYPES:
            effect.signals.append((attention_id, occurred_ms, incoming.classification))
        effect.states[attention_id] = incoming
    return effect
