"""The incident detector: signal attentions per key in five-minute buckets, windows of 15, 30
and 60 minutes ending at each attention's bucket, an alert when a window's count is improbable
against the key's baseline (incidents/README.md: the statistic, its thresholds, the lifecycle).

Pure and deterministic: the same attentions in the same order per key give the same alerts,
with the same ids, so a replay or a restart raises no alert twice.
"""

from __future__ import annotations

import heapq
import math
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from functools import lru_cache
from typing import Any

from incidents.baseline import BUCKETS_PER_HOUR, Baselines, KeyBaseline
from incidents.poisson import improbable_count
from incidents.signal import IncidentKey

BUCKET_S = 300


@dataclass(frozen=True)
class AlertRules:
    scales: tuple[int, ...] = (10, 15, 30, 60)  # window lengths, minutes (multiples of 5)
    alpha: float = 1e-6  # a window alerts when its count is at most this probable
    min_count: int = 4  # and holds at least this many attentions: 2 calls never page anyone
    quiet_minutes: int = 60  # an alert closes after this long without an improbable window
    lateness_minutes: int = 120  # attentions older than this behind the newest are not judged

    def __post_init__(self) -> None:
        if not self.scales or any(s <= 0 or s % 5 for s in self.scales):
            raise ValueError("alert window lengths must be positive multiples of 5 minutes")
        if not 0 < self.alpha < 1:
            raise ValueError("alert alpha must be between 0 and 1")


class Change(StrEnum):
    OPENED = "opened"
    UPDATED = "updated"
    CLOSED = "closed"


@dataclass
class Alert:
    alert_id: str  # "<provider>|<place>|<start of the first improbable window>" (RFC 3339)
    key: IncidentKey
    opened_at: datetime  # end of the first improbable window
    window_start: datetime
    updated_at: datetime
    closed_at: datetime | None = None
    peak_count: int = 0  # the largest improbable window's count
    peak_minutes: int = 0  # and its length
    peak_expected: float = 0.0  # what the baseline expected in that window
    attentions: int = 0  # signal attentions of the key from the window start to the close
    subtypes: Counter[str] = field(default_factory=Counter)
    channels: Counter[str] = field(default_factory=Counter)
    version: int = 0  # one more at every change

    def to_json(self) -> dict[str, Any]:
        return {
            "alert_id": self.alert_id, "provider": self.key.provider, "place": self.key.place,
            "opened_at": self.opened_at.isoformat(), "window_start": self.window_start.isoformat(),
            "updated_at": self.updated_at.isoformat(),
            "closed_at": self.closed_at.isoformat() if self.closed_at else None,
            "peak_count": self.peak_count, "peak_minutes": self.peak_minutes,
            "peak_expected": self.peak_expected, "attentions": self.attentions,
            "subtypes": dict(self.subtypes), "channels": dict(self.channels),
            "version": self.version,
        }  # fmt: skip

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Alert:
        def instant(text: str | None) -> datetime | None:
            return datetime.fromisoformat(text) if text else None

        return cls(
            alert_id=raw["alert_id"],
            key=IncidentKey(raw["provider"], raw["place"]),
            opened_at=datetime.fromisoformat(raw["opened_at"]),
            window_start=datetime.fromisoformat(raw["window_start"]),
            updated_at=datetime.fromisoformat(raw["updated_at"]),
            closed_at=instant(raw["closed_at"]),
            peak_count=raw["peak_count"],
            peak_minutes=raw["peak_minutes"],
            peak_expected=raw["peak_expected"],
            attentions=raw["attentions"],
            subtypes=Counter(raw["subtypes"]),
            channels=Counter(raw["channels"]),
            version=raw["version"],
        )


