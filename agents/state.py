"""The worker's state per source partition, kept in memory and journaled in a Faust table.

Faust writes one changelog message per table key written, which costs ~100-200 µs of event
loop time each; with one key per attention and per fine-grained count that caps a worker at a
few thousand events/s. So the state of each source partition lives in plain dicts, and every
batch journals what it changed as a single entry of the `partition-journal` table (key
"<partition>|<sequence>"). The journal is changelogged inside the partition's Kafka transaction,
and flushed to the broker before the batch's offsets are released for commit. Each batch's first
entry carries "o", the last source offset the batch covered: after a crash or a rebalance the
rebuilt state knows which records it already holds, and records at or below that offset (seen
again because their offsets were not committed yet) are skipped instead of applied twice.
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
    applied_offset: int = -1  # last source offset whose effects this state holds

    def apply(self, entry: dict[str, Any]) -> None:
        """Apply one journal entry (as written by journal_entries)."""
        for attention_id, raw in entry.get("s", {}).items():
            self.states[attention_id] = Counted.from_json(raw)
        self.day_counts.update(entry.get("d", {}))
        self.buckets.update(entry.get("b", {}))
        self.quality.update(entry.get("q", {}))
        for key in entry.get("x", []):
            self.buckets.pop(key, None)
        if "o" in entry:
            self.applied_offset = max(self.applied_offset, int(entry["o"]))

    def buckets_before(self, horizon_ms: int) -> list[str]:
        return [key for key in self.buckets if int(key.split("|", 1)[0]) < horizon_ms]


@dataclass
class PartitionChanges:
    """New values for one partition's state (absolute counts), not applied yet."""

    states: dict[str, Counted] = field(default_factory=dict)
    day_counts: dict[str, int] = field(default_factory=dict)
    buckets: dict[str, int] = field(default_factory=dict)
    forgotten: list[str] = field(default_factory=list)
    quality: dict[str, int] = field(default_factory=dict)

    def merge(self, later: PartitionChanges) -> None:
        self.states.update(later.states)
        self.day_counts.update(later.day_counts)
        self.buckets.update(later.buckets)
        self.forgotten = sorted(set(self.forgotten) | set(later.forgotten))
        self.quality.update(later.quality)

    def apply_to(self, state: PartitionState) -> None:
        state.states.update(self.states)
        state.day_counts.update(self.day_counts)
        state.buckets.update(self.buckets)
        for key in self.forgotten:
            state.buckets.pop(key, None)
        state.quality.update(self.quality)


def journal_entries(
    changes: PartitionChanges, applied_offset: int | None = None
) -> Iterator[dict[str, Any]]:
    """A batch's changes as one or more journal entries (states and day counts chunked, so that
    no entry comes near the producer's 1 MiB request limit)."""
    items = list(changes.states.items())
    days = list(changes.day_counts.items())
    first: dict[str, Any] = {
        "s": {k: v.to_json() for k, v in items[:JOURNAL_CHUNK]},
        "d": dict(days[:JOURNAL_CHUNK]),
        "b": changes.buckets,
    }
    if changes.forgotten:
        first["x"] = changes.forgotten
    if changes.quality:
        first["q"] = changes.quality
    if applied_offset is not None:
        first["o"] = applied_offset
    yield first
    for start in range(JOURNAL_CHUNK, max(len(items), len(days)), JOURNAL_CHUNK):
        chunk: dict[str, Any] = {}
        if start < len(items):
            chunk["s"] = {k: v.to_json() for k, v in items[start : start + JOURNAL_CHUNK]}
        if start < len(days):
            chunk["d"] = dict(days[start : start + JOURNAL_CHUNK])
        yield chunk


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
