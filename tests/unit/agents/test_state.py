"""The partition journal: what a batch writes is what a rebuild reads back, in order."""

from __future__ import annotations

from datetime import date
from typing import Any

import orjson
import pytest

from agents import state as state_module
from agents.day_counts import DayCountKey, DayCounts, day_count_key, day_count_text, take_day_keys
from agents.journal_entry import JournalEntry
from agents.revisions import Counted, shared
from agents.state import (
    DAY_MS,
    JOURNAL_CHUNK,
    JournalPolicy,
    PartitionChanges,
    PartitionState,
    journal_batch,
    journal_entries,
    journal_key,
    outdated_partitions,
    parse_journal_key,
    rebuild,
    rebuild_all,
)


def counted(revision: int, office: str = "piura", at_ms: int = 1_731_000_000_000) -> Counted:
    classification = (
        office,
        "telefonico",
        "comercial",
        "consumo_elevado",
        "eps",
        "eps_grau",
        "piura",
        "",
    )
    return Counted(revision, False, at_ms, classification, "", "sim")


def key(day: str, *fields: str) -> DayCountKey:
    """A day count's key with a short stand-in classification."""
    return day_count_key(date.fromisoformat(day), shared(fields or ("k",)))  # type: ignore[arg-type]


def test_day_count_keys_share_their_day_and_classification_and_read_back_from_text() -> None:
    classification = counted(0).classification
    text = day_count_text(day_count_key(date(2024, 11, 8), classification))
    assert text == "2024-11-08|piura|telefonico|comercial|consumo_elevado|eps|eps_grau|piura|"
    entries = [(journal_key(0, 0), {"d": {text: 3, text.replace("-08|", "-09|"): 1}})]
    keys = list(rebuild(entries, 0).day_counts)
    assert keys == [(date(2024, 11, 8), classification), (date(2024, 11, 9), classification)]
    assert keys[0][1] is keys[1][1] is shared(classification)  # one tuple for all keys
    again = list(rebuild(entries, 0).day_counts)
    assert again[0][0] is keys[0][0]  # one date object per day


def test_day_counts_nested_by_day_read_and_write_by_key_and_forget_whole_days() -> None:
    counts = DayCounts()
    counts[key("2024-11-08", "a")] = 3
    counts[key("2024-11-08", "b")] = 1
    counts[key("2024-11-09", "a")] = 2
    counts[key("2024-11-08", "a")] = 4  # overwritten, not added
    assert len(counts) == 3 and counts.get(key("2024-11-08", "a"), 0) == 4
    assert counts.get(key("2024-11-10", "a"), 0) == 0 and key("2024-11-10", "a") not in counts
    assert counts == {key("2024-11-08", "a"): 4, key("2024-11-08", "b"): 1,
                      key("2024-11-09", "a"): 2}  # fmt: skip
    counts.forget_days_before(date(2024, 11, 9))
    assert dict(counts.items()) == {key("2024-11-09", "a"): 2} and len(counts) == 1
    todo = DayCounts({key("2024-11-08", f"c{i}"): i for i in range(5)}.items()).snapshot_todo()
    todo += DayCounts({key("2024-11-09", "z"): 1}.items()).snapshot_todo()
    taken = take_day_keys(todo, 3)
    assert taken == [key("2024-11-09", "z"), key("2024-11-08", "c3"), key("2024-11-08", "c4")]
    assert take_day_keys(todo, 10) == [key("2024-11-08", f"c{i}") for i in range(3)]
    assert todo == []


def test_entries_chunk_states_and_rebuild_restores_everything() -> None:
    states = {f"a{i}": counted(0) for i in range(JOURNAL_CHUNK * 2 + 3)}
    changes = PartitionChanges(states, {key("2024-11-08"): 5}, {"100|telefonico|piura": 2})
    entries = list(journal_entries(changes, applied_offset=41))
    assert len(entries) == 3
    assert sum(len(e.states) for e in entries) == len(states)
    keyed = [(journal_key(4, i), e.to_wire()) for i, e in enumerate(entries)]
    keyed.append((journal_key(5, 0), {"s": {"other": counted(0).to_json()}}))
    state = rebuild(reversed(keyed), 4)
    assert state.states == states
    assert state.day_counts == {key("2024-11-08"): 5}
    assert state.buckets == {"100|telefonico|piura": 2}
    assert state.next_sequence == 3
    assert state.applied_offset == 41
    assert "other" not in state.states


