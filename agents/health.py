"""What the worker knows about its own health: the truth behind /health and the metrics.

/health answers 503 with the reasons when an agent has crashed, when ClickHouse writes have been
failing for longer than ATENCIONES_HEALTH_SINK_FAILING_S, when a batch has been running for
ATENCIONES_HEALTH_STALL_S, or when records wait (lag > 0) and no batch has completed for that
long, or when one source partition has records waiting and its committed offset has not moved
for that long while others flow (a partition the consumer stopped fetching), or when the
delivery of a daily report due is failing (agents/report_timer.py). A batch past
ATENCIONES_WORKER_BATCH_TIMEOUT_S stops the worker (agents/watchdog.py), and so does a stall
with no batch in hand past ATENCIONES_WORKER_STALL_EXIT_S (agents/stall_exit.py).
"""

from __future__ import annotations

import time
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any

from agents import metrics


@dataclass
class WorkerHealth:
    sink_failing_after_s: float
    stall_after_s: float
    crashed: dict[str, str] = field(default_factory=dict)  # agent -> error
    sink_failing_since: float | None = None
    last_sink_error: str = ""
    last_progress: float = field(default_factory=time.monotonic)
    running: dict[str, float] = field(default_factory=dict)  # agent -> start of its batch
    in_hand: dict[str, Coroutine[Any, Any, Any]] = field(default_factory=dict)  # its coroutine
    failing_reports: dict[str, str] = field(default_factory=dict)  # due report -> last outcome
    report_checks: int = 0  # looks at the reports due (the leader's timer)
    # source partition -> (committed offset, since when it has been that)
    committed_since: dict[int, tuple[int, float]] = field(default_factory=dict)

    def sink_failed(self, error: BaseException) -> None:
        if self.sink_failing_since is None:
            self.sink_failing_since = time.monotonic()
        self.last_sink_error = f"{type(error).__name__}: {error}"[:300]
        metrics.TRANSIENT_FAILURES.labels("clickhouse").inc()

    def sink_succeeded(self) -> None:
        self.sink_failing_since = None
        self.last_sink_error = ""
        metrics.LAST_SINK_SUCCESS.set_to_current_time()

    def batch_started(self, agent: str, work: Coroutine[Any, Any, Any] | None = None) -> None:
        self.running[agent] = time.monotonic()
        if work is not None:
            self.in_hand[agent] = work

    def batch_ended(self, agent: str, completed: bool = True) -> None:
        self.running.pop(agent, None)
        self.in_hand.pop(agent, None)
        if completed:
            self.last_progress = time.monotonic()

    def overdue_batches(self, limit_s: float, now: float | None = None) -> dict[str, float]:
        """Agents whose batch in hand has run for limit_s or more, with its age."""
        now = time.monotonic() if now is None else now
        # a copy: the watchdog thread reads while the event loop writes
        return {a: now - t for a, t in dict(self.running).items() if now - t >= limit_s}

    def reports_checked(self, failing: dict[str, str]) -> None:
        """The reports due whose delivery is failing now (replaces the previous look's)."""
        self.failing_reports = dict(failing)
        self.report_checks += 1
        metrics.REPORT_CHECKS.set_to_current_time()

    def agent_crashed(self, agent: str, error: BaseException) -> None:
        self.crashed[agent] = f"{type(error).__name__}: {error}"[:300]

    def stalled_partitions(
        self, partitions: dict[int, tuple[int, int]], now: float | None = None
    ) -> list[str]:
        """Partitions (partition -> (committed offset, records behind)) with records waiting
        whose committed offset has not moved for stall_after_s."""
        now = time.monotonic() if now is None else now
        reasons = []
        for partition, (committed, behind) in sorted(partitions.items()):
            seen = self.committed_since.get(partition)
            if seen is None or seen[0] != committed or behind == 0:
                self.committed_since[partition] = (committed, now)
                continue
            idle = now - seen[1]
            if idle >= self.stall_after_s:
                reasons.append(
                    f"partition {partition}: {behind} records waiting, nothing committed for "
                    f"{idle:.0f} s"
                )
        for partition in set(self.committed_since) - set(partitions):
            del self.committed_since[partition]  # no longer assigned here
        return reasons

    def problems(
        self,
        lag: int,
        now: float | None = None,
        partitions: dict[int, tuple[int, int]] | None = None,
    ) -> list[str]:
        """Why the worker is not healthy (empty: it is)."""
        now = time.monotonic() if now is None else now
        reasons = [f"agent {name} crashed: {error}" for name, error in self.crashed.items()]
        if self.sink_failing_since is not None:
            failing = now - self.sink_failing_since
            if failing >= self.sink_failing_after_s:
                reasons.append(
                    f"ClickHouse writes failing for {failing:.0f} s: {self.last_sink_error}"
                )
        for agent, age in self.overdue_batches(self.stall_after_s, now).items():
            reasons.append(f"a batch of agent {agent} has been running for {age:.0f} s")
        reasons += [f"report delivery failing: {text}" for text in self.failing_reports.values()]
        return reasons + self.stall_reasons(lag, now, partitions)

    def stall_reasons(
        self,
        lag: int,
        now: float | None = None,
        partitions: dict[int, tuple[int, int]] | None = None,
    ) -> list[str]:
        """Records waiting and no batch completed for stall_after_s, or a source partition
        whose committed offset has not moved for that long while it has records waiting."""
        now = time.monotonic() if now is None else now
        idle = now - self.last_progress
        if lag > 0 and idle >= self.stall_after_s:
            return [f"{lag} records waiting and no batch completed for {idle:.0f} s"]
        if partitions is not None:
            return self.stalled_partitions(partitions, now)
        return []
