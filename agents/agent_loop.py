"""How both agents consume: held batches, each processed whole; a failure the agent cannot
handle stops the worker (its supervisor restarts it) and the batch, never released, is read
again."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

import faust
from faust.types import EventT, StreamT

from agents.faust_bridge import held_batches
from agents.health import WorkerHealth

log = logging.getLogger(__name__)
CRASH_EXIT_GRACE_S = 10.0  # a crashed agent's worker exits by then at the latest
BatchHandler = Callable[[StreamT[bytes], Sequence[EventT]], Coroutine[Any, Any, None]]


async def run_batches(
    app: faust.App,
    health: WorkerHealth,
    agent: str,
    stream: StreamT[bytes],
    *,
    batch: tuple[int, float],
    handle: BatchHandler,
) -> None:
    """handle(stream, events) for every batch of at most batch[0] events (batch[1] seconds)."""
    size, within = batch
    try:
        async for events in held_batches(stream, size, within):
            work = handle(stream, events)
            health.batch_started(agent, work)
            await work
            health.batch_ended(agent)
    except asyncio.CancelledError:
        health.batch_ended(agent, completed=False)
        raise  # a stop: the batch in hand was not released, so it is read again
    except Exception as exc:
        health.batch_ended(agent, completed=False)
        log.exception("agent %s crashed; the worker stops and its supervisor restarts it", agent)
        health.agent_crashed(agent, exc)
        asyncio.get_running_loop().call_later(CRASH_EXIT_GRACE_S, os._exit, 70)
        await app.crash(exc)
        raise