def test_later_entries_win_and_forgotten_buckets_go() -> None:
    first = next(
        journal_entries(
            PartitionChanges({"a": counted(0)}, {key("2024-01-01"): 1}, {"100|x|y": 1}), 7
        )
    )
    second = next(
        journal_entries(
            PartitionChanges({"a": counted(1, "tumbes")}, {key("2024-01-01"): 0}, {}, ["100|x|y"])
        )
    )
    keyed = [(journal_key(0, 10), second.to_wire()), (journal_key(0, 9), first.to_wire())]
    state = rebuild(keyed, 0)
    assert state.states["a"].revision == 1
    assert state.states["a"].classification[0] == "tumbes"
    assert state.day_counts == {key("2024-01-01"): 0}
    assert state.buckets == {}
    assert state.next_sequence == 11
    assert state.applied_offset == 7  # an entry without "o" does not move it back


def test_old_buckets_are_forgotten_when_changes_apply() -> None:
    state = PartitionState(buckets={"100|a|b": 1, "900|a|b": 2})
    forgotten = state.buckets_before(500)
    assert forgotten == ["100|a|b"]
    assert state.buckets == {"100|a|b": 1, "900|a|b": 2}  # planning does not touch the state
    PartitionChanges(buckets={"900|a|b": 3}, forgotten=forgotten).apply_to(state)
    assert state.buckets == {"900|a|b": 3}


def test_day_counts_are_chunked_like_states() -> None:
    days = {key(f"2024-01-{i % 28 + 1:02d}", f"k{i}"): i for i in range(JOURNAL_CHUNK * 2 + 1)}
    entries = list(journal_entries(PartitionChanges(day_counts=days), applied_offset=3))
    assert len(entries) == 3
    assert all(len(e.day_counts) <= JOURNAL_CHUNK for e in entries)
    state = rebuild([(journal_key(1, i), e.to_wire()) for i, e in enumerate(entries)], 1)
    assert state.day_counts == days
    assert state.applied_offset == 3


START_MS = 1_420_000_000_000  # January 2015


def _day(ms: int) -> str:
    from datetime import UTC, datetime  # noqa: PLC0415

    from schemas.timestamps import lima_day  # noqa: PLC0415

    return lima_day(datetime.fromtimestamp(ms / 1000, tz=UTC)).isoformat()


def _run_history(
    journal: dict[str, Any],
    days: int,
    per_day: int,
    policy: JournalPolicy,
    check_each_day: bool = False,
) -> PartitionState:
    """A partition counting `per_day` new attentions a day for `days` days (and revising one of
    the day before), one batch a day, as the worker journals them; returns its state."""
    state = PartitionState()
    offset = -1
    for day in range(days):
        at_ms = START_MS + day * DAY_MS
        changes = PartitionChanges(high_water_ms=at_ms)
        for n in range(per_day):
            changes.states[f"d{day}-{n}"] = counted(1, at_ms=at_ms)
        if day:
            changes.states[f"d{day - 1}-0"] = counted(2, "tumbes", at_ms=at_ms - DAY_MS)
        changes.day_counts[key(_day(at_ms), "piura")] = per_day
        changes.apply_to(state)
        offset += per_day
        state.applied_offset = offset
        journal_batch(journal, 0, state, changes, policy)
        if check_each_day:
            rebuilt = rebuild(journal.items(), 0)
            assert (rebuilt.states, rebuilt.day_counts) == (state.states, state.day_counts), day
            assert rebuilt.applied_offset == state.applied_offset
    return state


