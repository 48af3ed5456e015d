"""ClickHouse writes from the agents, with the two kinds of failure told apart.

* Transient (ClickHouse unreachable, a timeout, a dropped connection): retried with exponential
  backoff, shown on /health and in the metrics, for at most ATENCIONES_SINK_RETRY_S; after that
  `SinkUnavailable` stops the worker, whose supervisor restarts it (nothing is retried forever,
  and nothing is committed that ClickHouse does not have).
* Refused data (ClickHouse or the driver rejects what it was given): tried once more, then
  `SinkRefused` tells the agent to isolate the records responsible (agents/pipeline.py).
"""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from collections.abc import Callable
from typing import TypeVar

from clickhouse_connect.driver.exceptions import OperationalError

from agents import metrics
from agents.health import WorkerHealth
from clickhouse.writer import SinkWriter

log = logging.getLogger(__name__)
T = TypeVar("T")

TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    OperationalError,  # the driver's "could not reach / read from the server"
    ConnectionError,
    TimeoutError,
    socket.timeout,
    OSError,
)


class SinkUnavailable(RuntimeError):
    """ClickHouse could not be reached for longer than the retry limit."""


class SinkRefused(RuntimeError):
    """ClickHouse (or the driver) refused the data itself, twice."""


def is_transient(error: BaseException) -> bool:
    return isinstance(error, TRANSIENT_ERRORS)


class Sink:
    """A SinkWriter made on demand, in a thread, with the retry policy above."""

    def __init__(
        self,
        writer_factory: Callable[[], SinkWriter],
        health: WorkerHealth,
        retry_limit_s: float,
        max_backoff_s: float = 10.0,
    ) -> None:
        self.writer_factory = writer_factory
        self.health = health
        self.retry_limit_s = retry_limit_s
        self.max_backoff_s = max_backoff_s
        self._writer: SinkWriter | None = None

    async def run(self, write: Callable[[SinkWriter], T]) -> T:
        """Run write(writer) until it succeeds, retrying transient failures; SinkRefused when
        the data was refused twice in a row."""
        delay = 0.5
        started = time.monotonic()
        refused = 0
        while True:
            began = time.perf_counter()
            try:
                result = await asyncio.to_thread(self._call, write)
            except Exception as exc:
                self._writer = None
                if not is_transient(exc):
                    refused += 1
                    log.warning("ClickHouse refused a write (%d): %s", refused, exc)
                    if refused >= 2:
                        raise SinkRefused(str(exc)[:500]) from exc
                else:
                    refused = 0
                    self.health.sink_failed(exc)
                    metrics.SINK_FAILURES.inc()
                    waited = time.monotonic() - started
                    if waited >= self.retry_limit_s:
                        raise SinkUnavailable(
                            f"ClickHouse unreachable for {waited:.0f} s: {exc}"
                        ) from exc
                    log.error("ClickHouse write failed (%s); retrying in %.1f s", exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.max_backoff_s)
                continue
            metrics.SINK_SECONDS.observe(time.perf_counter() - began)
            self.health.sink_succeeded()
            return result

    def _call(self, write: Callable[[SinkWriter], T]) -> T:
        if self._writer is None:
            self._writer = self.writer_factory()
        return write(self._writer)
