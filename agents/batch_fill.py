"""How the bulk lane fills a batch from its queue of fetched chunks (pure asyncio, no Faust).

A batch waits at most `within` seconds after its oldest record *arrived* — not after the worker
got round to it: records that queued while the previous batch was being written have waited
already, so they go at once, together with everything else queued (up to the batch size).
Waiting `within` again from the moment they were taken added a whole batch window to the
latency of every record at a steady rate (agents/README.md, latency).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Protocol, TypeVar

T = TypeVar("T")


class Chunk(list[T]):
    """Records of one fetch of one partition, with the monotonic time they were queued."""

    def __init__(self, records: list[T], arrived: float | None = None) -> None:
        super().__init__(records)
        self.arrived = time.monotonic() if arrived is None else arrived


class ChunkQueue(Protocol[T]):
    def empty(self) -> bool: ...
    def get_nowait(self) -> Chunk[T]: ...
    async def get(self) -> Chunk[T]: ...


async def fill_batch(
    queue: ChunkQueue[T],
    first: Chunk[T],
    size: int,
    within: float,
    keep: Callable[[list[T]], list[T]] = lambda records: records,
) -> tuple[list[T], Chunk[T]]:
    """A batch starting with `first`: chunks already queued are taken at once; the batch waits
    for more only until `within` seconds after `first` arrived. `keep` filters each chunk's
    records (e.g. drops an earlier consumer generation's). Returns the batch (at most `size`
    records) and what did not fit, as a chunk with the arrival time of the chunk it came from."""
    batch = keep(first)
    deadline = first.arrived + within
    last = first
    while len(batch) < size:
        if queue.empty():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            try:
                last = await asyncio.wait_for(queue.get(), remaining)
            except TimeoutError:
                break
        else:
            last = queue.get_nowait()
        batch.extend(keep(last))
    return batch[:size], Chunk(batch[size:], last.arrived)