def test_a_rebuild_reads_the_last_snapshot_on_and_the_journal_stays_bounded() -> None:
    policy = JournalPolicy(horizon_days=30, snapshot_min_states=100)
    sizes = {}
    for days in (100, 1000):  # ten times the history
        journal: dict[str, Any] = {}
        state = _run_history(journal, days, per_day=20, policy=policy)
        sizes[days] = len(journal)
        rebuilt = rebuild(journal.items(), 0)
        assert rebuilt.states == state.states
        assert rebuilt.day_counts == state.day_counts
        assert rebuilt.applied_offset == state.applied_offset == days * 20 - 1
        assert rebuilt.high_water_ms == state.high_water_ms
        assert rebuilt.next_sequence == state.next_sequence
        # what is remembered: the horizon's 30 days (+ the days since the last snapshot)
        assert len(state.states) <= 20 * (30 + 1) * 2
        assert len(state.day_counts) <= (30 + 1) * 2
    # journal entries read by a rebuild: the same after 1,000 days as after 100
    assert sizes[1000] <= sizes[100] + 2, sizes


def test_an_interrupted_snapshot_is_read_as_plain_entries_after_the_last_complete_one() -> None:
    policy = JournalPolicy(horizon_days=3650, snapshot_min_states=50)
    journal: dict[str, Any] = {}
    state = _run_history(journal, 12, per_day=10, policy=policy)  # one snapshot at least
    assert state.snapshot_start > 0
    # A crash in the middle of the next snapshot: its first entry ("r") was written, its
    # last ("c") was not, and the entries before it were not deleted.
    interrupted = {"s": {"d0-0": counted(1).to_json()}, "n": 99, "r": 99, "o": 5}
    journal[journal_key(0, state.next_sequence)] = interrupted
    rebuilt = rebuild_all(journal.items(), [0])[0]
    assert rebuilt.snapshot_start == state.snapshot_start
    assert set(rebuilt.states) == set(state.states)  # not emptied by the interrupted "r"
    assert rebuilt.applied_offset == state.applied_offset


def test_eviction_forgets_states_and_days_older_than_the_horizon_only() -> None:
    newest = START_MS + 400 * DAY_MS
    state = PartitionState(high_water_ms=newest)
    state.states = {"old": counted(1, at_ms=newest - 11 * DAY_MS), "new": counted(1, at_ms=newest)}
    state.day_counts = DayCounts({key(_day(newest - 11 * DAY_MS)): 1, key(_day(newest)): 1}.items())
    state.quality = {f"{_day(newest - 11 * DAY_MS)}|new": 1}
    assert state.evict(horizon_days=10) == 1
    assert set(state.states) == {"new"}
    assert list(state.day_counts) == [key(_day(newest))]
    assert state.quality  # arrival-day quality counts are few and kept


