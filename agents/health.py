"""What the worker knows about its own health: the truth behind /health and the metrics.

/health answers 503 with the reasons when an agent has crashed, when ClickHouse writes have been
failing for longer than ATENCIONES_HEALTH_SINK_FAILING_S, or when records wait (lag > 0) and no
batch has completed for ATENCIONES_HEALTH_STALL_S.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from agents import metrics


@dataclass
class WorkerHealth:
    sink_failing_after_s: float
    stall_after_s: float
    crashed: dict[str, str] = field(default_factory=dict)  # agent -> error
    sink_failing_since: float | None = None
    last_sink_error: str = ""
    last_progress: float = field(default_factory=time.monotonic)

    def sink_failed(self, error: BaseException) -> None:
        if self.sink_failing_since is None:
            self.sink_failing_since = time.monotonic()
        self.last_sink_error = f"{type(error).__name__}: {error}"[:300]
        metrics.TRANSIENT_FAILURES.labels("clickhouse").inc()

    def sink_succeeded(self) -> None:
        self.sink_failing_since = None
        self.last_sink_error = ""
        metrics.LAST_SINK_SUCCESS.set_to_current_time()

    def progressed(self) -> None:
        self.last_progress = time.monotonic()

    def agent_crashed(self, agent: str, error: BaseException) -> None:
        self.crashed[agent] = f"{type(error).__name__}: {error}"[:300]

    def problems(self, lag: int, now: float | None = None) -> list[str]:
        """Why the worker is not healthy (empty: it is)."""
        now = time.monotonic() if now is None else now
        reasons = [f"agent {name} crashed: {error}" for name, error in self.crashed.items()]
        if self.sink_failing_since is not None:
            failing = now - self.sink_failing_since
            if failing >= self.sink_failing_after_s:
                reasons.append(
                    f"ClickHouse writes failing for {failing:.0f} s: {self.last_sink_error}"
                )
        idle = now - self.last_progress
        if lag > 0 and idle >= self.stall_after_s:
            reasons.append(f"{lag} records waiting and no batch completed for {idle:.0f} s")
        return reasons
