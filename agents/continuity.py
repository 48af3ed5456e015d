"""Whether a batch's records follow on from what each partition's state holds (pure).

The state journals the last source offset it covers; the consumer group's committed offset is
only a hint of where to read. A partition's next record must be the state's next offset — or
lie past a gap the fetcher itself saw (offsets with no data record: transaction markers) or
past the offset the lane rewound it to (the log may start later). Anything else is a hole:
records that were never counted, whatever moved the consumer past them (seen after repeated
kill -9s: a partition with no commit yet was committed past records no batch ever held). The
partition is then read again from its state's next offset; nothing past the hole is applied or
committed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable


def first_missing(
    records: Iterable[tuple[int, int]],
    applied_offset: Callable[[int], int],
    covered_from: Callable[[int, int], int],
) -> dict[int, int]:
    """For each partition whose records do not follow on from its state: the first offset no
    batch has held. `records` are (partition, offset) in fetch order (ascending per
    partition); `applied_offset(p)` is the last offset p's state covers; `covered_from(p, o)`
    the lowest offset the record at o accounts for (o itself, or the start of a gap before it).
    Records at or below the applied offset (replays) are not held against it."""
    expected: dict[int, int] = {}
    missing: dict[int, int] = {}
    for partition, offset in records:
        if partition in missing:
            continue
        next_offset = expected.get(partition)
        if next_offset is None:
            next_offset = applied_offset(partition) + 1
        if offset < next_offset:
            continue
        if offset > next_offset and covered_from(partition, offset) > next_offset:
            missing[partition] = next_offset
            continue
        expected[partition] = offset + 1
    return missing