@dataclass
class _KeyState:
    buckets: dict[int, int] = field(default_factory=dict)  # bucket index -> attentions
    subtypes: dict[int, Counter[str]] = field(default_factory=dict)
    channels: dict[int, Counter[str]] = field(default_factory=dict)
    seen: dict[str, int] = field(default_factory=dict)  # attention id -> its bucket
    # (bucket, attention id) of `seen`, a heap: the oldest are forgotten without a scan
    seen_order: list[tuple[int, str]] = field(default_factory=list)
    alert: Alert | None = None
    last_improbable: int = -1  # bucket of the open alert's latest improbable window
    consumed_until: int = -1  # buckets up to here belong to a closed alert: never judged again
    # attentions ahead of an outside clock, judged when it reaches them: (bucket, subtype,
    # channel), in arrival order
    pending: list[tuple[int, str, str]] = field(default_factory=list)

    def to_json(self, clock: int) -> dict[str, Any]:
        return {
            "clock": clock,
            "buckets": {str(b): n for b, n in self.buckets.items()},
            "subtypes": {str(b): dict(c) for b, c in self.subtypes.items()},
            "channels": {str(b): dict(c) for b, c in self.channels.items()},
            "seen": self.seen,
            "alert": self.alert.to_json() if self.alert else None,
            "last_improbable": self.last_improbable,
            "consumed_until": self.consumed_until,
            "pending": self.pending,
        }

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> _KeyState:
        return cls(
            buckets={int(b): n for b, n in raw["buckets"].items()},
            subtypes={int(b): Counter(c) for b, c in raw["subtypes"].items()},
            channels={int(b): Counter(c) for b, c in raw["channels"].items()},
            seen=dict(raw["seen"]),
            seen_order=sorted((b, a) for a, b in raw["seen"].items()),
            alert=Alert.from_json(raw["alert"]) if raw["alert"] else None,
            last_improbable=raw["last_improbable"],
            consumed_until=raw["consumed_until"],
            pending=[(int(b), s, c) for b, s, c in raw.get("pending", [])],
        )


def _bucket(moment: datetime) -> int:
    return int(moment.timestamp()) // BUCKET_S


def _instant(bucket: int) -> datetime:
    return datetime.fromtimestamp(bucket * BUCKET_S, tz=UTC)


@lru_cache(maxsize=65536)
def _threshold(expected: float, alpha: float) -> int:
    return improbable_count(expected, alpha, 1)


