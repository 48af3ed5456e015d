from __future__ import annotations

from agents.continuity import first_missing


def _missing(
    records: list[tuple[int, int]],
    applied: dict[int, int],
    gaps: dict[tuple[int, int], int] | None = None,
) -> dict[int, int]:
    starts = gaps or {}
    return first_missing(
        records,
        lambda partition: applied.get(partition, -1),
        lambda partition, offset: starts.get((partition, offset), offset),
    )


def test_records_that_follow_on_from_the_state_have_no_hole() -> None:
    records = [(0, 5), (1, 0), (0, 6), (1, 1), (0, 7)]
    assert _missing(records, {0: 4}) == {}


def test_replays_at_or_below_the_applied_offset_are_not_a_hole() -> None:
    assert _missing([(0, 2), (0, 3), (0, 4), (0, 5)], {0: 4}) == {}


def test_a_partition_read_past_records_no_batch_held_is_read_again_from_the_first_of_them() -> None:
    # a fresh partition (nothing applied) whose first record read is 2,200
    assert _missing([(3, 2200), (3, 2201), (0, 0)], {}) == {3: 0}
    # a hole in the middle of a batch: the records before it are fine
    assert _missing([(1, 10), (1, 11), (1, 15), (1, 16)], {1: 9}) == {1: 12}


def test_a_gap_the_fetcher_saw_or_a_rewind_accounts_for_the_offsets_before_a_record() -> None:
    # transaction markers at 11 and 12: the fetcher read from 11 and found data at 13
    assert _missing([(1, 10), (1, 13)], {1: 9}, {(1, 13): 11}) == {}
    # after a rewind to 0, the log starts at 500 (older segments deleted)
    assert _missing([(2, 500), (2, 501)], {}, {(2, 500): 0}) == {}
    # a gap that starts later than the next offset does not account for it
    assert _missing([(1, 13)], {1: 9}, {(1, 13): 12}) == {1: 10}
