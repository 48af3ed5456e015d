"""The in-memory states of the attention partitions this worker reads: rebuilt from the journal
when first needed, kept through a rebalance unless the journal moved on without this worker."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from faust.types import TableT

from agents import gc_watch, metrics
from agents.state import PartitionState, outdated_partitions, rebuild_all

log = logging.getLogger(__name__)


class PartitionStates:
    """States by source partition. `journal`: the journal table (keys and items read);
    `assigned`: the source partitions assigned to this worker now."""

    def __init__(self, journal: TableT, assigned: Callable[[], set[int]]) -> None:
        self.journal = journal
        self.assigned = assigned
        self.held: dict[int, PartitionState] = {}
        # states to check against the journal before their next use (a rebalance happened)
        self._unchecked: set[int] = set()

    async def rebalanced(self, *args: object, **kwargs: object) -> None:
        """A partitions-revoked or -assigned handler. Another worker may have counted a
        partition in between; checked at the first use after the rebalance (the journal table is
        recovered by then)."""
        self._unchecked.update(self.held)

    def of(self, partition: int) -> PartitionState:
        if self._unchecked:
            self._keep_current()
        state = self.held.get(partition)
        if state is None:
            self._rebuild(partition)
            state = self.held[partition]
        return state

    def _keep_current(self) -> None:
        """After a rebalance: forget the states of partitions no longer assigned, and of those
        whose journal moved on without this worker (`outdated_partitions`, keys only); keep the
        rest instead of rebuilding them from the journal (seconds per partition)."""
        assigned = self.assigned()
        unchecked, self._unchecked = self._unchecked, set()
        for partition in [p for p in self.held if p not in assigned]:
            del self.held[partition]
        checked = {p: self.held[p] for p in unchecked if p in self.held}
        if not checked:
            return
        outdated = outdated_partitions(self.journal.keys(), checked)
        for partition in outdated:
            del self.held[partition]
        log.info(
            "after the rebalance: partitions %s kept in memory, %s to rebuild from the journal",
            sorted(set(checked) - outdated), sorted(outdated),
        )  # fmt: skip

    def _rebuild(self, partition: int) -> None:
        """Rebuild every assigned partition not in memory, in one pass over the journal."""
        missing = (self.assigned() | {partition}) - set(self.held)
        began = time.perf_counter()
        rebuilt = rebuild_all(self.journal.items(), missing)
        self.held.update(rebuilt)
        gc_watch.settle_long_lived()
        for p, state in sorted(rebuilt.items()):
            metrics.STATE_ATTENTIONS.labels(str(p)).set(len(state.states))
            log.info(
                "partition %d: %d attentions, %d day counts, applied up to offset %d; "
                "rebuilt from %d of the %d journal entries ever written (snapshot at %d) in %.2f s",
                p, len(state.states), len(state.day_counts), state.applied_offset,
                len(state.sequences), state.next_sequence, state.snapshot_start,
                time.perf_counter() - began,
            )  # fmt: skip
            if state.gap_at is not None:
                log.warning(
                    "partition %d: journal entry %d is missing; the state stops before it, its "
                    "records are read again, and a snapshot begins at the next batch",
                    p, state.gap_at,
                )  # fmt: skip
