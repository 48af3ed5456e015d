"""The attention agent: validate, apply revisions, count by Lima day and 5-minute bucket, sink.

One path per batch of records (up to ATENCIONES_WORKER_BATCH_SIZE, at most
ATENCIONES_WORKER_BATCH_SECONDS old), taken in bulk from the consumer's fetch
(agents/faust_bridge.BulkLane, not Faust's per-record stream); no offset of the batch is
committable before step 6:
1. records at or below the partition state's applied offset are skipped (seen again after a
   crash: their effects are already in the state and in ClickHouse);
2. admission (agents/admission.py): decode + validate, invalid records -> dead letters; valid
   records on another partition than their key's murmur2 partition are forwarded there (the
   state of an attention lives on one partition whatever partitioner its producers used); with
   a state horizon set, records older than it -> dead letters (`beyond_horizon`);
3. revision rules against the partition's state (agents/batch.py, then agents/partition_plan.py;
   pure) -> rows and absolute counts, without touching the state yet;
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
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta

import faust
from faust.types import Message, StreamT
from mode.supervisors import CrashingSupervisor

from agents import gc_watch, metrics
from agents.admission import Valid, decode_batch, key_partition, split_beyond_horizon, split_foreign
from agents.agent_loop import run_batches
from agents.app import TABLE_STORE_OPTIONS, byte_topic
from agents.batch import Signal, SourceRecord, apply_records
from agents.batch_clock import BatchClock
from agents.continuity import first_missing
from agents.day_counts import day_count_key
from agents.dead_letters import Lettered, letter_for, letter_rows, send_letters
from agents.faust_bridge import (
    BulkLane,
    current_event,
    event_for,
    flush_durably,
    shorten_fetch_wait,
)
from agents.health import WorkerHealth
from agents.partition_plan import plan_partition
from agents.partition_states import PartitionStates
from agents.revisions import Outcome, shared
from agents.sink import Sink, SinkRefused
from agents.state import JournalPolicy, PartitionChanges, PartitionState, journal_batch
from clickhouse.writer import SinkBatch, classification_of
from foundation.settings import Settings
from schemas.reasons import Reason
from schemas.timestamps import lima_day_of_epoch

log = logging.getLogger(__name__)
BUCKET_RETENTION = timedelta(hours=3)


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
        self.source = byte_topic(app, settings.attentions_topic, partitions)
        self.dead_letters = byte_topic(app, settings.dlq_topic)
        self.journal = app.Table(
            "partition-journal", default=None, partitions=partitions,
            options=dict(TABLE_STORE_OPTIONS),
        )  # fmt: skip
        self.journal_policy = JournalPolicy(
            settings.worker_state_horizon_days, settings.worker_snapshot_min_states
        )
        self.states = PartitionStates(self.journal, self._assigned)
        self.lane = BulkLane(app, settings.attentions_topic, 2 * settings.worker_batch_size)
        # where first-seen service-failure attentions go (the incident agent), if anywhere
        # (signals, newest attention counted per source partition) -> the incident agent
        self.send_signals: Callable[[list[Signal], dict[int, int]], Awaitable[None]] | None = None
        app.on_partitions_revoked.connect(self.states.rebalanced)
        app.on_partitions_assigned.connect(self.states.rebalanced)

    def partition_state(self, partition: int) -> PartitionState:
        return self.states.of(partition)

    def _assigned(self) -> set[int]:
        return {
            tp.partition
            for tp in self.app.consumer.assignment()
            if tp.topic == self.source.get_topic_name()
        }

    # -- the agent -------------------------------------------------------------------------

    async def process(self, stream: StreamT[bytes]) -> None:
        """The agent: the topic's records come in bulk through the lane, not the stream (whose
        subscription still gives Faust the partitions and co-partitions the journal)."""
        self.lane.install()
        shorten_fetch_wait(self.app, self.settings.worker_fetch_wait_ms)
        batches = self.lane.batches(
            self.settings.worker_batch_size, self.settings.worker_batch_seconds
        )
        await run_batches(
            self.app, self.health, "attentions", batches,
            lambda messages: self.process_batch(stream, messages),
        )  # fmt: skip

    async def process_batch(self, stream: StreamT[bytes], messages: Sequence[Message]) -> None:
        clock = BatchClock()
        missing = first_missing(
            ((m.partition, m.offset) for m in messages),
            lambda partition: self.partition_state(partition).applied_offset,
            self.lane.covered_from,
        )
        if missing:
            messages = await self._read_again(messages, missing)
            if not messages:
                return
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
        valid, foreign = split_foreign(decoded.valid, self.source_partitions)
        valid, too_old = split_beyond_horizon(
            valid,
            self.settings.worker_state_horizon_days,
            lambda partition: self.partition_state(partition).high_water_ms,
        )
        letters = [*decoded.dead_letters, *too_old]
        if valid:
            metrics.EVENTS_VALID.inc(len(valid))
        clock.lap("admission")
        sink, changes, signals, progress = self.plan(valid)
        sink.dead_letters = letter_rows(letters)
        clock.lap("plan")
        try:
            await self.sink.run(lambda writer: writer.write(sink))
        except SinkRefused as exc:
            log.warning("ClickHouse refused a batch (%s): writing its records one by one", exc)
            changes, refused = await self.isolate(valid)
            letters = [*letters, *refused]
            gone = {(m.partition, m.offset) for m, _ in refused}
            refused_ids = {i for m, i, _ in valid if (m.partition, m.offset) in gone}
            signals = [signal for signal in signals if signal[0] not in refused_ids]
            repair = self.repair(sink)
            repair.dead_letters = letter_rows(letters)
            await self.sink.run(lambda writer: writer.write(repair))
        else:
            for partition, partition_changes in changes.items():
                partition_changes.apply_to(self.partition_state(partition))
        clock.lap("clickhouse")
        await send_letters(self.dead_letters, letters)
        await self.forward(foreign)
        if (signals or progress) and self.send_signals is not None:
            await self.send_signals(signals, progress)
        self.write_journal(stream, changes, last)
        clock.lap("journal")
        await flush_durably(self.app)
        clock.lap("kafka_acks")
        self.lane.release(messages)
        gc_watch.after_batch()
        clock.lap("release")
        clock.done(len(messages))

    async def _read_again(
        self, messages: Sequence[Message], missing: dict[int, int]
    ) -> list[Message]:
        """The batch without the records past each partition's hole; those partitions are
        read again from their first offset no batch held (agents/continuity.py)."""
        kept: list[Message] = []
        dropped: list[Message] = []
        first_read: dict[int, int] = {}
        for message in messages:
            partition, offset = message.partition, message.offset
            if partition in missing and offset >= missing[partition]:
                dropped.append(message)
                first_read.setdefault(partition, offset)
            else:
                kept.append(message)
        for partition, offset in sorted(missing.items()):
            metrics.REWINDS.inc()
            log.warning(
                "partition %d: its state holds the records up to offset %d, but the next one "
                "read is %d: the records in between were never counted; reading them again",
                partition, offset - 1, first_read[partition],
            )  # fmt: skip
        await self.lane.rewind(missing, dropped)
        return kept

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
        for record in valid:
            message = record[0]
            sink, changes, _, _ = self.plan([record])
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
        for count in failed.day_counts:
            classification = shared(classification_of(count))
            day_counts = self.partition_state(count.source_partition).day_counts
            value = day_counts.get(day_count_key(count.day, classification), 0)
            repair.day_counts.append(count._replace(partition_count=value))
        for bucket in failed.buckets:
            key = f"{int(bucket.bucket_start.timestamp() * 1000)}|{bucket.channel}|{bucket.office}"
            value = self.partition_state(bucket.source_partition).buckets.get(key, 0)
            repair.buckets.append(bucket._replace(partition_count=value))
        for quality in failed.quality:
            key = f"{quality.day.isoformat()}|{quality.outcome}"
            value = self.partition_state(quality.source_partition).quality.get(key, 0)
            repair.quality.append(quality._replace(partition_count=value))
        return repair

    def plan(
        self, valid: list[Valid]
    ) -> tuple[SinkBatch, dict[int, PartitionChanges], list[Signal], dict[int, int]]:
        """Revision rules for a batch against the partition states, which stay untouched: the
        rows to sink and, per source partition, the changes to apply once they are written; the
        incident detector's signals and the newest attention per source partition."""
        by_partition: dict[int, list[SourceRecord]] = {}
        for message, attention_id, counted in valid:
            records = by_partition.get(message.partition)
            if records is None:
                records = by_partition[message.partition] = []
            received_day = lima_day_of_epoch(message.timestamp)
            records.append(SourceRecord(message.offset, attention_id, counted, received_day))
        sink = SinkBatch()
        changes: dict[int, PartitionChanges] = {}
        signals: list[Signal] = []
        high_water_ms: dict[int, int] = {}
        outcomes: Counter[Outcome] = Counter()
        horizon_ms = int((time.time() - BUCKET_RETENTION.total_seconds()) * 1000)
        for partition, records in sorted(by_partition.items()):
            state = self.partition_state(partition)
            effect = apply_records(records, state.states.get)
            changes[partition] = plan_partition(partition, state, effect, sink, horizon_ms)
            outcomes.update(effect.outcomes)
            signals += effect.signals
            high_water_ms[partition] = effect.high_water_ms
        for outcome, count in outcomes.items():
            metrics.OUTCOMES.labels(outcome.value).inc(count)
        return sink, changes, signals, high_water_ms

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
