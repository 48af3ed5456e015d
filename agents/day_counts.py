"""The worker's absolute day counts by (Lima day, classification): their keys, shared objects,
their text form in the journal, and their store nested by day (agents/state.py keeps one per
source partition)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date

from agents.revisions import shared
from schemas.classification import Classification

# A day count's key: its Lima day and classification, both shared objects. As a tuple it costs
# 56 bytes; as the "<day>|<eight fields>" text the journal writes, ~150 — and a backfill opens
# a key for most of its events (78 % with the simulator's mix).
DayCountKey = tuple[date, Classification]
_SHARED_DAYS: dict[date, date] = {}


def day_count_key(day: date, classification: Classification) -> DayCountKey:
    """The key of a day count (classification already shared: revisions.shared)."""
    return (_SHARED_DAYS.setdefault(day, day), classification)


def day_count_text(key: DayCountKey) -> str:
    """The key as the journal writes it (JSON objects have text keys)."""
    day, classification = key
    day_text = _DAY_TEXTS.get(day)
    if day_text is None:
        day_text = _DAY_TEXTS[day] = day.isoformat()
    classification_text = _CLASSIFICATION_TEXTS.get(classification)
    if classification_text is None:
        classification_text = _CLASSIFICATION_TEXTS[classification] = "|".join(classification)
    return f"{day_text}|{classification_text}"


# Days and classifications are few next to day counts (shared objects, see above): the text of
# each is made once, not once per count journaled.
_DAY_TEXTS: dict[date, str] = {}
_CLASSIFICATION_TEXTS: dict[Classification, str] = {}


def parse_day_count_key(text: str) -> DayCountKey:
    day, *classification = text.split("|")
    return day_count_key(date.fromisoformat(day), shared(tuple(classification)))  # type: ignore[arg-type]


class DayCounts:
    """Absolute day counts by (Lima day, classification), stored nested by day — one small dict
    per day instead of a key tuple per count: ~31 instead of ~80 MiB for 760,000 counts (a
    backfill opens a count for most of its events). Reads and writes take the (day,
    classification) key; forgetting old days drops whole days."""

    __slots__ = ("_days", "_size")

    def __init__(self, items: Iterable[tuple[DayCountKey, int]] = ()) -> None:
        self._days: dict[date, dict[Classification, int]] = {}
        self._size = 0
        for key, count in items:
            self[key] = count

    def __setitem__(self, key: DayCountKey, count: int) -> None:
        day, classification = key
        counts = self._days.get(day)
        if counts is None:
            counts = self._days[_SHARED_DAYS.setdefault(day, day)] = {}
        if classification not in counts:
            self._size += 1
        counts[classification] = count

    def get(self, key: DayCountKey, default: int = 0) -> int:
        counts = self._days.get(key[0])
        return default if counts is None else counts.get(key[1], default)

    def __getitem__(self, key: DayCountKey) -> int:
        return self._days[key[0]][key[1]]

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, tuple) or len(key) != 2:
            return False
        counts = self._days.get(key[0])
        return counts is not None and key[1] in counts

    def __len__(self) -> int:
        return self._size

    def items(self) -> Iterator[tuple[DayCountKey, int]]:
        for day, counts in self._days.items():
            for classification, count in counts.items():
                yield (day, classification), count

    def __iter__(self) -> Iterator[DayCountKey]:
        for key, _ in self.items():
            yield key

    def update(self, other: DayCounts | dict[DayCountKey, int]) -> None:
        for key, count in other.items():
            self[key] = count

    def clear(self) -> None:
        self._days.clear()
        self._size = 0

    def forget_days_before(self, oldest: date) -> None:
        for day in [d for d in self._days if d < oldest]:
            self._size -= len(self._days.pop(day))

    def snapshot_todo(self) -> list[tuple[date, list[Classification]]]:
        """Every key as it is now, compactly (a list of classifications per day)."""
        return [(day, list(counts)) for day, counts in self._days.items()]

    def __eq__(self, other: object) -> bool:
        if isinstance(other, DayCounts | dict):
            return dict(self.items()) == dict(other.items())
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"DayCounts({dict(self.items())!r})"


def take_day_keys(todo: list[tuple[date, list[Classification]]], limit: int) -> list[DayCountKey]:
    """Up to `limit` keys off the end of a snapshot's to-do list (DayCounts.snapshot_todo)."""
    taken: list[DayCountKey] = []
    while todo and len(taken) < limit:
        day, classifications = todo[-1]
        want = limit - len(taken)
        taken += [(day, c) for c in classifications[-want:]]
        del classifications[-want:]
        if not classifications:
            todo.pop()
    return taken
