"""The one place where the agents depend on Faust's behaviour beyond its documented API.

Pinned by tests/integration/test_faust_bridge.py: a Faust upgrade that changes any of this fails
there, loudly, instead of losing events in production.

1. `held_batches`: Faust's `Stream.take_events` acknowledges every event of a batch when the
   batch's iteration ends — also when processing raised, or when a stop cancelled the agent in
   the middle of a ClickHouse write — and Faust then commits those offsets: events whose effects
   were never written would be skipped for good. Each event is therefore held by one extra
   reference (`Message.incref`) until `release` is called, after its effects are durable.
2. `current_event`: table reads and writes go to the store and changelog partition of "the
   current event", a context variable that Faust sets per message. A batch mixes partitions, so
   the agents make an event of the right partition current around each table access, then put
   the previous one back (take_events pairs the stream's current event with the next message it
   buffers; leaving another one there loses that message).
3. `flush_durably`: table writes are buffered by Faust's ProducerBuffer; its `flush` gives up
   after 0.1 s without progress, so it is called until the buffer is empty, then the Kafka
   producer is flushed. Neither counts a message the buffer has taken but whose send still
   waits (for the topic's metadata, say): `track_table_writes` keeps each write's future
   (the producer's `send_soon` is wrapped) and the flush waits for every one of them, and
   fails on an error instead of calling the batch durable.
4. `BulkLane`: Faust hands every record to its agents one by one (a task per record in the
   fetcher loop, the conductor's lock and flow control, an Event, a channel queue, the stream's
   iteration): ~70 µs a record, a ceiling of ~14,000 records/s for an agent that does nothing
   on this machine. The lane takes the records of one topic out of the consumer's fetch in
   bulk — the fetcher's `getmany` on this app's consumer is wrapped — as Faust's own messages,
   each fetched chunk tracked as in flight by its last record (so a rebalance waits for the
   batch in hand) and acknowledged through
   the consumer (so Faust's commits, gaps and rebalances work as for its streams). Records of
   every other topic (changelogs, relevant cases) take Faust's usual path.
5. `bounded_stop_wait`: on stop, Faust waits (`wait_empty`) until every record in flight is
   acknowledged, with no limit — and a batch held while ClickHouse is down is never
   acknowledged, so a stop hung until the supervisor's SIGKILL. The app's `_stop_consumer` is
   wrapped: after a grace, the records still in flight are forgotten by the consumer's in-flight
   set *without* being acknowledged (Faust commits acknowledged offsets only), so the stop
   commits what is done and ends; the rest is read again after the restart.
6. `shorten_fetch_wait`: Faust builds its aiokafka consumer with `fetch_max_wait_ms=1500`, fixed.
   aiokafka keeps one fetch in flight per broker and leaves out of it the partitions whose
   records are not consumed yet; a fetch that so carries only quiet partitions (changelogs,
   relevant cases) is held by the broker for the whole wait, and the busy topic is not fetched
   meanwhile: records at a steady 1,000/s reached the worker 1.5-1.8 s late every few seconds,
   while a plain consumer saw them within 0.4 s. The live fetcher's wait is set lower.
7. `BulkLane.rewind`: a partition whose records do not follow on from its state
   (agents/continuity.py) is read again from the state's next offset: the records past the hole
   are forgotten by the consumer's in-flight set without being acknowledged, the partition is
   sought in the consumer's thread (`seek_wait`), and what was fetched for it before the seek is
   dropped — the lane numbers its fetches, and the partition's first records of a later fetch
   are the ones read from the new position (aiokafka drops a partition's buffered records on a
   seek). Faust's `ack` leaves a record below the committed offset in the in-flight set (a
   rebalance would wait for it for ever): `release` takes such records out itself. Pinned
   through a whole worker by tests/integration/test_pipeline.py (`…follow_the_state…`).
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import faust
from faust.events import Event
from faust.types import TP, AppT, EventT, Message, StreamT
from mode.utils.queues import FlowControlQueue

from agents.batch_fill import Chunk, fill_batch

log = logging.getLogger(__name__)

# The widest gap between two records taken for transaction markers (one offset each; the
# consumer reads uncommitted, so aborted records come as records). A wider one is checked by
# reading the partition again from the gap's start (agents/continuity.py).
MARKER_GAP = 16
FLUSH_ROUNDS = 600  # x 0.1 s at most without progress: a broker that takes a minute is down


async def held_batches(
    stream: StreamT[bytes], size: int, within: float
) -> AsyncIterator[Sequence[EventT]]:
    """Batches of at most `size` events (`within` seconds at most to fill one); no event's
    offset becomes committable before `release` is called for it."""
    track_table_writes(stream.app)
    async for events in stream.take_events(size, within=within):  # type: ignore[attr-defined]
        for event in events:
            event.message.incref()
        yield events


async def release(stream: StreamT[bytes], events: Iterable[EventT]) -> None:
    """The events' effects are durable: their offsets may be committed."""
    for event in events:
        await stream.ack(event)


