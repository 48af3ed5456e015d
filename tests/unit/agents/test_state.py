"""The partition journal: what a batch writes is what a rebuild reads back, in order."""

from __future__ import annotations

from agents.revisions import Counted
from agents.state import JOURNAL_CHUNK, PartitionState, journal_entries, journal_key, rebuild


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
    entries = list(journal_entries(states, {"2024-11-08|k": 5}, {"100|telefonico|piura": 2}, []))
    assert len(entries) == 3
    assert sum(len(e["s"]) for e in entries) == len(states)
    keyed = [(journal_key(4, i), e) for i, e in enumerate(entries)]
    keyed.append((journal_key(5, 0), {"s": {"other": counted(0).to_json()}}))
    state = rebuild(reversed(keyed), 4)
    assert state.states == states
    assert state.day_counts == {"2024-11-08|k": 5}
    assert state.buckets == {"100|telefonico|piura": 2}
    assert state.next_sequence == 3
    assert "other" not in state.states


def test_later_entries_win_and_forgotten_buckets_go() -> None:
    first = next(journal_entries({"a": counted(0)}, {"d": 1}, {"100|x|y": 1}, []))
    second = next(journal_entries({"a": counted(1, "tumbes")}, {"d": 0}, {}, ["100|x|y"]))
    keyed = [(journal_key(0, 10), second), (journal_key(0, 9), first)]
    state = rebuild(keyed, 0)
    assert state.states["a"].revision == 1
    assert state.states["a"].classification[0] == "tumbes"
    assert state.day_counts == {"d": 0}
    assert state.buckets == {}
    assert state.next_sequence == 11


def test_old_buckets_are_forgotten() -> None:
    state = PartitionState(buckets={"100|a|b": 1, "900|a|b": 2})
    assert state.forget_buckets_before(500) == ["100|a|b"]
    assert state.buckets == {"900|a|b": 2}