class Detector:
    def __init__(
        self, baselines: Baselines, rules: AlertRules | None = None, follow_events: bool = True
    ) -> None:
        """follow_events: the clock is the newest attention seen (one ordered stream); else it
        moves only by advance() (the worker: the slowest source partition, agents/incidents.py)."""
        self.baselines = baselines
        self.rules = rules or AlertRules()
        self.follow_events = follow_events
        self.keys: dict[IncidentKey, _KeyState] = {}
        self.newest = -1  # the clock: a bucket (event time)
        self._widest = max(self.rules.scales) // 5
        self._quiet = self.rules.quiet_minutes // 5
        self._late = self.rules.lateness_minutes // 5
        self.late_attentions = 0
        self._open: set[IncidentKey] = set()  # keys with an open alert
        self._pruned = -1  # the horizon of the last pruning

    def observe(
        self,
        key: IncidentKey,
        occurred_at: datetime,
        subtype: str,
        channel: str,
        attention_id: str = "",
    ) -> list[tuple[Change, Alert]]:
        """One signal attention; returns the alerts it opened or updated, and those that
        closed because time moved on. An attention id seen again (a replay) changes nothing.
        On an outside clock, an attention ahead of it waits until advance() reaches it."""
        bucket = _bucket(occurred_at)
        state = self.keys.get(key)
        if state is None:  # not setdefault: a _KeyState built per signal costs more than the rest
            state = self.keys[key] = _KeyState()
        if attention_id:
            if attention_id in state.seen:
                return []
            state.seen[attention_id] = bucket
            heapq.heappush(state.seen_order, (bucket, attention_id))
        if not self.follow_events and bucket > self.newest:
            state.pending.append((bucket, subtype, channel))
            return []
        changes = self._move_clock(bucket) if bucket > self.newest else []
        return changes + self._place(key, state, bucket, subtype, channel)

    def _place(
        self, key: IncidentKey, state: _KeyState, bucket: int, subtype: str, channel: str
    ) -> list[tuple[Change, Alert]]:
        """Count an attention in its bucket and judge every window it is in."""
        changes: list[tuple[Change, Alert]] = []
        if bucket < self.newest - self._late or bucket <= state.consumed_until:
            self.late_attentions += 1
            return changes
        state.buckets[bucket] = state.buckets.get(bucket, 0) + 1
        state.subtypes.setdefault(bucket, Counter())[subtype] += 1
        state.channels.setdefault(bucket, Counter())[channel] += 1
        if state.alert is not None and bucket >= _bucket(state.alert.window_start):
            state.alert.attentions += 1
            state.alert.subtypes[subtype] += 1
            state.alert.channels[channel] += 1
        # Every window that now holds this attention: the one ending with its bucket and, when
        # later attentions of the key came first (another source partition was faster), the
        # later windows that reach back to it.
        last = min(max(state.buckets), bucket + self._widest - 1)
        for end in range(bucket, last + 1):
            if end == bucket or end in state.buckets:
                change = self._judge(key, state, end)
                if change is not None:
                    changes.append(change)
        return changes

    def advance(self, bucket: int) -> list[tuple[Change, Alert]]:
        """Move the clock to `bucket` (event time): the attentions waiting for it are judged
        in time order, the clock following them; alerts quiet for long enough close, buckets
        no window reaches are forgotten."""
        due = [
            (b, key.text(), n, key, subtype, channel)
            for key, state in self.keys.items()
            if state.pending
            for n, (b, subtype, channel) in enumerate(state.pending)
            if b <= bucket
        ]
        changes = []
        for b, _text, _n, key, subtype, channel in sorted(due):
            if b > self.newest:
                changes += self._move_clock(b)
            changes += self._place(key, self.keys[key], b, subtype, channel)
        if due:
            for state in self.keys.values():
                state.pending = [item for item in state.pending if item[0] > bucket]
        return changes + self._move_clock(bucket)

    def _move_clock(self, bucket: int) -> list[tuple[Change, Alert]]:
        if bucket <= self.newest:
            return []
        self.newest = bucket
        closed = []
        quiet = [
            key for key in self._open if bucket - self.keys[key].last_improbable >= self._quiet
        ]
        for key in sorted(quiet):
            state = self.keys[key]
            alert = state.alert
            if alert is None:
                continue
            # it closed when the quiet period ended, whenever the clock noticed; what came up
            # to then was the alert's, what comes after is new evidence
            end = state.last_improbable + self._quiet
            alert.closed_at = _instant(end + 1)
            alert.version += 1
            closed.append((Change.CLOSED, alert))
            state.alert = None
            state.consumed_until = end
            self._open.discard(key)
        horizon = bucket - self._widest - self._late
        if horizon - self._pruned >= BUCKETS_PER_HOUR:  # an hour more to forget: once an hour
            self._prune(horizon)
            self._pruned = horizon
        return closed

    def _prune(self, horizon: int) -> None:
        """Forget buckets and attention ids no window reaches any more."""
        for state in self.keys.values():
            if state.buckets and min(state.buckets) < horizon:
                for old in [b for b in state.buckets if b < horizon]:
                    del state.buckets[old]
                    state.subtypes.pop(old, None)
                    state.channels.pop(old, None)
            order = state.seen_order
            while order and order[0][0] < horizon:
                _, attention_id = heapq.heappop(order)
                state.seen.pop(attention_id, None)

    def advance_to(self, moment: datetime) -> list[tuple[Change, Alert]]:
        return self.advance(_bucket(moment))

    @property
    def has_open_alerts(self) -> bool:
        return bool(self._open)

    @property
    def waits_for_the_clock(self) -> bool:
        """An alert to close, or attentions ahead of the clock to judge."""
        return bool(self._open) or any(state.pending for state in self.keys.values())

    def state_of(self, key: IncidentKey) -> dict[str, Any]:
        """A key's state as JSON (the agent keeps it in a table with a changelog)."""
        return self.keys.get(key, _KeyState()).to_json(self.newest)

    def restore(self, key: IncidentKey, raw: dict[str, Any]) -> None:
        """Take back a key's state from state_of(); the clock goes to the newest saved."""
        state = self.keys[key] = _KeyState.from_json(raw)
        self.newest = max(self.newest, int(raw["clock"]))
        if state.alert is not None:
            self._open.add(key)

    def _judge(
        self, key: IncidentKey, state: _KeyState, bucket: int
    ) -> tuple[Change, Alert] | None:
        improbable = self._most_improbable_window(self.baselines.of(key), state, bucket)
        if improbable is None:
            return None
        count, minutes, expected, first = improbable
        state.last_improbable = max(state.last_improbable, bucket)
        alert = state.alert
        if alert is None:
            start = _instant(first)
            alert = Alert(
                alert_id=f"{key.text()}|{start.isoformat()}",
                key=key,
                opened_at=_instant(bucket + 1),
                window_start=start,
                updated_at=_instant(bucket + 1),
            )
            for b in range(first, bucket + 1):
                alert.attentions += state.buckets.get(b, 0)
                alert.subtypes.update(state.subtypes.get(b, {}))
                alert.channels.update(state.channels.get(b, {}))
            state.alert = alert
            self._open.add(key)
            change = Change.OPENED
        else:
            change = Change.UPDATED
        alert.updated_at = _instant(bucket + 1)
        if count > alert.peak_count:
            alert.peak_count, alert.peak_minutes, alert.peak_expected = count, minutes, expected
        alert.version += 1
        return change, alert

    def _most_improbable_window(
        self, baseline: KeyBaseline, state: _KeyState, bucket: int
    ) -> tuple[int, int, float, int] | None:
        """Of the windows ending with `bucket` (each scale, never reaching back into a closed
        alert), the improbable one with the highest count / expected: (count, minutes,
        expected, first bucket), or None."""
        count, expected, best = 0, 0.0, None
        oldest = max(bucket - self._widest + 1, state.consumed_until + 1)
        buckets = state.buckets
        if sum(buckets.get(b, 0) for b in range(oldest, bucket + 1)) < self.rules.min_count:
            return None  # no window can hold enough (most attentions of quiet keys)
        starts: dict[int, int] = {}  # first bucket of each window -> its length (minutes)
        for minutes in sorted(self.rules.scales, reverse=True):
            starts[max(bucket - minutes // 5 + 1, oldest)] = minutes
        for b in range(bucket, oldest - 1, -1):
            count += state.buckets.get(b, 0)
            expected += baseline.per_hour[lima_hour_of_week(b)] / BUCKETS_PER_HOUR
            length = starts.get(b)
            if length is None or count < self.rules.min_count:
                continue
            improbable = self._is_improbable(count, expected, baseline.dispersion(expected))
            if improbable and (best is None or count / expected > best[0] / best[2]):
                best = (count, length, expected, b)
        return best

    def _is_improbable(self, count: int, expected: float, dispersion: float) -> bool:
        # quasi-Poisson: a key whose counts vary `dispersion` times more than Poisson is judged
        # on count / dispersion against expected / dispersion
        scaled = math.ceil(count / dispersion)
        rounded = float(f"{expected / dispersion:.3g}")  # few distinct values: cached thresholds
        return scaled >= _threshold(rounded, self.rules.alpha)


# Lima is UTC-5 all year (no daylight saving since 1994); 1970-01-01 was a Thursday.
_LIMA_OFFSET_BUCKETS = -5 * BUCKETS_PER_HOUR
_THURSDAY_HOURS = 3 * 24


def lima_hour_of_week(bucket: int) -> int:
    """hour_of_week() of a five-minute bucket, by arithmetic (the detector's hot path)."""
    local_hours = (bucket + _LIMA_OFFSET_BUCKETS) // BUCKETS_PER_HOUR
    return (local_hours + _THURSDAY_HOURS) % 168
