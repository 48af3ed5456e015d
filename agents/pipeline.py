"""The agents: validate, apply revisions, count by Lima day and 5-minute bucket, sink to ClickHouse.

One path per batch of records (up to ATENCIONES_WORKER_BATCH_SIZE, at most
ATENCIONES_WORKER_BATCH_SECONDS old):
1. decode + validate; invalid records -> dead-letter topic (original bytes and origin);
2. revision rules against the `attention-states` table (agents/batch.py, pure);
3. table writes, all synchronous so a Faust commit takes all of a batch's writes or none;
4. one ClickHouse write of the batch's rows and absolute counts (in a thread), retried until it
   succeeds, before the batch's offsets are acknowledged.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import faust
from faust.types import EventT, StreamT

from agents import metrics
from agents.batch import BatchEffect, SourceRecord, apply_batch
from agents.revisions import Counted
from atenciones.settings import Settings
from clickhouse.writer import AttentionRow, SinkBatch, SinkWriter
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


def day_key(partition: int, day: str, classification: Sequence[str]) -> str:
    return f"{partition}|{day}|{'|'.join(classification)}"


def bucket_key(partition: int, bucket_ms: int, channel: str, office: str) -> str:
    return f"{partition}|{bucket_ms}|{channel}|{office}"


class AttentionPipeline:
    """The tables and the per-batch logic of the attention agent."""

    def __init__(
        self, app: faust.App, settings: Settings, writer_factory: Callable[[], SinkWriter]
    ):
        self.settings = settings
        self.writer_factory = writer_factory
        self._writer: SinkWriter | None = None
        partitions = settings.topic_partitions
        self.source = app.topic(
            settings.attentions_topic,
            key_type=bytes,
            value_type=bytes,
            value_serializer="raw",
            partitions=partitions,
        )
        self.dead_letters = app.topic(
            settings.dlq_topic, key_serializer="raw", value_serializer="raw"
        )
        # Keys carry the source partition: Faust keeps a table's keys per source partition, and
        # a key present in two partitions would be read from either.
        self.states = app.Table(
            "attention-states",
            default=None,
            partitions=partitions,
        )
        self.day_counts = app.Table(
            "day-counts",
            default=int,
            partitions=partitions,
        )
        self.bucket_counts = app.Table(
            "bucket-counts",
            default=int,
            partitions=partitions,
        )
        self._live_buckets: dict[int, dict[int, set[str]]] = {}

    # -- the agent -------------------------------------------------------------------------

    async def process(self, stream: StreamT[bytes]) -> None:
        async for events in stream.take_events(  # type: ignore[attr-defined]
            self.settings.worker_batch_size, within=self.settings.worker_batch_seconds
        ):
            await self.process_batch(stream, events)

    async def process_batch(self, stream: StreamT[bytes], events: Sequence[EventT]) -> None:
        metrics.EVENTS_IN.inc(len(events))
        decoded = decode_batch(events)
        for letter in decoded.dead_letters:
            metrics.EVENTS_DLQ.labels(letter.reason.value).inc()
            log.warning(
                "dead letter %s/%s/%s: %s", letter.topic, letter.partition, letter.offset,
                letter.reason.value,
            )  # fmt: skip
            await self.dead_letters.send(
                key=letter.key, value=letter.to_json(), headers=letter.headers()
            )
        if not decoded.valid:
            return
        metrics.EVENTS_VALID.inc(len(decoded.valid))
        sink = self.apply(stream, decoded.valid)
        await self.write(sink)

    def apply(self, stream: StreamT[bytes], valid: list[tuple[EventT, Attention]]) -> SinkBatch:
        """Revision rules + table writes for one batch; synchronous on purpose (see module doc)."""
        last_event: dict[int, EventT] = {}
        records = []
        for event, attention in valid:
            partition = event.message.partition
            last_event[partition] = event
            records.append(SourceRecord(partition, event.message.offset, attention))

        # Table reads and writes use the partition of "the current event" (its RocksDB and its
        # changelog partition); a batch mixes partitions, so each access first makes an event of
        # the key's partition current.
        def lookup(partition: int, attention_id: str) -> Counted | None:
            stream._set_current_event(last_event[partition])  # type: ignore[attr-defined]
            return self._lookup(attention_id)

        effect = apply_batch(records, lookup)
        for outcome, count in effect.outcomes.items():
            metrics.OUTCOMES.labels(outcome.value).inc(count)
        sink = SinkBatch()
        for partition, event in last_event.items():
            stream._set_current_event(event)  # type: ignore[attr-defined]
            self._write_partition(partition, effect, sink)
        return sink

    def _lookup(self, attention_id: str) -> Counted | None:
        """The state of an attention in the current event's partition."""
        raw = self.states.get(attention_id)
        return None if raw is None else Counted.from_json(raw)

    def _write_partition(self, partition: int, effect: BatchEffect, sink: SinkBatch) -> None:
        for attention_id, (p, counted) in effect.states.items():
            if p == partition:
                self.states[attention_id] = counted.to_json()
        for attention_id, p in effect.touched.items():
            if p == partition:
                known = effect.states.get(attention_id)
                current = known[1] if known else self._lookup(attention_id)
                if current is not None:
                    sink.attentions.append(_attention_row(attention_id, current))
        for key, delta in effect.day_deltas.items():
            if key[0] != partition:
                continue
            p, day, classification = key
            table_key = day_key(p, day.isoformat(), classification)
            value = self.day_counts[table_key] + delta
            self.day_counts[table_key] = value
            sink.day_counts.append((day, *classification, p, value, effect.versions[key]))
        horizon_ms = int((time.time() - BUCKET_RETENTION.total_seconds()) * 1000)
        for bucket, delta in effect.bucket_deltas.items():
            bp, bucket_ms, channel, office = bucket
            if bp != partition or bucket_ms < horizon_ms:
                continue  # only the live hours are kept as buckets
            table_key = bucket_key(bp, bucket_ms, channel, office)
            value = self.bucket_counts[table_key] + delta
            self.bucket_counts[table_key] = value
            self._live_buckets.setdefault(bp, {}).setdefault(bucket_ms, set()).add(table_key)
            start = datetime.fromtimestamp(bucket_ms / 1000, tz=UTC)
            sink.buckets.append((start, channel, office, bp, value, effect.versions[bucket]))
        self._forget_old_buckets(partition, horizon_ms)

    def _forget_old_buckets(self, partition: int, horizon_ms: int) -> None:
        live = self._live_buckets.get(partition, {})
        for bucket_ms in [b for b in live if b < horizon_ms]:
            for table_key in live.pop(bucket_ms):
                self.bucket_counts.pop(table_key, None)

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
