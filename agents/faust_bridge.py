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
   producer is flushed (every write acknowledged by the broker).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from contextlib import contextmanager

import faust
from faust.types import EventT, StreamT

FLUSH_ROUNDS = 600  # x 0.1 s at most without progress: a broker that takes a minute is down


async def held_batches(
    stream: StreamT[bytes], size: int, within: float
) -> AsyncIterator[Sequence[EventT]]:
    """Batches of at most `size` events (`within` seconds at most to fill one); no event's
    offset becomes committable before `release` is called for it."""
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


class FlushError(RuntimeError):
    """Buffered table writes did not reach the broker."""


async def flush_durably(app: faust.App) -> None:
    """Wait until every table write made so far is acknowledged by the broker."""
    producer = app.producer
    buffer = producer.buffer
    for _ in range(FLUSH_ROUNDS):
        await producer.flush()
        if not buffer.size:
            return
    raise FlushError(f"{buffer.size} table writes still buffered after a minute")
