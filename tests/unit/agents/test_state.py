"""The partition journal: what a batch writes is what a rebuild reads back, in order."""

from __future__ import annotations

from agents.revisions import Counted
from agents.state import (
    JOURNAL_CHUNK,
    PartitionChanges,
    PartitionState,
    journal_entries,
    journal_key,
    rebuild,
)


def counted(revision: int, office: str = "piura") -> Counted:
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
    return Counted(revision, False, 1_731_000_000_000, classification, "", "sim")


def test_entries_chunk_states_and_rebuild_restores_everything() -> None:
    states = {f"a{i}": counted(0) for i in range(JOURNAL_CHUNK * 2 + 3)}
    changes = PartitionChanges(states, {"2024-11-08|k": 5}, {"100|telefonico|piura": 2})
    entries = list(journal_entries(changes, applied_offset=41))
    assert len(entries) == 3
    assert sum(len(e["s"]) for e in entries) == len(states)
    keyed = [(journal_key(4, i), e) for i, e in enumerate(entries)]
    keyed.append((journal_key(5, 0), {"s": {"other": counted(0).to_json()}}))
    state = rebuild(reversed(keyed), 4)
    assert state.states == states
    assert state.day_counts == {"2024-11-08|k": 5}
    assert state.buckets == {"100|telefonico|piura": 2}
    assert state.next_sequence == 3
    assert state.applied_offset == 41
    assert "other" not in state.states


def test_later_entries_win_and_forgotten_buckets_go() -> None:
    first = next(journal_entries(PartitionChanges({"a": counted(0)}, {"d": 1}, {"100|x|y": 1}), 7))
    second = next(
        journal_entries(PartitionChanges({"a": counted(1, "tumbes")}, {"d": 0}, {}, ["100|x|y"]))
    )
    keyed = [(journal_key(0, 10), second), (journal_key(0, 9), first)]
    state = rebuild(keyed, 0)
    assert state.states["a"].revision == 1
    assert state.states["a"].classification[0] == "tumbes"
    assert state.day_counts == {"d": 0}
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
    days = {f"2024-01-{i % 28 + 1:02d}|k{i}": i for i in range(JOURNAL_CHUNK * 2 + 1)}
    entries = list(journal_entries(PartitionChanges(day_counts=days), applied_offset=3))
    assert len(entries) == 3
    assert all(len(e.get("d", {})) <= JOURNAL_CHUNK for e in entries)
    state = rebuild([(journal_key(1, i), e) for i, e in enumerate(entries)], 1)
    assert state.day_counts == days
    assert state.applied_offset == 3
