"""The agents: validate, apply revisions, count by Lima day and 5-minute bucket, sink to ClickHouse.

One path per batch of records (up to ATENCIONES_WORKER_BATCH_SIZE, at most
ATENCIONES_WORKER_BATCH_SECONDS old):
1. decode + validate; invalid records -> dead-letter topic (original bytes and origin);
2. revision rules against the partition's state (agents/batch.py, pure; agents/state.py);
3. one ClickHouse write of the batch's rows and absolute counts (in a thread), retried until it
   succeeds;
4. one journal entry per partition and batch, written synchronously so a Faust commit takes
   all of a batch's writes or none; then the batch's offsets are acknowledged.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import faust
from faust.types import EventT, StreamT

from agents import metrics
from agents.batch import BatchEffect, SourceRecord, apply_batch
from agents.revisions import Counted
from agents.state import PartitionState, journal_entries, journal_key, rebuild
from atenciones.settings import Settings
from clickhouse.writer import AttentionRow, DeadLetterRow, SinkBatch, SinkWriter
from schemas.attention import Attention
from schemas.dead_letter import DeadLetter
from schemas.decode import decode_attention
from schemas.reasons import ContractError
from schemas.timestamps import lima_day

log = logging.getLogger(__name__)
BUCKET_RETENTION = timedelta(hours=3)


@dataclass
class DecodedBatch:
    valid: list[tuple[EventT, Attention]]
    dead_letters: list[DeadLetter]


def decode_batch(events: Sequence[EventT], now: datetime | None = None) -> DecodedBatch:
    """Split a batch of Kafka events into valid attentions and dead letters (nothing dropped)."""
    now = now or datetime.now(tz=UTC)
    batch = DecodedBatch([], [])
    for event in events:
        message = event.message
        key, value = message.key, message.value
        try:
            batch.valid.append((event, decode_attention(key, value, now=now)))
        except ContractError as exc:
            batch.dead_letters.append(
                DeadLetter(
                    reason=exc.reason,
                    message=exc.message,
                    topic=message.topic,
                    partition=message.partition,
                    offset=message.offset,
                    key=key,
                    value=value,
                    failed_at=now,
                )
            )
    return batch


def received_at(event: EventT) -> datetime:
    """When the record reached Kafka (its record timestamp): deterministic on every replay."""
    return datetime.fromtimestamp(event.message.timestamp, tz=UTC)


def dead_letter_row(letter: DeadLetter, received: datetime) -> DeadLetterRow:
    """What ClickHouse keeps of a dead letter: origin, arrival and reason (never the payload)."""
    return (letter.topic, letter.partition, letter.offset, received, lima_day(received),
            letter.reason.value)  # fmt: skip


class AttentionPipeline:
    """The journal table, the in-memory partition states and the per-batch logic."""

    def __init__(
        self, app: faust.App, settings: Settings, writer_factory: Callable[[], SinkWriter]
    ) -> None:
        self.app = app
        self.settings = settings
        self.writer_factory = writer_factory
        self._writer: SinkWriter | None = None
        partitions = settings.topic_partitions
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
        self.journal = app.Table("partition-journal", default=None, partitions=partitions)
        self.partitions: dict[int, PartitionState] = {}
        app.on_partitions_revoked.connect(self._forget_partitions)
        app.on_partitions_assigned.connect(self._forget_partitions)

    async def _forget_partitions(self, *args: object, **kwargs: object) -> None:
        # Another worker may have counted a partition in between: rebuild from the journal.
        self.partitions.clear()

    def partition_state(self, partition: int) -> PartitionState:
        state = self.partitions.get(partition)
        if state is None:
            state = rebuild(self.journal.items(), partition)
            self.partitions[partition] = state
            log.info(
                "partition %d: %d attentions, %d day counts from the journal",
                partition, len(state.states), len(state.day_counts),
            )  # fmt: skip
        return state

    # -- the agent -------------------------------------------------------------------------

    async def process(self, stream: StreamT[bytes]) -> None:
        async for events in stream.take_events(  # type: ignore[attr-defined]
            self.settings.worker_batch_size, within=self.settings.worker_batch_seconds
        ):
            await self.process_batch(stream, events)

    async def process_batch(self, stream: StreamT[bytes], events: Sequence[EventT]) -> None:
        metrics.EVENTS_IN.inc(len(events))
        decoded = decode_batch(events)
        arrivals = {(e.message.partition, e.message.offset): received_at(e) for e in events}
        letter_rows = []
        for letter in decoded.dead_letters:
            letter_rows.append(dead_letter_row(letter, arrivals[(letter.partition, letter.offset)]))
            metrics.EVENTS_DLQ.labels(letter.reason.value).inc()
            log.warning(
                "dead letter %s/%s/%s: %s", letter.topic, letter.partition, letter.offset,
                letter.reason.value,
            )  # fmt: skip
            await self.dead_letters.send(
                key=letter.key, value=letter.to_json(), headers=letter.headers()
            )
        if not decoded.valid:
            await self.write(SinkBatch(dead_letters=letter_rows))
            return
        metrics.EVENTS_VALID.inc(len(decoded.valid))
        sink, journal_plan = self.apply(decoded.valid)
        sink.dead_letters = letter_rows
        # ClickHouse first, the journal after: a batch's journal entries open the partition's
        # Kafka transaction, which the broker aborts after 60 s (transaction.timeout.ms). Written
        # only once ClickHouse has the batch, a ClickHouse outage of any length leaves no
        # transaction open. A crash in between replays the batch from the previous state, which
        # rewrites the same absolute counts with the same versions (idempotent).
        await self.write(sink)
        self.write_journal(stream, journal_plan)

    def apply(
        self, valid: list[tuple[EventT, Attention]]
    ) -> tuple[SinkBatch, list[tuple[EventT, list[tuple[str, dict[str, Any]]]]]]:
        """Revision rules and in-memory state updates for one batch: the rows to sink and, per
        source partition, the journal entries to write (with an event of that partition)."""
        last_event: dict[int, EventT] = {}
        records = []
        for event, attention in valid:
            partition = event.message.partition
            last_event[partition] = event
            records.append(
                SourceRecord(
                    partition, event.message.offset, attention, lima_day(received_at(event))
                )
            )
        effect = apply_batch(
            records, lambda p, attention_id: self.partition_state(p).states.get(attention_id)
        )
        for outcome, count in effect.outcomes.items():
            metrics.OUTCOMES.labels(outcome.value).inc(count)
        sink = SinkBatch()
        horizon_ms = int((time.time() - BUCKET_RETENTION.total_seconds()) * 1000)
        plan = []
        for partition, event in last_event.items():
            state = self.partition_state(partition)
            changes = self._apply_partition(partition, state, effect, sink, horizon_ms)
            entries = []
            for entry in journal_entries(*changes):
                entries.append((journal_key(partition, state.next_sequence), entry))
                state.next_sequence += 1
            plan.append((event, entries))
        return sink, plan

    def write_journal(
        self, stream: StreamT[bytes], plan: list[tuple[EventT, list[tuple[str, dict[str, Any]]]]]
    ) -> None:
        """Write a batch's journal entries. Synchronous on purpose: a Faust commit then takes
        all of them or none.

        Table writes go to the changelog partition of "the current event"; a batch mixes
        partitions, so an event of each partition is made current while journaling it. Then the
        event that was current is put back: take_events pairs the stream's current event with
        the next message it buffers (another one there would lose that message).
        """
        current = stream.current_event
        try:
            for event, entries in plan:
                stream._set_current_event(event)  # type: ignore[attr-defined]
                for key, entry in entries:
                    self.journal[key] = entry
        finally:
            stream._set_current_event(current)  # type: ignore[attr-defined]

    def _apply_partition(
        self,
        partition: int,
        state: PartitionState,
        effect: BatchEffect,
        sink: SinkBatch,
        horizon_ms: int,
    ) -> tuple[dict[str, Counted], dict[str, int], dict[str, int], list[str], dict[str, int]]:
        new_states = {k: c for k, (p, c) in effect.states.items() if p == partition}
        state.states.update(new_states)
        for attention_id, p in effect.touched.items():
            current = state.states.get(attention_id) if p == partition else None
            if current is not None:
                sink.attentions.append(_attention_row(attention_id, current))
        day_changes: dict[str, int] = {}
        for key, delta in effect.day_deltas.items():
            p, day, classification = key
            if p != partition:
                continue
            table_key = f"{day.isoformat()}|{'|'.join(classification)}"
            value = _add_to_count(state.day_counts, day_changes, table_key, delta)
            sink.day_counts.append((day, *classification, p, value, effect.versions[key]))
        bucket_changes: dict[str, int] = {}
        for bucket, delta in effect.bucket_deltas.items():
            bp, bucket_ms, channel, office = bucket
            if bp != partition or bucket_ms < horizon_ms:
                continue  # only the live hours are kept as buckets
            table_key = f"{bucket_ms}|{channel}|{office}"
            value = _add_to_count(state.buckets, bucket_changes, table_key, delta)
            start = datetime.fromtimestamp(bucket_ms / 1000, tz=UTC)
            sink.buckets.append((start, channel, office, bp, value, effect.versions[bucket]))
        forgotten = state.forget_buckets_before(horizon_ms)
        quality_changes: dict[str, int] = {}
        for quality_key, delta in effect.quality_deltas.items():
            qp, day, outcome = quality_key
            if qp != partition:
                continue
            table_key = f"{day.isoformat()}|{outcome}"
            value = _add_to_count(state.quality, quality_changes, table_key, delta)
            sink.quality.append((day, outcome, qp, value, effect.versions[quality_key]))
        return new_states, day_changes, bucket_changes, forgotten, quality_changes

    async def write(self, sink: SinkBatch) -> None:
        """Write to ClickHouse, retrying until it works: while it fails, consumption waits."""
        delay = 0.5
        while True:
            started = time.perf_counter()
            try:
                await asyncio.to_thread(self._write_blocking, sink)
            except Exception as exc:
                metrics.SINK_FAILURES.inc()
                self._writer = None
                log.error("ClickHouse write failed (%s); retrying in %.1f s", exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)
                continue
            metrics.SINK_SECONDS.observe(time.perf_counter() - started)
            metrics.SINK_BATCHES.inc()
            metrics.SINK_ROWS.inc(len(sink))
            return

    def _write_blocking(self, sink: SinkBatch) -> None:
        if self._writer is None:
            self._writer = self.writer_factory()
        self._writer.write(sink)


def _add_to_count(counts: dict[str, int], changes: dict[str, int], key: str, delta: int) -> int:
    """Add delta to an absolute count of the partition state; record the new value as changed."""
    value = counts.get(key, 0) + delta
    counts[key] = changes[key] = value
    return value


def _attention_row(attention_id: str, counted: Counted) -> AttentionRow:
    occurred_at = datetime.fromtimestamp(counted.occurred_at_ms / 1000, tz=UTC)
    return (
        attention_id,
        counted.revision,
        counted.voided,
        occurred_at,
        lima_day(occurred_at),
        *counted.classification,
        counted.citizen_ref,
        counted.source,
    )


def register_agents(
    app: faust.App, settings: Settings, writer_factory: Callable[[], SinkWriter]
) -> AttentionPipeline:
    """Attach the attention agent, its topics and tables to app."""
    pipeline = AttentionPipeline(app, settings, writer_factory)
    app.agent(pipeline.source, name="attentions")(pipeline.process)
    return pipeline
