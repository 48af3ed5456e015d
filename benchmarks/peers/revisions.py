"""The contract's revision rules for the peers (stdlib only: the Quix peer imports it from its
own environment). A later revision replaces the earlier one, the same one again is a duplicate,
a lower one is stale, a void removes the attention from the counts.

Key = (Lima day, office, channel, case type), the cut every peer counts.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

Key = tuple[str, str, str, str]
Seen = tuple[int, Key | None]  # (revision, key counted now or None when voided)
LIMA = timedelta(hours=-5)  # America/Lima: UTC-5, no daylight saving time


def lima_day(occurred_at: str) -> str:
    moment = datetime.fromisoformat(occurred_at).astimezone(UTC)
    return (moment + LIMA).date().isoformat()


def key_of(event: dict[str, Any]) -> Key:
    return (
        lima_day(event["occurred_at"]),
        event["office"],
        event["channel"],
        event["case_type"],
    )


def apply(seen: Seen | None, event: dict[str, Any]) -> tuple[Seen | None, list[tuple[Key, int]]]:
    """The new state of one attention and the count deltas that this record causes."""
    revision = int(event.get("revision", 0))
    if seen is not None and revision <= seen[0]:
        return seen, []  # duplicate or stale
    key = None if event.get("voided") else key_of(event)
    deltas: list[tuple[Key, int]] = []
    if seen is not None and seen[1] is not None:
        deltas.append((seen[1], -1))
    if key is not None:
        deltas.append((key, 1))
    return (revision, key), deltas
