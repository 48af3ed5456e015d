"""The worker's state per source partition, kept in memory and journaled in a Faust table.

Faust writes one changelog message per table key written, which costs ~100-200 µs of event
loop time each; with one key per attention and per fine-grained count that caps a worker at a
few thousand events/s. So the state of each source partition lives in plain dicts, and every
batch journals what it changed as one or a few entries of the `partition-journal` table (key
"<partition>|<sequence>"), flushed to the broker before the batch's offsets are released for
commit. Each batch's first entry carries "o", the last source offset the batch covered (records
at or below it, seen again after a crash, are skipped instead of applied twice) and "h", the
newest occurred_at counted on the partition.

Bounded (agents/README.md, "Memory model"):
* **Horizon** (optional, ATENCIONES_WORKER_STATE_HORIZON_DAYS; 0, the default, remembers every
  attention): an attention is remembered while its occurred_at is within the horizon of the
  newest one counted on its partition; older states and day counts are evicted, and a record
  older than that is dead-lettered (`beyond_horizon`) instead of being applied against a state
  that is no longer there.
* **Snapshots**: once a partition has journaled as many attention states as its last snapshot
  held (and at least ATENCIONES_WORKER_SNAPSHOT_MIN_STATES), its whole state is written again as
  a snapshot, a slice per batch ("r" on its first entry, "c" on its last, "n" on each), and once
  complete every older entry is deleted (changelog tombstones: compaction frees them). A rebuild
  starts at the last complete snapshot, so restart time follows the live state, not the years
  of history.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, MutableMapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from agents.day_counts import DayCountKey, DayCounts, take_day_keys
from agents.journal_entry import JournalEntry
from agents.revisions import Counted
from schemas.classification import Classification
from schemas.timestamps import lima_day

JOURNAL_CHUNK = 500  # attention states per journal entry: keeps each message well under 1 MiB
# A snapshot in progress writes, per batch, a slice of SLICE_PER_CHANGE states (and day counts)
# for each state the batch changed, at least SNAPSHOT_SLICE: a backfill's big batches finish a
# snapshot within a few batches, while a live batch of a few records carries a small slice
# instead of thousands of states (which held the first seconds of live traffic after a backfill
# at ~2 s of latency). As the slice outgrows the changes, a snapshot always completes before the
# journal has grown by as many states as it holds.
SNAPSHOT_SLICE = 1000
SLICE_PER_CHANGE = 4
DAY_MS = 86_400_000


def horizon_start_ms(newest_ms: int, horizon_days: int) -> int:
    """The oldest occurred_at (ms) still applied, horizon_days before the newest one seen."""
    return newest_ms - horizon_days * DAY_MS


def journal_key(partition: int, sequence: int) -> str:
    return f"{partition}|{sequence:012d}"


FORCE_SNAPSHOT = 2**62  # journaled_states that makes the next batch begin a snapshot


def parse_journal_key(key: str) -> tuple[int, int]:
    partition, sequence = key.split("|")
    return int(partition), int(sequence)


@dataclass
class PartitionState:
    """What one source partition has counted: attention states, day counts, live buckets."""

    states: dict[str, Counted] = field(default_factory=dict)
    day_counts: DayCounts = field(default_factory=DayCounts)
    buckets: dict[str, int] = field(default_factory=dict)
    quality: dict[str, int] = field(default_factory=dict)  # "<day>|<outcome>" -> records
    next_sequence: int = 0
    applied_offset: int = -1  # last source offset whose effects this state holds
    high_water_ms: int = 0  # newest occurred_at counted on this partition
    sequences: list[int] = field(default_factory=list)  # journal entries, oldest first
    snapshot_start: int = 0  # sequence of the last complete snapshot's first entry
    journaled_states: int = 0  # attention states journaled since the last snapshot
    snapshot_states: int = 0  # attention states the last snapshot held
    # Where a rebuild stopped: an entry missing after the last complete snapshot (not a batch
    # left out). Seen when the journal on the broker lacks entries a worker wrote to its local
    # store and a successor on the same directory built on (a kill -9 before the flush), and a
    # worker without that directory restores from the broker: what follows the gap rests on
    # what is missing. The state stops there (its records are read again, agents/continuity.py)
    # and a snapshot begins at the next batch, after which the gap no longer matters.
    gap_at: int | None = None
    # a snapshot being written, a slice per batch: its id, the state and day keys still to write
    snapshot_todo: tuple[int, list[str], list[tuple[date, list[Classification]]]] | None = None

    def apply(self, entry: JournalEntry, reset: bool = True) -> None:
        """Apply one journal entry (journal_entries, snapshot_start_entry, snapshot_slice); the
        first entry of a snapshot empties the state first unless reset is False."""
        if entry.snapshot_begins is not None and reset:
            self.states.clear()
            self.day_counts.clear()
            self.buckets.clear()
            self.quality.clear()
            self.journaled_states = self.snapshot_states = 0
            self.snapshot_start = entry.snapshot_begins
        if entry.snapshot is not None and entry.snapshot == self.snapshot_start:
            self.snapshot_states += len(entry.states)
        else:
            self.journaled_states += len(entry.states)
        self.states.update(entry.states)
        for key, count in entry.day_counts.items():
            self.day_counts[key] = count
        self.buckets.update(entry.buckets)
        self.quality.update(entry.quality)
        for bucket in entry.forgotten_buckets:
            self.buckets.pop(bucket, None)
        if entry.applied_offset is not None:
            self.applied_offset = max(self.applied_offset, entry.applied_offset)
        if entry.high_water_ms is not None:
            self.high_water_ms = max(self.high_water_ms, entry.high_water_ms)

    def horizon_ms(self, horizon_days: int) -> int:
        """The oldest occurred_at this partition still applies records at."""
        return horizon_start_ms(self.high_water_ms, horizon_days)

    def evict(self, horizon_days: int) -> int:
        """Forget attentions and day counts older than the horizon; return how many states."""
        oldest_ms = self.horizon_ms(horizon_days)
        old = [k for k, c in self.states.items() if c.occurred_at_ms < oldest_ms]
        for attention_id in old:
            del self.states[attention_id]
        oldest_day = lima_day(datetime.fromtimestamp(oldest_ms / 1000, tz=UTC))
        self.day_counts.forget_days_before(oldest_day)
        return len(old)

    def wants_snapshot(self, min_states: int) -> bool:
        """Journaled as many states since the last snapshot as that snapshot held, and at least
        min_states: amortised, the journal stays within about twice the live state, and so
        does memory between two evictions."""
        return self.journaled_states >= max(self.snapshot_states, min_states)

    def buckets_before(self, horizon_ms: int) -> list[str]:
        return [key for key in self.buckets if int(key.split("|", 1)[0]) < horizon_ms]


@dataclass
class PartitionChanges:
    """New values for one partition's state (absolute counts), not applied yet."""

    states: dict[str, Counted] = field(default_factory=dict)
    day_counts: dict[DayCountKey, int] = field(default_factory=dict)  # a batch's: a plain dict
    buckets: dict[str, int] = field(default_factory=dict)
    forgotten: list[str] = field(default_factory=list)
    quality: dict[str, int] = field(default_factory=dict)
    high_water_ms: int = 0

    def merge(self, later: PartitionChanges) -> None:
        self.high_water_ms = max(self.high_water_ms, later.high_water_ms)
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
        state.high_water_ms = max(state.high_water_ms, self.high_water_ms)


