"""One entry of the partition journal (agents/state.py), typed; on the wire (the Faust table's
changelog) a JSON object with one-letter keys, which keeps the many small messages small."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from agents.day_counts import DayCountKey, day_count_text, parse_day_count_key
from agents.revisions import Counted


@dataclass(slots=True)
class JournalEntry:
    states: dict[str, Counted] = field(default_factory=dict)  # attention id -> its state
    day_counts: dict[DayCountKey, int] = field(default_factory=dict)  # absolute counts
    buckets: dict[str, int] = field(default_factory=dict)  # five-minute buckets: absolute
    forgotten_buckets: list[str] = field(default_factory=list)
    quality: dict[str, int] = field(default_factory=dict)  # revision outcomes: absolute
    applied_offset: int | None = None  # the last source offset the batch covered
    high_water_ms: int | None = None  # the newest occurred_at counted on the partition
    snapshot_begins: int | None = None  # this entry starts snapshot N: rebuild from empty here
    snapshot: int | None = None  # this entry belongs to snapshot N (restates, no news)
    snapshot_completes: int | None = None  # snapshot N is complete with this entry
    # on a batch's first entry: how many entries the batch wrote (a batch is applied whole or
    # not at all: a crash between two of its entries leaves a prefix that must not count)
    group: int | None = None

    def to_wire(self) -> dict[str, Any]:
        wire: dict[str, Any] = {}
        if self.group is not None:
            wire["g"] = self.group
        if self.snapshot_begins is not None:
            wire["r"] = self.snapshot_begins
        if self.snapshot is not None:
            wire["n"] = self.snapshot
        if self.snapshot_completes is not None:
            wire["c"] = self.snapshot_completes
        if self.applied_offset is not None:
            wire["o"] = self.applied_offset
        if self.high_water_ms is not None:
            wire["h"] = self.high_water_ms
        if self.states:
            wire["s"] = {k: v.to_json() for k, v in self.states.items()}
        if self.day_counts:
            days = self.day_counts
            wire["d"] = dict(zip(map(day_count_text, days), days.values(), strict=True))
        if self.buckets:
            wire["b"] = self.buckets
        if self.forgotten_buckets:
            wire["x"] = self.forgotten_buckets
        if self.quality:
            wire["q"] = self.quality
        return wire

    @classmethod
    def from_wire(cls, wire: dict[str, Any]) -> JournalEntry:
        def number(key: str) -> int | None:
            return int(wire[key]) if key in wire else None

        return cls(
            states={k: Counted.from_json(v) for k, v in wire.get("s", {}).items()},
            day_counts={parse_day_count_key(k): int(v) for k, v in wire.get("d", {}).items()},
            buckets=dict(wire.get("b", {})),
            forgotten_buckets=list(wire.get("x", [])),
            quality=dict(wire.get("q", {})),
            applied_offset=number("o"),
            high_water_ms=number("h"),
            snapshot_begins=number("r"),
            snapshot=number("n"),
            snapshot_completes=number("c"),
            group=number("g"),
        )
