"""Where a batch's time goes, stage by stage: each stage to a histogram, and a slow batch logged
with its breakdown (the evidence for "the first seconds after a backfill are slow": is it
ClickHouse, the journal, or the broker acknowledging the changelog?)."""

from __future__ import annotations

import logging
import time

from agents import metrics

log = logging.getLogger(__name__)
SLOW_BATCH_S = 1.0


class BatchClock:
    def __init__(self) -> None:
        self.began = self.last = time.perf_counter()
        self.stages: dict[str, float] = {}

    def lap(self, stage: str) -> None:
        """The stage that just ended."""
        now = time.perf_counter()
        self.stages[stage] = self.stages.get(stage, 0.0) + now - self.last
        self.last = now

    def done(self, records: int) -> float:
        """Record the stages; log the batch when it was slow. Returns its duration."""
        total = self.last - self.began
        for stage, seconds in self.stages.items():
            metrics.BATCH_STAGE_SECONDS.labels(stage).observe(seconds)
        if total >= SLOW_BATCH_S:
            parts = ", ".join(f"{stage} {seconds:.2f}" for stage, seconds in self.stages.items())
            log.warning("slow batch: %d records in %.2f s (%s)", records, total, parts)
        return total