def journal_entries(
    changes: PartitionChanges, applied_offset: int | None = None
) -> Iterator[JournalEntry]:
    """A batch's changes as one or more journal entries (states and day counts chunked, so that
    no entry comes near the producer's 1 MiB request limit)."""
    items = list(changes.states.items())
    days = list(changes.day_counts.items())
    yield JournalEntry(
        states=dict(items[:JOURNAL_CHUNK]),
        day_counts=dict(days[:JOURNAL_CHUNK]),
        buckets=changes.buckets,
        forgotten_buckets=changes.forgotten,
        quality=changes.quality,
        applied_offset=applied_offset,
        high_water_ms=changes.high_water_ms or None,
    )
    for start in range(JOURNAL_CHUNK, max(len(items), len(days)), JOURNAL_CHUNK):
        yield JournalEntry(
            states=dict(items[start : start + JOURNAL_CHUNK]),
            day_counts=dict(days[start : start + JOURNAL_CHUNK]),
        )


def snapshot_start_entry(state: PartitionState, snapshot_id: int) -> JournalEntry:
    """The first entry of a snapshot: rebuild from empty here; the partition's offset, newest
    occurred_at, live buckets and quality counts."""
    return JournalEntry(
        snapshot_begins=snapshot_id,
        snapshot=snapshot_id,
        applied_offset=state.applied_offset,
        high_water_ms=state.high_water_ms,
        buckets=dict(state.buckets),
        quality=dict(state.quality),
    )