@contextmanager
def current_event(stream: StreamT[bytes], event: EventT) -> Iterator[None]:
    """Make `event` current (its partition's table store and changelog), then restore."""
    previous = stream.current_event
    stream._set_current_event(event)  # type: ignore[attr-defined]
    try:
        yield
    finally:
        stream._set_current_event(previous)  # type: ignore[attr-defined]


def bounded_stop_wait(app: faust.App, grace_s: float) -> None:
    """On stop, wait at most grace_s for the records in flight (see 5. above)."""
    stop_consumer = app._stop_consumer

    async def stop_within_grace() -> None:
        consumer = app.consumer
        in_flight = consumer._unacked_messages  # type: ignore[attr-defined]
        deadline = asyncio.get_running_loop().time() + grace_s
        while in_flight and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.1)
        if in_flight:
            log.warning(
                "stop: %d records in flight after %.0f s are not committed; they are read "
                "again after the restart", len(in_flight), grace_s,
            )  # fmt: skip
            in_flight.clear()
        await stop_consumer()

    app._stop_consumer = stop_within_grace  # type: ignore[method-assign]


def shorten_fetch_wait(app: faust.App, wait_ms: int) -> int:
    """The broker's longest hold of a fetch with no new records (see 6. above); call once the
    consumer runs (the agent's start). The fetcher reads it for every fetch it builds. Returns
    the wait it replaced; fails if the fetcher no longer has one (an aiokafka change)."""
    fetcher = app.consumer._thread._consumer._fetcher  # type: ignore[attr-defined]
    before = getattr(fetcher, "_fetch_max_wait_ms", None)
    if not isinstance(before, int):
        raise RuntimeError(f"aiokafka's fetcher has no fetch wait to shorten ({before!r})")
    fetcher._fetch_max_wait_ms = wait_ms
    return before


class FlushError(RuntimeError):
    """Buffered table writes did not reach the broker."""


def track_table_writes(app: faust.App | AppT) -> None:
    """Keep the future of every message the app's producer buffers from now on (table
    changelog writes), for `flush_durably`. Call before the first table write."""
    producer: Any = app.producer
    if getattr(producer, "_atenciones_writes", None) is not None:
        return
    writes: list[asyncio.Future[Any]] = []
    buffered = producer.send_soon

    def send_soon(fut: Any) -> None:
        writes.append(fut)
        buffered(fut)

    producer._atenciones_writes = writes
    producer._atenciones_acknowledged = 0
    producer.send_soon = send_soon


async def flush_durably(app: faust.App) -> None:
    """Wait until every table write made so far is acknowledged by the broker (3. above): the
    buffer drained, then each write's own future — the buffer and aiokafka's flush do not
    count a message the buffer has handed over whose send still waits (e.g. for metadata)."""
    producer: Any = app.producer
    buffer = producer.buffer
    for _ in range(FLUSH_ROUNDS):
        await producer.flush()
        if not buffer.size:
            break
    else:
        raise FlushError(f"{buffer.size} table writes still buffered after a minute")
    writes = getattr(producer, "_atenciones_writes", None)
    if not writes:
        return
    # every write not known done, also another agent's (which that agent's flush waits for too)
    pending = list(writes)
    _, late = await asyncio.wait(pending, timeout=FLUSH_ROUNDS * 0.1)
    if late:
        raise FlushError(f"{len(late)} table writes not acknowledged by the broker after a minute")
    for write in pending:
        if write.cancelled():
            raise FlushError("a table write was cancelled before the broker acknowledged it")
        if (error := write.exception()) is not None:
            raise FlushError(f"a table write failed: {error!r}") from error
    done = set(map(id, pending))
    before = len(writes)
    writes[:] = [write for write in writes if id(write) not in done]
    producer._atenciones_acknowledged += before - len(writes)


