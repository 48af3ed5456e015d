"""The worker's state per source partition, kept in memory and journaled in a Faust table.

Faust writes one changelog message per table key written, which costs ~100-200 µs of event
loop time each; with one key per attention and per fine-grained count that caps a worker at a
few thousand events/s. So the state of each source partition lives in plain dicts, and every
batch journals what it changed as a single entry of the `partition-journal` table (key
"<partition>|<sequence>"). The journal is changelogged inside the partition's Kafka transaction,
so after a crash or a rebalance replaying it gives exactly the state of the committed offsets.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from agents.revisions import Counted

JOURNAL_CHUNK = 500  # attention states per journal entry: keeps each message well under 1 MiB


def journal_key(partition: int, sequence: int) -> str:
    return f"{partition}|{sequence:012d}"


def parse_journal_key(key: str) -> tuple[int, int]:
    partition, sequence = key.split("|")
    return int(partition), int(sequence)


@dataclass
class PartitionState:
    """What one source partition has counted: attention states, day counts, live buckets."""

    states: dict[str, Counted] = field(default_factory=dict)
    day_counts: dict[str, int] = field(default_factory=dict)
    buckets: dict[str, int] = field(default_factory=dict)
    quality: dict[str, int] = field(default_factory=dict)  # "<day>|<outcome>" -> records
    next_sequence: int = 0

    def apply(self, entry: dict[str, Any]) -> None:
        """Apply one journal entry (as written by journal_entries)."""
        for attention_id, raw in entry.get("s", {}).items():
            self.states[attention_id] = Counted.from_json(raw)
        self.day_counts.update(entry.get("d", {}))
        self.buckets.update(entry.get("b", {}))
        self.quality.update(entry.get("q", {}))
        for key in entry.get("x", []):
            self.buckets.pop(key, None)

    def forget_buckets_before(self, horizon_ms: int) -> list[str]:
        old = [key for key in self.buckets if int(key.split("|", 1)[0]) < horizon_ms]
        for key in old:
            del self.buckets[key]
        return old


def journal_entries(
    states: dict[str, Counted],
    day_counts: dict[str, int],
    buckets: dict[str, int],
    forgotten: list[str],
    quality: dict[str, int] | None = None,
) -> Iterator[dict[str, Any]]:
    """A batch's changes as one or more journal entries (states chunked)."""
    items = list(states.items())
    first: dict[str, Any] = {
        "s": {k: v.to_json() for k, v in items[:JOURNAL_CHUNK]},
        "d": day_counts,
        "b": buckets,
    }
    if forgotten:
        first["x"] = forgotten
    if quality:
        first["q"] = quality
    yield first
    for start in range(JOURNAL_CHUNK, len(items), JOURNAL_CHUNK):
        yield {"s": {k: v.to_json() for k, v in items[start : start + JOURNAL_CHUNK]}}


def rebuild(entries: Iterable[tuple[str, dict[str, Any]]], partition: int) -> PartitionState:
    """The state of `partition` from journal (key, entry) pairs in any order."""
    mine = sorted(
        (parse_journal_key(key)[1], entry)
        for key, entry in entries
        if parse_journal_key(key)[0] == partition
    )
    state = PartitionState()
    for sequence, entry in mine:
        state.apply(entry)
        state.next_sequence = sequence + 1
    return state