def snapshot_slice(state: PartitionState, limit: int) -> list[JournalEntry]:
    """The next entries of the snapshot in progress: the current values of up to `limit`
    states and day counts it has not written yet; the last entry of the snapshot completes it.
    Values changed since the snapshot began are written as they are now (the batches in
    between were journaled after its start, so replaying everything from its start is exact)."""
    assert state.snapshot_todo is not None
    snapshot_id, state_keys, day_keys = state.snapshot_todo
    states = {k: state.states[k] for k in state_keys[-limit:] if k in state.states}
    days = {k: state.day_counts[k] for k in take_day_keys(day_keys, limit) if k in state.day_counts}
    del state_keys[-limit:]
    entries = []
    for entry in journal_entries(PartitionChanges(states, days)):
        if entry.states or entry.day_counts:
            entry.snapshot = snapshot_id
            entries.append(entry)
    if not state_keys and not day_keys:
        entries.append(JournalEntry(snapshot=snapshot_id, snapshot_completes=snapshot_id))
    return entries


def rebuild(entries: Iterable[tuple[str, dict[str, Any]]], partition: int) -> PartitionState:
    """The state of `partition` from journal (key, entry) pairs in any order."""
    return rebuild_all(entries, {partition})[partition]


def rebuild_all(
    entries: Iterable[tuple[str, dict[str, Any]]], partitions: Iterable[int]
) -> dict[int, PartitionState]:
    """The states of `partitions` from one pass over the journal (its entries as the table holds
    them, JournalEntry.to_wire): each from its last complete snapshot on (an interrupted
    snapshot's entries are applied as plain entries: they hold the values the state had).
    `sequences` lists every entry still in the journal, older ones included, so that they can be
    deleted."""
    wanted = set(partitions)
    by_partition: dict[int, list[tuple[int, JournalEntry]]] = {p: [] for p in wanted}
    for key, wire in entries:
        p, sequence = parse_journal_key(key)
        if p in wanted:
            by_partition[p].append((sequence, JournalEntry.from_wire(wire)))
    states = {}
    for p, everything in by_partition.items():
        everything.sort(key=lambda item: item[0])
        mine, reserved, left_out = whole_batches(everything)
        complete = {e.snapshot_completes for _, e in mine if e.snapshot_completes is not None}
        start = 0
        for index, (_, entry) in enumerate(mine):
            if entry.snapshot_begins is not None and entry.snapshot_begins in complete:
                start = index
        state = PartitionState()
        expected: int | None = None
        for sequence, entry in mine[start:]:
            if expected is not None and any(
                missing not in left_out for missing in range(expected, sequence)
            ):
                state.gap_at = expected  # see PartitionState.gap_at
                state.journaled_states = FORCE_SNAPSHOT
                break
            state.apply(entry, reset=expected is None)
            expected = sequence + 1
        last = everything[-1][0] + 1 if everything else 0
        state.next_sequence = max(last, reserved)
        state.sequences = [sequence for sequence, _ in everything]
        states[p] = state
    return states


