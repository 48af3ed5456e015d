"""How the bulk lane fills a batch: the window counts from the oldest record's arrival."""

from __future__ import annotations

import asyncio
import time

from agents.batch_fill import Chunk, fill_batch


def _queue(*chunks: Chunk[int]) -> asyncio.Queue[Chunk[int]]:
    queue: asyncio.Queue[Chunk[int]] = asyncio.Queue()
    for chunk in chunks:
        queue.put_nowait(chunk)
    return queue


def test_records_that_waited_go_at_once_with_everything_queued() -> None:
    """A chunk that arrived longer ago than the window does not wait again, and the chunks
    queued behind it join the batch."""
    old = time.monotonic() - 1.0

    async def scenario() -> tuple[list[int], Chunk[int], float]:
        queue = _queue(Chunk([3, 4], old), Chunk([5], old + 0.1))
        began = time.monotonic()
        batch, rest = await fill_batch(queue, Chunk([1, 2], old), 100, 0.5)
        return batch, rest, time.monotonic() - began

    batch, rest, took = asyncio.run(scenario())
    assert batch == [1, 2, 3, 4, 5]
    assert rest == []
    assert took < 0.25  # not the 0.5 s window again


def test_fresh_records_wait_for_the_window_and_take_what_arrives_in_it() -> None:
    async def scenario() -> tuple[list[int], float]:
        queue: asyncio.Queue[Chunk[int]] = asyncio.Queue()

        async def later() -> None:
            await asyncio.sleep(0.05)
            queue.put_nowait(Chunk([2]))

        began = time.monotonic()
        task = asyncio.create_task(later())
        batch, _ = await fill_batch(queue, Chunk([1]), 100, 0.3)
        await task
        return batch, time.monotonic() - began

    batch, took = asyncio.run(scenario())
    assert batch == [1, 2]
    assert 0.25 <= took < 1.0  # waited for the window, from the first record's arrival


def test_a_full_batch_leaves_the_rest_with_its_chunk_arrival() -> None:
    arrived = time.monotonic() - 5.0

    async def scenario() -> tuple[list[int], Chunk[int]]:
        queue = _queue(Chunk([4, 5, 6], arrived + 1))
        return await fill_batch(queue, Chunk([1, 2, 3], arrived), 4, 0.2)

    batch, rest = asyncio.run(scenario())
    assert batch == [1, 2, 3, 4]
    assert rest == [5, 6] and rest.arrived == arrived + 1


def test_kept_records_only() -> None:
    async def scenario() -> list[int]:
        queue = _queue(Chunk([10, 11], 0.0))
        batch, _ = await fill_batch(
            queue, Chunk([1, 12], 0.0), 100, 0.0, lambda rs: [r for r in rs if r > 9]
        )
        return batch

    assert asyncio.run(scenario()) == [12, 10, 11]
