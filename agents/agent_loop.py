"""How both agents consume: batches whose offsets stay uncommitted until released, each
processed whole; a failure the agent cannot handle stops the worker (its supervisor restarts it)
and the batch, never released, is read again."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from typing import Any, TypeVar

import faust

from agents.health import WorkerHealth

log = logging.getLogger(__name__)
CRASH_EXIT_GRACE_S = 10.0  # a crashed agent's worker exits by then at the latest
T = TypeVar("T")


async def run_batches(
    app: faust.App,
    health: WorkerHealth,
    agent: str,
    batches: AsyncIterator[Sequence[T]],
    handle: Callable[[Sequence[T]], Coroutine[Any, Any, None]],
) -> None:
    """handle(batch) for every batch."""
    try:
        async for records in batches:
            work = handle(records)
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