def whole_batches(
    entries: list[tuple[int, JournalEntry]],
) -> tuple[list[tuple[int, JournalEntry]], int, set[int]]:
    """The entries (sorted by sequence) of the batches whose every entry is in the journal,
    the sequence after the last one any batch took, and the sequences of the batches left out.
    A batch's first entry says how many it wrote; a crash between two of them (kill -9 while
    journaling) leaves a prefix, and applying it would set the batch's offset with only part of
    its states and counts (seen: counts off on 205 keys, some negative). Such a batch is left
    out, so its records are read and applied again, and its sequences are not reused. Entries
    before the first marked one (journals written before batches were marked) are taken as
    they are."""
    present = {sequence for sequence, _ in entries}
    whole: set[int] = set()
    left_out: set[int] = set()
    reserved = 0
    first_marked: int | None = None
    for sequence, entry in entries:
        if entry.group is None:
            continue
        if first_marked is None:
            first_marked = sequence
        members = range(sequence, sequence + entry.group)
        reserved = max(reserved, members.stop)
        if all(member in present for member in members):
            whole.update(members)
        else:
            left_out.update(members)
    if first_marked is None:
        return entries, reserved, left_out
    kept = [(s, e) for s, e in entries if s < first_marked or s in whole]
    return kept, reserved, left_out


def outdated_partitions(
    journal_keys: Iterable[str], states: Mapping[int, PartitionState]
) -> set[int]:
    """The partitions whose state in memory is not what the journal holds: the journal's newest
    entry of the partition is not the last one this state wrote (another worker journaled it
    in between, or it is behind). Keys only: no entry is decoded."""
    newest: dict[int, int] = {}
    for key in journal_keys:
        partition, sequence = parse_journal_key(key)
        if partition in states and sequence > newest.get(partition, -1):
            newest[partition] = sequence
    return {p for p, state in states.items() if newest.get(p, -1) != state.next_sequence - 1}


@dataclass(frozen=True)
class JournalPolicy:
    horizon_days: int  # attentions older than this (from the newest) are forgotten; 0: never
    snapshot_min_states: int  # states journaled at least before a snapshot


def journal_batch(
    journal: MutableMapping[str, Any],
    partition: int,
    state: PartitionState,
    changes: PartitionChanges,
    policy: JournalPolicy,
) -> int | None:
    """Journal a batch's changes (state.applied_offset already set to the batch's last offset).
    When the partition has journaled enough, evict what is beyond the horizon and begin a
    snapshot; a snapshot in progress writes a slice per batch (no batch pays for the whole
    state). Once one is complete, the entries before it are deleted. Returns the number of
    states evicted when a snapshot began, else None."""
    group: list[JournalEntry] = []  # written together once complete, the first one marked
    first_sequence = state.next_sequence
    _stage(group, state, list(journal_entries(changes, state.applied_offset)))
    evicted = None
    if state.snapshot_todo is None and state.wants_snapshot(policy.snapshot_min_states):
        evicted = state.evict(policy.horizon_days) if policy.horizon_days else 0
        snapshot_id = state.next_sequence
        state.snapshot_todo = (snapshot_id, list(state.states), state.day_counts.snapshot_todo())
        _stage(group, state, [snapshot_start_entry(state, snapshot_id)])
        state.journaled_states = 0
        state.snapshot_states = len(state.states)
    if state.snapshot_todo is not None:
        snapshot_id = state.snapshot_todo[0]
        size = max(SNAPSHOT_SLICE, SLICE_PER_CHANGE * len(changes.states))
        _stage(group, state, snapshot_slice(state, size))
        if not state.snapshot_todo[1] and not state.snapshot_todo[2]:
            state.snapshot_todo = None
            state.snapshot_start = snapshot_id
    group[0].group = len(group)
    for sequence, entry in enumerate(group, start=first_sequence):
        journal[journal_key(partition, sequence)] = entry.to_wire()
    if state.sequences and state.sequences[0] < state.snapshot_start:
        # after the snapshot in the journal (in order: a crash in between keeps the old entries)
        for sequence in state.sequences:
            if sequence < state.snapshot_start:
                del journal[journal_key(partition, sequence)]
        state.sequences = [s for s in state.sequences if s >= state.snapshot_start]
    return evicted


def _stage(group: list[JournalEntry], state: PartitionState, entries: list[JournalEntry]) -> None:
    for entry in entries:
        group.append(entry)
        state.sequences.append(state.next_sequence)
        state.next_sequence += 1
        if entry.snapshot is None:  # a snapshot's entries restate; they are not news
            state.journaled_states += len(entry.states)
