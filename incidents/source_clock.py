"""The detector's clock in the worker: how far in event time every partition of the attention
topic has been counted, and the slowest of them.

The attention agent tells every partition of the incident-signals topic, with each batch, the
newest attention it counted per source partition; what the incident agent has read of each
incident partition says how far each source partition's attentions have reached it. Taking the
newest attention seen anywhere as "now" is wrong as soon as partitions run at different speeds —
in a backfill or after a restart one partition can be hours or days ahead — and would make the
slower partitions' attentions late (never judged) and close alerts early. The slowest (incident
partition, source partition) pair still sending is the event time up to which everything has
arrived (a watermark); a pair silent for `idle_s` of wall time (no traffic on that source
partition, or an incident partition another worker reads) stops holding the clock back, and
while a new worker has not yet heard from every pair the clock cannot be said (for at most
`idle_s`; meanwhile the agent lets the detector's clock follow the attentions as they come).
"""

from __future__ import annotations

from collections.abc import Hashable


class SourceClock:
    def __init__(self, sources: int, idle_s: float, started: float) -> None:
        self.sources = sources  # how many to wait for at the start
        self.idle_s = idle_s
        self.started = started  # wall clock (monotonic seconds) the worker began to listen
        self.newest_ms: dict[Hashable, int] = {}  # source -> newest attention counted
        self.heard_at: dict[Hashable, float] = {}  # source -> when last reported

    def heard(self, source: Hashable, newest_ms: int, at: float) -> None:
        self.newest_ms[source] = max(newest_ms, self.newest_ms.get(source, newest_ms))
        self.heard_at[source] = at

    def now_ms(self, at: float) -> int | None:
        """The event time every source still sending has reached (epoch ms), or None while
        it cannot be said (nothing heard, or some sources not heard yet since the start)."""
        if not self.newest_ms:
            return None
        warming = at - self.started < self.idle_s
        if warming and len(self.newest_ms) < self.sources:
            return None
        sending = [
            newest
            for source, newest in self.newest_ms.items()
            if at - self.heard_at[source] < self.idle_s
        ]
        return min(sending) if sending else max(self.newest_ms.values())
