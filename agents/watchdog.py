"""The last line of defence against a stuck worker: a batch that runs past its deadline stops it.

Every await of a batch is bounded on its own (the ClickHouse retry window, the journal flush),
yet a worker that hangs for a reason nobody foresaw must not keep its partitions while /health
fails and lag grows. A thread outside the event loop (it works even if the loop is blocked)
checks the running batches every second; past ATENCIONES_WORKER_BATCH_TIMEOUT_S it logs where
every asyncio task and thread was waiting — the evidence to find the cause — and ends the
process with exit code 75. Its supervisor starts it again; the batch, never released, is read
again (nothing lost, nothing applied twice).
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
import traceback
from collections.abc import Callable

from agents.health import WorkerHealth

log = logging.getLogger(__name__)
STUCK_EXIT_CODE = 75  # EX_TEMPFAIL: try again


def await_chain(coro: object) -> str:
    """file:line of each coroutine down the chain of awaits from `coro`, innermost last."""
    lines = []
    while coro is not None:
        frame = getattr(coro, "cr_frame", None)
        if frame is not None:
            code = frame.f_code
            lines.append(f"  {code.co_filename}:{frame.f_lineno} in {code.co_name}")
        coro = getattr(coro, "cr_await", None)
    return "\n".join(lines)


def where_it_waits(health: WorkerHealth) -> str:
    """The await chain of each batch in hand and the stack of every thread (a write to
    ClickHouse runs in one), innermost frame last."""
    parts = [f"batch of {agent}:\n{await_chain(work)}" for agent, work in health.in_hand.items()]
    for ident, frame in sys._current_frames().items():
        name = next((t.name for t in threading.enumerate() if t.ident == ident), str(ident))
        parts.append(f"thread {name}:\n{''.join(traceback.format_stack(frame)).rstrip()}")
    return "\n".join(parts)


class BatchWatchdog:
    def __init__(
        self,
        health: WorkerHealth,
        timeout_s: float,
        exit_process: Callable[[int], object] = os._exit,
    ) -> None:
        self.health = health
        self.timeout_s = timeout_s
        self.exit_process = exit_process
        self._stop = threading.Event()

    def start(self, every_s: float = 1.0) -> threading.Thread:
        thread = threading.Thread(
            target=self._watch, args=(every_s,), name="batch-watchdog", daemon=True
        )
        thread.start()
        return thread

    def stop(self) -> None:
        self._stop.set()

    def _watch(self, every_s: float) -> None:
        while not self._stop.wait(every_s):
            if self.check(time.monotonic()):
                return

    def check(self, now: float) -> bool:
        """Stop the process if a batch is overdue; True if it did."""
        overdue = self.health.overdue_batches(self.timeout_s, now)
        if not overdue:
            return False
        agents = ", ".join(f"{agent} ({age:.0f} s)" for agent, age in overdue.items())
        try:
            log.critical(
                "batch past its %.0f s deadline: %s; the worker stops (its supervisor restarts "
                "it). Where it waits:\n%s",
                self.timeout_s, agents, where_it_waits(self.health),
            )  # fmt: skip
            for handler in logging.getLogger().handlers:
                handler.flush()
        finally:
            self.exit_process(STUCK_EXIT_CODE)
        return True