def acknowledged_table_writes(app: faust.App) -> int:
    """How many table writes `flush_durably` has seen acknowledged (pinned by a test)."""
    return int(getattr(app.producer, "_atenciones_acknowledged", 0))


class BulkLane:
    """The records of one topic, in bulk, out of the app consumer's fetch (see 4. above)."""

    def __init__(self, app: faust.App, topic: str, max_records: int, max_chunks: int = 16) -> None:
        self.app = app
        self.topic = topic
        self.max_records = max_records
        self.max_chunks = max_chunks
        self._queue: FlowControlQueue[Chunk[Message]] | None = None
        self._carry: Chunk[Message] = Chunk([])
        self._consumer: Any = None  # the app consumer, once installed
        self._fetches = 0  # fetches handed over so far: tells a rewound partition's stale records
        # partition -> (offset it was rewound to, fetches handed over before the seek, the
        # consumer generation then: a rebalance since has sought it anew)
        self._rewound: dict[int, tuple[int, int, int]] = {}
        # (partition, first offset of a chunk) -> the lowest offset the chunk accounts for
        self._covers_from: dict[tuple[int, int], int] = {}

    def install(self) -> None:
        """Wrap the consumer's getmany; call from the agent, before the fetcher starts (Faust
        starts it once the agents run, and again after each rebalance)."""
        track_table_writes(self.app)
        consumer: Any = self.app.consumer
        if getattr(consumer, "_atenciones_lane", None) is self:
            return
        # rebalances clear it (app.flow_control.clear), like Faust's own channel queues
        self._queue = FlowControlQueue(
            maxsize=self.max_chunks, flow_control=self.app.flow_control, clear_on_resume=True
        )
        self._carry = Chunk([])
        self._consumer = consumer
        consumer.getmany = self._getmany
        consumer._atenciones_lane = self

    def _still_current(self, generation: int) -> bool:
        return bool(self._consumer.flow_active) and generation == self.app.consumer_generation_id

    async def _getmany(self, timeout: float) -> AsyncIterator[tuple[TP, Message]]:
        """The consumer's getmany: the lane's topic into the queue, in chunks; other topics'
        records yielded one by one, as Faust's fetcher expects."""
        consumer = self._consumer
        records, active = await consumer._wait_next_records(timeout)
        if records is None or consumer.should_stop:
            return
        self._fetches += 1
        fetch = self._fetches
        generation = self.app.consumer_generation_id
        others = []
        for tp, batch in records.items():
            if not self._still_current(generation):
                await self._reread_if_flow_stopped()
                return
            buffered = consumer._buffered_partitions
            inactive = active is not None and tp not in active and tp not in buffered
            if tp.topic != self.topic:
                if not inactive:
                    others.append((tp, batch))
            elif inactive:
                await self._seek_back(tp, batch)
            elif not self._fetched_before_rewind(tp, batch, fetch):
                messages = await self._new_messages(tp, batch)
                if not await self._queue_chunk(tp, messages, generation):
                    await self._reread_if_flow_stopped()
                    return
        for tp, batch in others:
            for record in batch:
                yield tp, consumer._to_message(tp, record)

    async def _reread_if_flow_stopped(self) -> None:
        """Records of this fetch are being dropped. If the flow stopped (not a new generation:
        the rebalance seeks by itself), seek every partition back to its committed offset, as
        Faust's own getmany does, so the dropped records are fetched again once it resumes."""
        consumer = self._consumer
        if consumer.flow_active:
            return
        log.info("lane: records fetched while the flow stopped: seek back to committed offsets")
        try:
            await consumer.perform_seek()
        except Exception as error:  # as Faust: a failed seek is logged, not fatal
            log.warning("lane: seek to committed offsets failed: %s", error)

    async def _seek_back(self, tp: TP, batch: list[Any]) -> None:
        """Records fetched while their partition was being paused (the set of active partitions
        changes under a fetch in flight, e.g. during recovery). Faust drops such records and
        counts on a later seek to its committed offset, which does not happen for a partition
        with no commit yet: those records would never be read again. Seek back to them."""
        if batch and tp in self._consumer.assignment():
            first = batch[0].offset
            log.info("lane: %s fetched while paused: seek back to %d", tp, first)
            await self._consumer.seek(tp, first)

    def _fetched_before_rewind(self, tp: TP, batch: list[Any], fetch: int) -> bool:
        """True for records of a rewound partition fetched before its seek (dropped). The
        first records fetched after it account for everything from the rewound offset on (the
        log may start later, or with transaction markers)."""
        rewound = self._rewound.get(tp.partition)
        if rewound is None or not batch:
            return False
        offset, fetches_before, generation = rewound
        if generation != self.app.consumer_generation_id:
            del self._rewound[tp.partition]
            return False
        if fetch <= fetches_before:
            log.info("lane: %s %d records fetched before its rewind dropped", tp, len(batch))
            return True
        del self._rewound[tp.partition]
        self._covers_from[(tp.partition, batch[0].offset)] = offset
        return False

    def covered_from(self, partition: int, offset: int) -> int:
        """The lowest offset the record at `offset` accounts for: itself, or the start of a gap
        the fetcher saw before it (agents/continuity.py)."""
        return self._covers_from.get((partition, offset), offset)

    async def _new_messages(self, tp: TP, batch: list[Any]) -> list[Message]:
        """As Faust's fetcher loop: skip records below the read offset, mark gaps (e.g.
        transaction markers: nothing to acknowledge there), advance the read offset."""
        consumer = self._consumer
        read_offsets = consumer._read_offset
        messages = []
        for record in batch:
            offset, read = record.offset, read_offsets[tp]
            if read is not None and offset < read:
                log.info("lane: %s offset %d below read offset %d: skipped", tp, offset, read)
                continue
            if read and offset - read > 1:
                await consumer._add_gap(tp, read + 1, offset)
                if offset - read <= MARKER_GAP:
                    key = (tp.partition, offset)
                    self._covers_from[key] = min(read + 1, self._covers_from.get(key, offset))
            messages.append(consumer._to_message(tp, record))
            read_offsets[tp] = offset
        return messages

    async def _queue_chunk(self, tp: TP, messages: list[Message], generation: int) -> bool:
        """Track and queue one partition's new records; False when the flow stopped or the
        generation changed meanwhile (the records are dropped, and read again from the
        committed offset by whoever owns the partition)."""
        if not messages:
            return True
        consumer = self._consumer
        # In flight until acknowledged: a rebalance waits for every tracked record. The chunk's
        # last record stands for the chunk (its records are released together or before it),
        # which spares a weak reference and a sensor call per record.
        consumer.track_message(messages[-1])
        # Back-pressure by polling: a putter blocked on a full queue would be stranded when a
        # rebalance clears it. And never wait for flow control holding tracked records: the
        # rebalance waits for every tracked record to be acknowledged.
        queue = self._queue
        assert queue is not None
        while self._full(queue) and self._still_current(generation):
            await asyncio.sleep(0.005)
        if not self._still_current(generation):
            log.info(
                "lane: %d records of %s dropped (flow %s, generation %d -> %d)",
                len(messages), tp, consumer.flow_active, generation,
                self.app.consumer_generation_id,
            )  # fmt: skip
            self._forget_in_flight(messages)
            return False
        queue.force_put_nowait(Chunk(messages))
        return True

    def _forget_in_flight(self, messages: Iterable[Message]) -> None:
        """Take records out of the consumer's in-flight set without acknowledging them (a
        rebalance waits for every record in it; they are read again, not committed)."""
        discard = self._consumer._unacked_messages.discard
        for message in messages:
            discard(message)

    def _full(self, queue: FlowControlQueue[Chunk[Message]]) -> bool:
        # Bounded in records, not only in chunks: a chunk is what one fetch brought for one
        # partition, which in a backlog is a whole compressed megabyte (~20,000 records); 16
        # of them held ~250 MiB of messages waiting. A chunk always fits in an empty queue.
        chunks: Iterable[Chunk[Message]] = queue._queue  # type: ignore[attr-defined]
        return queue.full() or sum(map(len, chunks)) >= self.max_records

    async def batches(self, size: int, within: float) -> AsyncIterator[list[Message]]:
        """Batches of at most `size` records, waiting at most `within` seconds to fill one
        after its oldest record arrived (agents/batch_fill.py). Records of an earlier consumer
        generation (fetched before a rebalance) are dropped: they are read again by whoever
        owns their partition now."""
        assert self._queue is not None, "install() first"
        queue = self._queue
        while True:
            first = self._carry if self._carry else await queue.get()
            batch, self._carry = await fill_batch(queue, first, size, within, self._current)
            if batch:
                yield batch

    def _current(self, messages: list[Message]) -> list[Message]:
        generation = self.app.consumer_generation_id
        current = [m for m in messages if m.generation_id == generation]
        if len(current) < len(messages):
            log.info(
                "lane: %d records of generation %s dropped (now %d)",
                len(messages) - len(current), messages[0].generation_id, generation,
            )  # fmt: skip
        return current

    def release(self, messages: Iterable[Message]) -> None:
        """The records' effects are durable: their offsets may be committed."""
        consumer: Any = self.app.consumer
        ack, in_flight = consumer.ack, consumer._unacked_messages
        for message in messages:
            if not ack(message):  # below the committed offset (read again after a rewind)
                in_flight.discard(message)
        if self._covers_from:  # gaps seen: forget those of the records released
            newest = {message.partition: message.offset for message in messages}
            self._covers_from = {
                (p, o): start
                for (p, o), start in self._covers_from.items()
                if o > newest.get(p, -1)
            }

    async def rewind(self, offsets: dict[int, int], dropped: Iterable[Message]) -> None:
        """Read these partitions again from these offsets (see 7. above); `dropped` are the
        records of the batch in hand past them, never to be acknowledged."""
        consumer = self._consumer
        self._forget_in_flight(dropped)
        queue = self._queue
        assert queue is not None
        chunks = queue._queue  # type: ignore[attr-defined]
        for chunk in [c for c in chunks if c and c[0].partition in offsets]:
            chunks.remove(chunk)
            self._forget_in_flight(chunk)
        self._forget_in_flight(m for m in self._carry if m.partition in offsets)
        carry = [m for m in self._carry if m.partition not in offsets]
        self._carry = Chunk(carry, self._carry.arrived)
        self._covers_from = {k: v for k, v in self._covers_from.items() if k[0] not in offsets}
        assigned = consumer.assignment()
        seeks = {tp: o for p, o in offsets.items() if (tp := TP(self.topic, p)) in assigned}
        generation = self.app.consumer_generation_id
        for tp, offset in seeks.items():  # whatever is handed over during the seek is stale
            self._rewound[tp.partition] = (offset, sys.maxsize, generation)
        try:
            await consumer.seek_wait(seeks)
        except Exception as error:  # e.g. the partition moved meanwhile: its owner reads it
            log.warning("lane: rewind of %s failed: %s", sorted(offsets), error)
            for tp in seeks:  # the hole is still there: the next batch finds it again
                self._rewound.pop(tp.partition, None)
            return
        for tp, offset in seeks.items():
            self._rewound[tp.partition] = (offset, self._fetches, generation)


def event_for(app: faust.App, message: Message) -> EventT:
    """A Faust event for a message of the lane (table writes need the current event)."""
    event: EventT = Event(app, message.key, message.value, message.headers, message)
    return event