def test_a_snapshot_written_a_slice_per_batch_rebuilds_exactly_at_every_step(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(state_module, "SNAPSHOT_SLICE", 7)  # many batches per snapshot
    journal: dict[str, Any] = {}
    state = _run_history(journal, 120, per_day=5, policy=JournalPolicy(0, 40), check_each_day=True)
    assert state.snapshot_start > 0 and len(state.states) == 600
    assert min(parse_journal_key(key)[1] for key in journal) == state.snapshot_start


def test_a_journal_entry_keeps_its_wire_form() -> None:
    """The changelog holds one-letter keys: entries written before the typed entry still load."""
    wire = {
        "r": 4, "n": 4, "c": 4, "o": 41, "h": 1_700_000_000_000,
        "s": {"a": counted(2).to_json()}, "d": {day_count_text(key("2024-11-08")): 5},
        "b": {"100|telefonico|piura": 2}, "x": ["50|x|y"], "q": {"2024-11-08|new": 3},
    }  # fmt: skip
    entry = JournalEntry.from_wire(orjson.loads(orjson.dumps(wire)))
    assert entry.states == {"a": counted(2)}
    assert entry.day_counts == {key("2024-11-08"): 5}
    assert (entry.snapshot_begins, entry.snapshot, entry.snapshot_completes) == (4, 4, 4)
    assert (entry.applied_offset, entry.forgotten_buckets) == (41, ["50|x|y"])
    assert orjson.loads(orjson.dumps(entry.to_wire())) == orjson.loads(orjson.dumps(wire))
    assert JournalEntry().to_wire() == {}


def test_a_state_is_outdated_when_the_journal_moved_on_without_it() -> None:
    """After a rebalance a state in memory is kept only if the journal's newest entry of its
    partition is the last one it wrote: another worker's entries (even after it deleted the
    older ones behind a snapshot) or a journal behind it mean a rebuild."""
    journal: dict[str, Any] = {}
    policy = JournalPolicy(horizon_days=0, snapshot_min_states=1)
    mine = {p: PartitionState() for p in range(4)}
    for p in (0, 1, 2):
        changes = PartitionChanges()
        changes.states[f"a-{p}"] = counted(0)
        mine[p].applied_offset = 10
        journal_batch(journal, p, mine[p], changes, policy)
    assert outdated_partitions(journal, mine) == set()  # 3: no entry, none written
    # partition 1 counted elsewhere meanwhile: its newest entry is not this state's
    elsewhere = rebuild(journal.items(), 1)
    more = PartitionChanges()
    more.states["a-9"] = counted(0)
    elsewhere.applied_offset = 11
    journal_batch(journal, 1, elsewhere, more, policy)
    assert elsewhere.next_sequence > mine[1].next_sequence
    # partition 2's journal lost its newest entry: the state is ahead of what a rebuild reads
    del journal[journal_key(2, mine[2].next_sequence - 1)]
    assert outdated_partitions(journal, mine) == {1, 2}
    assert outdated_partitions(journal, {0: mine[0]}) == set()


def test_a_batch_journaled_in_part_is_left_out_whole_and_its_sequences_are_not_reused() -> None:
    policy = JournalPolicy(horizon_days=0, snapshot_min_states=10**9)
    journal: dict[str, Any] = {}
    state = _run_history(journal, 3, per_day=10, policy=policy)
    before = rebuild(journal.items(), 0)
    # the next batch changes more states than one entry holds: three entries, the first marked
    big = PartitionChanges(high_water_ms=START_MS + 3 * DAY_MS)
    for n in range(2 * JOURNAL_CHUNK + 1):
        big.states[f"big-{n}"] = counted(1, at_ms=START_MS + 3 * DAY_MS)
    big.day_counts[key(_day(START_MS + 3 * DAY_MS), "piura")] = 2 * JOURNAL_CHUNK + 1
    big.apply_to(state)
    state.applied_offset = 10_000
    whole = dict(journal)
    journal_batch(whole, 0, state, big, policy)
    new_keys = sorted(set(whole) - set(journal), key=lambda k: parse_journal_key(k)[1])
    assert len(new_keys) == 3 and whole[new_keys[0]]["g"] == 3
    assert rebuild(whole.items(), 0).applied_offset == 10_000  # all three there: applied
    # kill -9 after the first two entries: the batch is not applied, not even in part
    partial = {k: v for k, v in whole.items() if k != new_keys[-1]}
    rebuilt = rebuild(partial.items(), 0)
    assert rebuilt.applied_offset == before.applied_offset
    assert (rebuilt.states, rebuilt.day_counts) == (before.states, before.day_counts)
    # the next batch does not take the missing entry's sequence (it would complete the batch)
    assert rebuilt.next_sequence == parse_journal_key(new_keys[-1])[1] + 1
    assert sorted(rebuilt.sequences) == sorted(parse_journal_key(k)[1] for k in partial)


def test_a_rebuild_stops_at_a_missing_entry_and_the_next_batch_begins_a_snapshot() -> None:
    policy = JournalPolicy(horizon_days=0, snapshot_min_states=10**9)
    journal: dict[str, Any] = {}
    _run_history(journal, 2, per_day=10, policy=policy)
    before = rebuild(journal.items(), 0)
    state = rebuild(journal.items(), 0)
    # two more batches; the first never reached the broker (written to a store since lost)
    for day in (2, 3):
        changes = PartitionChanges(high_water_ms=START_MS + day * DAY_MS)
        changes.states[f"late-{day}"] = counted(1, at_ms=START_MS + day * DAY_MS)
        changes.apply_to(state)
        state.applied_offset += 10
        journal_batch(journal, 0, state, changes, policy)
    lost = journal_key(0, before.next_sequence)
    restored = rebuild({k: v for k, v in journal.items() if k != lost}.items(), 0)
    assert restored.gap_at == before.next_sequence
    assert restored.applied_offset == before.applied_offset
    assert restored.states == before.states  # nothing of what rests on the missing entry
    assert restored.next_sequence == state.next_sequence  # no sequence is reused
    assert restored.wants_snapshot(policy.snapshot_min_states)
    assert rebuild(journal.items(), 0).gap_at is None
