"""The attention agent: validate, apply revisions, count by Lima day and 5-minute bucket, sink.

One path per batch of records (up to ATENCIONES_WORKER_BATCH_SIZE, at most
ATENCIONES_WORKER_BATCH_SECONDS old), taken in bulk from the consumer's fetch
(agents/faust_bridge.BulkLane, not Faust's per-record stream); no offset of the batch is
committable before step 6:
1. records at or below the partition state's applied offset are skipped (seen again after a
   crash: their effects are already in the state and in ClickHouse);
2. decode + validate; invalid records -> dead letters; valid records on another partition than
   their key's murmur2 partition are forwarded there (the state of an attention lives on one
   partition whatever partitioner its producers used); with a state horizon set, records older
   than it -> dead letters (`beyond_horizon`);
3. revision rules against the partition's state (agents/batch.py, pure) -> rows and absolute
   counts, without touching the state yet;
4. one ClickHouse write (agents/sink.py: transient failures retried with backoff, for a bounded
   time); if ClickHouse refuses the data, each record is written alone and the ones refused
   alone are dead-lettered (`sink_rejected`): one record never blocks the others;
5. dead letters and forwarded records are sent and acknowledged by the broker;
6. the state is updated and its changes journaled (with the last offset covered; a snapshot slice
   when one is due, agents/state.py), the journal is flushed to the broker, and only then are
   the batch's offsets released for commit.
A crash anywhere replays the batch from the last journaled state: ClickHouse gets the same
absolute counts with the same versions (idempotent), and nothing the state holds is applied twice.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import faust
from faust.types import Message, StreamT
from kafka.partitioner.default import murmur2
from mode.supervisors import CrashingSupervisor

from agents import gc_watch, metrics
from agents.agent_loop import run_batches
from agents.app import TABLE_STORE_OPTIONS
from agents.batch import BatchEffect, BucketKey, DayKey, QualityKey, SourceRecord, apply_batch
from agents.batch_clock import BatchClock
from agents.dead_letters import Lettered, letter_for, letter_rows, send_letters
from agents.faust_bridge import BulkLane, current_event, event_for, flush_durably
from agents.health import WorkerHealth
from agents.revisions import Counted
from agents.sink import Sink, SinkRefused
from agents.state import (
    DAY_MS,
    JournalPolicy,
    PartitionChanges,
    PartitionState,
    journal_batch,
    rebuild_all,
)
from atenciones.settings import Settings
from clickhouse.writer import AttentionRow, SinkBatch
from schemas.attention import Attention
from schemas.decode import decode_attention
from schemas.reasons import ContractError, Reason
from schemas.timestamps import lima_day_of_epoch

log = logging.getLogger(__name__)
BUCKET_RETENTION = timedelta(hours=3)


def key_partition(key: bytes, partitions: int) -> int:
    """The partition of a key under Kafka's default (murmur2) partitioner: Java clients,
    kafka-python and `atenciones publish`."""
    return (murmur2(key) & 0x7FFFFFFF) % partitions


Valid = tuple[Message, Attention]


@dataclass
class DecodedBatch:
    valid: list[Valid]
    dead_letters: list[Lettered]


def decode_batch(messages: Sequence[Message], now: datetime | None = None) -> DecodedBatch:
    """Split a batch of Kafka records into valid attentions and dead letters (nothing dropped)."""
    now = now or datetime.now(tz=UTC)
    batch = DecodedBatch([], [])
    for message in messages:
        try:
            batch.valid.append((message, decode_attention(message.key, message.value, now=now)))
        except ContractError as exc:
            letter = letter_for(message, exc.reason, exc.message, now)
            batch.dead_letters.append((message, letter))
    return batch


class AttentionPipeline:
    """The journal table, the in-memory partition states and the per-batch logic."""

    def __init__(
        self,
        app: faust.App,
        settings: Settings,
        sink: Sink,
        health: WorkerHealth,
        source_partitions: int | None = None,
    ) -> None:
        self.app = app
        self.settings = settings
        self.sink = sink
        self.health = health
        partitions = settings.topic_partitions
        self.source_partitions = source_partitions or partitions
        self.source = app.topic(
            settings.attentions_topic,
            key_type=bytes,
            value_type=bytes,
            key_serializer="raw",
            value_serializer="raw",
            partitions=partitions,
        )
        self.dead_letters = app.topic(
            settings.dlq_topic, key_serializer="raw", value_serializer="raw"
        )
        self.journal = app.Table(
            "partition-journal", default=None, partitions=partitions,
            options=dict(TABLE_STORE_OPTIONS),
        )  # fmt: skip
        self.journal_policy = JournalPolicy(
            settings.worker_state_horizon_days, settings.worker_snapshot_min_states
        )
        self.partitions: dict[int, PartitionState] = {}
        self.lane = BulkLane(app, settings.attentions_topic)
        app.on_partitions_revoked.connect(self._forget_partitions)
        app.on_partitions_assigned.connect(self._forget_partitions)

    async def _forget_partitions(self, *args: object, **kwargs: object) -> None:
        # Another worker may have counted a partition in between: rebuild from the journal.
        self.partitions.clear()

    def partition_state(self, partition: int) -> PartitionState:
        state = self.partitions.get(partition)
        if state is None:
            self._rebuild(partition)
            state = self.partitions[partition]
        return state

    def _rebuild(self, partition: int) -> None:
        """Rebuild every assigned partition not in memory, in one pass over the journal."""
        assigned = {
            tp.partition
            for tp in self.app.consumer.assignment()
            if tp.topic == self.source.get_topic_name()
        }
        missing = (assigned | {partition}) - set(self.partitions)
        began = time.perf_counter()
        rebuilt = rebuild_all(self.journal.items(), missing)
        self.partitions.update(rebuilt)
        gc_watch.settle_long_lived()
        for p, state in sorted(rebuilt.items()):
            metrics.STATE_ATTENTIONS.labels(str(p)).set(len(state.states))
            log.info(
                "partition %d: %d attentions, %d day counts, applied up to offset %d; "
                "rebuilt from %d of the %d journal entries ever written (snapshot at %d) in %.2f s",
                p, len(state.states), len(state.day_counts), state.applied_offset,
                len(state.sequences), state.next_sequence, state.snapshot_start,
                time.perf_counter() - began,
            )  # fmt: skip

    # -- the agent -------------------------------------------------------------------------

    async def process(self, stream: StreamT[bytes]) -> None:
        """The agent: the topic's records come in bulk through the lane, not the stream (whose
        subscription still gives Faust the partitions and co-partitions the journal)."""
        self.lane.install()
        batches = self.lane.batches(
            self.settings.worker_batch_size, self.settings.worker_batch_seconds
        )
        await run_batches(
            self.app, self.health, "attentions", batches,
            lambda messages: self.process_batch(stream, messages),
        )  # fmt: skip

    async def process_batch(self, stream: StreamT[bytes], messages: Sequence[Message]) -> None:
        clock = BatchClock()
        metrics.EVENTS_IN.inc(len(messages))
        fresh: list[Message] = []
        last: dict[int, Message] = {}  # per partition, its record with the highest offset
        for message in messages:
            partition, offset = message.partition, message.offset
            if offset <= self.partition_state(partition).applied_offset:
                metrics.SKIPPED_REPLAYS.inc()
                continue
            fresh.append(message)
            if partition not in last or offset > last[partition].offset:
                last[partition] = message
        decoded = decode_batch(fresh)
        valid, foreign = self.split_foreign(decoded.valid)
        valid, too_old = self.split_beyond_horizon(valid)
        letters = [*decoded.dead_letters, *too_old]
        if valid:
            metrics.EVENTS_VALID.inc(len(valid))
        clock.lap("decode")
        sink, changes = self.plan(valid)
        sink.dead_letters = letter_rows(letters)
        clock.lap("plan")
        try:
            await self.sink.run(lambda writer: writer.write(sink))
        except SinkRefused as exc:
            log.warning("ClickHouse refused a batch (%s): writing its records one by one", exc)
            changes, refused = await self.isolate(valid)
            letters = [*letters, *refused]
            repair = self.repair(sink)
            repair.dead_letters = letter_rows(letters)
            await self.sink.run(lambda writer: writer.write(repair))
        else:
            for partition, partition_changes in changes.items():
                partition_changes.apply_to(self.partition_state(partition))
        clock.lap("clickhouse")
        await send_letters(self.dead_letters, letters)
        await self.forward(foreign)
        self.write_journal(stream, changes, last)
        clock.lap("journal")
        await flush_durably(self.app)
        clock.lap("kafka_acks")
        self.lane.release(messages)
        gc_watch.after_batch()
        clock.lap("release")
        clock.done(len(messages))

    def split_foreign(self, valid: list[Valid]) -> tuple[list[Valid], list[Message]]:
        """Valid records on their key's partition, and the ones to forward there."""
        here, foreign = [], []
        for message, attention in valid:
            if key_partition(message.key or b"", self.source_partitions) == message.partition:
                here.append((message, attention))
            else:
                foreign.append(message)
        return here, foreign

    def split_beyond_horizon(self, valid: list[Valid]) -> tuple[list[Valid], list[Lettered]]:
        """Records within their partition's horizon, and dead letters for the older ones. The
        horizon moves with the newest occurred_at seen, record by record, so a replay decides
        the same."""
        horizon_days = self.settings.worker_state_horizon_days
        if not horizon_days:
            return valid, []  # no horizon: every attention is remembered
        high_water: dict[int, int] = {}
        kept: list[Valid] = []
        letters: list[Lettered] = []
        now = datetime.now(tz=UTC)
        for message, attention in valid:
            partition = message.partition
            occurred_ms = round(attention.occurred_at.timestamp() * 1000)
            newest = high_water.get(partition)
            if newest is None:
                newest = self.partition_state(partition).high_water_ms
            oldest_ms = newest - horizon_days * DAY_MS
            if occurred_ms < oldest_ms:
                oldest = datetime.fromtimestamp(oldest_ms / 1000, tz=UTC)
                text = (
                    f"occurred_at {attention.occurred_at.isoformat()} is older than the state "
                    f"horizon of its partition ({horizon_days} days before its newest "
                    f"attention: {oldest.isoformat()})"
                )
                letters.append((message, letter_for(message, Reason.BEYOND_HORIZON, text, now)))
                continue
            high_water[partition] = max(newest, occurred_ms)
            kept.append((message, attention))
        return kept, letters

    async def forward(self, messages: list[Message]) -> None:
        """Send records found on a foreign partition to their key's partition, as they were."""
        pending = []
        for message in messages:
            metrics.REROUTED.inc()
            origin = f"{message.topic}/{message.partition}/{message.offset}".encode()
            headers: list[tuple[str, bytes]] = list(message.headers or [])  # type: ignore[arg-type]
            headers.append(("atenciones.forwarded_from", origin))
            pending.append(
                await self.source.send(
                    key=message.key,
                    value=message.value,
                    partition=key_partition(message.key or b"", self.source_partitions),
                    timestamp=message.timestamp,
                    headers=headers,
                )
            )
        for future in pending:
            await future

    async def isolate(
        self, valid: list[Valid]
    ) -> tuple[dict[int, PartitionChanges], list[Lettered]]:
        """Write the records one at a time (state updated after each); a record that ClickHouse
        refuses alone is dead-lettered. If every record is refused, the records are not the
        problem: the error propagates (the worker stops; its supervisor restarts it)."""
        merged: dict[int, PartitionChanges] = {}
        refused: list[Lettered] = []
        last_error: SinkRefused | None = None
        for message, attention in valid:
            sink, changes = self.plan([(message, attention)])
            try:
                await self.sink.run(lambda writer, sink=sink: writer.write(sink))  # type: ignore[misc]
            except SinkRefused as exc:
                last_error = exc
                metrics.PERMANENT_REJECTS.inc()
                text = f"ClickHouse refused the record: {exc}"
                now = datetime.now(tz=UTC)
                letter = letter_for(message, Reason.SINK_REJECTED, text, now)
                refused.append((message, letter))
                continue
            for partition, partition_changes in changes.items():
                partition_changes.apply_to(self.partition_state(partition))
                merged.setdefault(partition, PartitionChanges()).merge(partition_changes)
        if last_error is not None and len(refused) == len(valid) and len(valid) > 1:
            raise last_error
        return merged, refused

    def repair(self, failed: SinkBatch) -> SinkBatch:
        """Count rows that restate, from the state, every count a refused batch may have left
        half-written (its tables are inserted one after another). Same version as the refused
        row: ClickHouse keeps the last inserted of equal versions."""
        repair = SinkBatch()
        for day, *classification, p, _, version in failed.day_counts:
            key = f"{day.isoformat()}|{'|'.join(classification)}"
            value = self.partition_state(p).day_counts.get(key, 0)
            repair.day_counts.append((day, *classification, p, value, version))  # type: ignore[arg-type]
        for start, channel, office, p, _, version in failed.buckets:
            key = f"{int(start.timestamp() * 1000)}|{channel}|{office}"
            value = self.partition_state(p).buckets.get(key, 0)
            repair.buckets.append((start, channel, office, p, value, version))
        for day, outcome, p, _, version in failed.quality:
            value = self.partition_state(p).quality.get(f"{day.isoformat()}|{outcome}", 0)
            repair.quality.append((day, outcome, p, value, version))
        return repair

    def plan(self, valid: list[Valid]) -> tuple[SinkBatch, dict[int, PartitionChanges]]:
        """Revision rules for a batch against the partition states, which stay untouched: the
        rows to sink and, per source partition, the changes to apply once they are written."""
        records = [
            SourceRecord(m.partition, m.offset, attention, lima_day_of_epoch(m.timestamp))
            for m, attention in valid
        ]
        effect = apply_batch(
            records, lambda p, attention_id: self.partition_state(p).states.get(attention_id)
        )
        for outcome, count in effect.outcomes.items():
            metrics.OUTCOMES.labels(outcome.value).inc(count)
        sink = SinkBatch()
        horizon_ms = int((time.time() - BUCKET_RETENTION.total_seconds()) * 1000)
        changes = {
            partition: self._plan_partition(partition, part, sink, horizon_ms)
            for partition, part in sorted(_by_partition(effect).items())
        }
        return sink, changes

    def write_journal(
        self,
        stream: StreamT[bytes],
        changes: dict[int, PartitionChanges],
        last: dict[int, Message],
    ) -> None:
        """Journal each partition's changes and the last offset the batch covered on it, with
        that partition's event current (its changelog partition)."""
        for partition, message in last.items():
            state = self.partition_state(partition)
            partition_changes = changes.get(partition, PartitionChanges())
            state.applied_offset = message.offset
            with current_event(stream, event_for(self.app, message)):
                evicted = journal_batch(
                    self.journal, partition, state, partition_changes, self.journal_policy
                )
            if evicted is not None:
                metrics.SNAPSHOTS.inc()
                metrics.STATE_ATTENTIONS.labels(str(partition)).set(len(state.states))
                log.info(
                    "partition %d: snapshot %d begun (%d attentions, %d evicted: horizon)",
                    partition, state.next_sequence - 1, len(state.states), evicted,
                )  # fmt: skip

    def _plan_partition(
        self, partition: int, part: PartitionEffect, sink: SinkBatch, horizon_ms: int
    ) -> PartitionChanges:
        state = self.partition_state(partition)
        changes = PartitionChanges()
        changes.high_water_ms = part.high_water_ms
        changes.states = part.states
        for attention_id in part.touched:
            current = changes.states.get(attention_id) or state.states.get(attention_id)
            if current is not None:
                sink.attentions.append(_attention_row(attention_id, current))
        for (_, day, classification), delta, version in part.day_deltas:
            table_key = f"{day.isoformat()}|{'|'.join(classification)}"
            value = _add_to_count(state.day_counts, changes.day_counts, table_key, delta)
            sink.day_counts.append((day, *classification, partition, value, version))
        for (_, bucket_ms, channel, office), delta, version in part.bucket_deltas:
            if bucket_ms < horizon_ms:
                continue  # only the live hours are kept as buckets
            table_key = f"{bucket_ms}|{channel}|{office}"
            value = _add_to_count(state.buckets, changes.buckets, table_key, delta)
            start = datetime.fromtimestamp(bucket_ms / 1000, tz=UTC)
            sink.buckets.append((start, channel, office, partition, value, version))
        changes.forgotten = state.buckets_before(horizon_ms)
        for (_, day, outcome), delta, version in part.quality_deltas:
            table_key = f"{day.isoformat()}|{outcome}"
            value = _add_to_count(state.quality, changes.quality, table_key, delta)
            sink.quality.append((day, outcome, partition, value, version))
        return changes


