"""A worker whose counting has stalled with no batch in hand stops, so that it starts again.

A batch that hangs is the batch watchdog's (agents/watchdog.py); ClickHouse down is the sink's
retry window. What is left is a worker whose event loop runs but whose records do not come:
records wait and nothing is committed, on every partition or on some (seen after repeated
kill -9s: a restarted worker that never fetched again). /health says so after
ATENCIONES_HEALTH_STALL_S; past ATENCIONES_WORKER_STALL_EXIT_S this check logs the reasons and
where every asyncio task waits — the evidence for the cause — and ends the process with exit
code 75, so its supervisor starts a fresh one, which reads again from the committed offsets
(nothing lost, nothing applied twice). 0 turns it off.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Callable

import faust

from agents.health import WorkerHealth
from agents.watchdog import STUCK_EXIT_CODE, await_chain, where_it_waits
from agents.web import partition_lags

log = logging.getLogger(__name__)
CHECK_EVERY_S = 5.0


class StallExit:
    def __init__(
        self,
        health: WorkerHealth,
        exit_after_s: float,
        exit_process: Callable[[int], object] = os._exit,
        agent: str = "attentions",
    ) -> None:
        self.health = health
        self.exit_after_s = exit_after_s
        self.exit_process = exit_process
        # the agent whose records stall: only a batch of its in hand is the batch watchdog's
        # (another agent's batches — the incident agent's ticks every 5 s — must not reset it)
        self.agent = agent
        self.stalled_since: float | None = None

    def check(self, reasons: list[str], now: float, tasks: Callable[[], str] = str) -> bool:
        """Given the stall reasons now: stop the process if they have held, with no batch in
        hand, for exit_after_s; True if it did."""
        if not reasons or self.agent in self.health.running or not self.exit_after_s:
            self.stalled_since = None
            return False
        if self.stalled_since is None:
            self.stalled_since = now
        stalled = now - self.stalled_since
        if stalled < self.exit_after_s:
            return False
        log.error(
            "counting stalled for %.0f s with no batch in hand: %s; the worker stops (its "
            "supervisor restarts it). Where it waits:\n%s\n%s",
            stalled, "; ".join(reasons), where_it_waits(self.health), tasks(),
        )  # fmt: skip
        for handler in logging.getLogger().handlers:
            handler.flush()
        self.exit_process(STUCK_EXIT_CODE)
        return True


def asyncio_tasks() -> str:
    """The await chain of every asyncio task of the running loop."""
    return "\n".join(
        f"task {task.get_name()}:\n{await_chain(task.get_coro())}" for task in asyncio.all_tasks()
    )


def register_stall_exit(
    app: faust.App, topic: str, health: WorkerHealth, exit_after_s: float
) -> None:
    stall_exit = StallExit(health, exit_after_s)

    @app.timer(interval=CHECK_EVERY_S)
    async def check_for_a_stall() -> None:
        partitions = partition_lags(app, topic)
        lag = sum(behind for _, behind in partitions.values())
        stall_exit.check(
            health.stall_reasons(lag, partitions=partitions), time.monotonic(), asyncio_tasks
        )