@dataclass
class PartitionEffect:
    """One partition's share of a batch's effect: each key with its delta and version."""

    high_water_ms: int = 0
    states: dict[str, Counted] = field(default_factory=dict)
    touched: list[str] = field(default_factory=list)
    day_deltas: list[tuple[DayKey, int, int]] = field(default_factory=list)
    bucket_deltas: list[tuple[BucketKey, int, int]] = field(default_factory=list)
    quality_deltas: list[tuple[QualityKey, int, int]] = field(default_factory=list)


def _by_partition(effect: BatchEffect) -> dict[int, PartitionEffect]:
    """Split a batch's effect by source partition in one pass over each of its maps."""
    parts: dict[int, PartitionEffect] = {}

    def part(partition: int) -> PartitionEffect:
        found = parts.get(partition)
        if found is None:
            found = parts[partition] = PartitionEffect(effect.high_water_ms.get(partition, 0))
        return found

    versions = effect.versions
    for attention_id, (partition, counted) in effect.states.items():
        part(partition).states[attention_id] = counted
    for attention_id, partition in effect.touched.items():
        part(partition).touched.append(attention_id)
    for day_key, delta in effect.day_deltas.items():
        part(day_key[0]).day_deltas.append((day_key, delta, versions[day_key]))
    for bucket_key, delta in effect.bucket_deltas.items():
        part(bucket_key[0]).bucket_deltas.append((bucket_key, delta, versions[bucket_key]))
    for quality_key, delta in effect.quality_deltas.items():
        part(quality_key[0]).quality_deltas.append((quality_key, delta, versions[quality_key]))
    return parts


def _add_to_count(counts: dict[str, int], changes: dict[str, int], key: str, delta: int) -> int:
    """Add delta to an absolute count (as changed so far in this plan, else as in the state);
    record the new value as changed. The state itself is not touched."""
    value = changes.get(key, counts.get(key, 0)) + delta
    changes[key] = value
    return value


def _attention_row(attention_id: str, counted: Counted) -> AttentionRow:
    occurred_at = datetime.fromtimestamp(counted.occurred_at_ms / 1000, tz=UTC)
    return (
        attention_id,
        counted.revision,
        counted.voided,
        occurred_at,
        lima_day_of_epoch(counted.occurred_at_ms / 1000),
        *counted.classification,
        counted.citizen_ref,
        counted.source,
    )


def register_agents(
    app: faust.App,
    settings: Settings,
    sink: Sink,
    health: WorkerHealth,
    source_partitions: int | None = None,
) -> AttentionPipeline:
    """Attach the attention agent, its topics and tables to app."""
    pipeline = AttentionPipeline(app, settings, sink, health, source_partitions)
    app.agent(pipeline.source, name="attentions", supervisor_strategy=CrashingSupervisor)(
        pipeline.process
    )
    return pipeline
