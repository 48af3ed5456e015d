"""The incident agent: service-failure attentions per provider and place -> alerts (incidents/).

The attention agent sends each first-seen attention of a service-failure subtype to the
incident-signals topic, on the partition of its incident key, after its counts are in
ClickHouse, and with every batch tells each partition of that topic how far in event time it
has counted each source partition. This agent judges the attentions with incidents.detector,
whose clock is the slowest source partition (incidents/source_clock.py: a backfill whose
partitions run at different speeds loses nothing and closes no alert early); keeps each key's
detector state in the `incident-keys` table (a restart goes on where it stopped; an attention
seen again changes nothing); writes every alert version to ClickHouse (`atenciones.alerts`,
highest version kept) and to the alerts topic. While an alert is open and nothing arrives, a
timer sends the topic a tick, so that a quiet alert still closes, and attentions ahead of the
clock are still judged, when the source partitions fall silent.

Baselines come from ClickHouse: the weeks of service-failure attentions before the week the
detector's clock (event time) is in, so a backfill of past years is judged against its own past;
they are loaded again when that week changes (in a backfill, at most every 30 s). Until they
are loaded nothing is judged: the batch waits, with the sink's retries and health, as for a
ClickHouse outage.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Coroutine, Sequence
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any

import faust
import orjson
from faust.types import EventT, StreamT
from mode.supervisors import CrashingSupervisor

from agents import metrics
from agents.admission import key_partition
from agents.agent_loop import run_batches
from agents.app import byte_topic
from agents.batch import Signal
from agents.dead_letters import Lettered, letter_for, letter_rows, send_letters
from agents.faust_bridge import current_event, flush_durably, held_batches, release
from agents.health import WorkerHealth
from agents.sink import Sink
from clickhouse import queries
from clickhouse.writer import AlertRow
from foundation.settings import Settings
from incidents.baseline import BaselineRules, estimate, week_start
from incidents.detector import BUCKET_S, Alert, AlertRules, Change, Detector
from incidents.signal import IncidentKey, incident_key
from incidents.source_clock import SourceClock
from schemas.alert import AlertEvent
from schemas.classification import (
    CASE_SUBTYPE,
    CHANNEL,
    DISTRICT,
    OFFICE,
    PROVIDER,
    PROVIDER_SCOPE,
)
from schemas.reasons import Reason
from schemas.timestamps import lima_day

log = logging.getLogger(__name__)
BASELINE_RELOAD_S = 30.0
SEND_DEADLINE_S = 60.0
TICK_S = 5.0  # with an alert open and nothing arriving, how often the clock is looked at again
PROGRESS_EVERY_S = 1.0  # a partition without signals hears of the counting at most this often


def alert_row(alert: Alert) -> AlertRow:
    return AlertRow(
        alert_id=alert.alert_id,
        provider=alert.key.provider,
        place=alert.key.place,
        status="closed" if alert.closed_at else "open",
        day=lima_day(alert.opened_at),
        window_start=alert.window_start,
        opened_at=alert.opened_at,
        updated_at=alert.updated_at,
        closed_at=alert.closed_at,
        peak_count=alert.peak_count,
        peak_minutes=alert.peak_minutes,
        peak_expected=alert.peak_expected,
        attentions=alert.attentions,
        subtypes=dict(alert.subtypes),
        channels=dict(alert.channels),
        version=alert.version,
    )


class IncidentPipeline:
    def __init__(
        self, app: faust.App, settings: Settings, sink: Sink, health: WorkerHealth
    ) -> None:
        self.app = app
        self.settings = settings
        self.sink = sink
        self.health = health
        self.signals = byte_topic(app, settings.incident_signals_topic, settings.topic_partitions)
        self.alerts = byte_topic(app, settings.alerts_topic)
        self.dead_letters = byte_topic(app, settings.dlq_topic)
        # incident key -> its detector state (incidents.detector.Detector.state_of)
        self.states = app.Table("incident-keys", default=None, partitions=settings.topic_partitions)
        self.rules = AlertRules(
            alpha=settings.alert_alpha,
            min_count=settings.alert_min_count,
            quiet_minutes=settings.alert_quiet_minutes,
        )
        self.baseline_rules = BaselineRules(
            weeks=settings.alert_baseline_weeks, floor_per_hour=settings.alert_floor_per_hour
        )
        self.detector: Detector | None = None
        self.baselines_week: date | None = None
        self.baselines_loaded = 0.0  # time.monotonic() of the last load
        # (incident partition, source partition) -> how far the source has reached it
        self.clock = SourceClock(
            settings.topic_partitions**2, settings.incident_idle_s, time.monotonic()
        )
        self.last_batch_at = time.monotonic()
        # the sending side: newest attention counted per source partition this worker reads,
        # and when each incident partition last heard of it
        self.counted_ms: dict[int, int] = {}
        self.told_at: dict[int, float] = {}
        app.on_partitions_assigned.connect(self._forget)
        app.on_partitions_revoked.connect(self._forget_sources)

    async def _forget(self, *args: object, **kwargs: object) -> None:
        # another worker may have judged these keys in between: restore from the table
        self.detector = None
        await self._forget_sources()

    async def _forget_sources(self, *args: object, **kwargs: object) -> None:
        # a source partition now read elsewhere must not be reported from here any more
        self.counted_ms.clear()

    async def send_signals(self, signals: list[Signal], progress: dict[int, int]) -> None:
        """Send the signals (see _send_signals) within SEND_DEADLINE_S: a send that waits for a
        partition the broker does not know waits for ever, so the batch fails instead (the
        worker stops, its supervisor restarts it, the batch is read again)."""
        await within_deadline(self._send_signals(signals, progress), "incident signals")

    async def _send_signals(self, signals: list[Signal], progress: dict[int, int]) -> None:
        """The attention agent's batch: to each partition of the topic with signals in it, and
        to the others at most every PROGRESS_EVERY_S, one record with how far this worker has
        counted each source partition it reads (newest attention, epoch ms) and the partition's
        first-seen service-failure attentions, each key always on the partition of its murmur2
        hash (its state lives there), in time order; returns once the broker has them (before
        the attention batch is released). A partition told less often only holds the
        detector's clock back a little: what it is told is never ahead of what it was sent."""
        partitions = self.settings.topic_partitions
        for source, newest in progress.items():
            self.counted_ms[source] = max(newest, self.counted_ms.get(source, newest))
        now_s = time.monotonic()
        by_partition: dict[int, list[tuple[str, str, int, str, str]]] = {
            partition: []
            for partition in range(partitions)
            if now_s - self.told_at.get(partition, 0.0) >= PROGRESS_EVERY_S
        }
        for attention_id, occurred_ms, c in signals:
            key, partition = _key_and_partition(
                c[PROVIDER], c[PROVIDER_SCOPE], c[DISTRICT], c[OFFICE], partitions
            )
            by_partition.setdefault(partition, []).append(
                (key, attention_id, occurred_ms, c[CASE_SUBTYPE], c[CHANNEL])
            )
        marks = {str(source): newest for source, newest in self.counted_ms.items()}
        for partition in by_partition:
            self.told_at[partition] = now_s
        records = [
            (
                f"signals-{partition}".encode(),
                orjson.dumps({"progress": marks, "signals": sorted(listed, key=_at)}),
                partition,
            )
            for partition, listed in by_partition.items()
        ]
        await send_and_wait(self.signals, records)
        metrics.SIGNALS_SENT.inc(len(signals))

    async def process(self, stream: StreamT[bytes]) -> None:
        await run_batches(
            self.app, self.health, "incidents", held_batches(stream, 500, 0.5),
            lambda events: self.process_batch(stream, events),
        )  # fmt: skip

    async def process_batch(self, stream: StreamT[bytes], events: Sequence[EventT]) -> None:
        signals: list[tuple[EventT, SignalOf]] = []
        letters: list[Lettered] = []
        heard_at = time.monotonic()
        self.last_batch_at = heard_at
        for event in events:
            try:
                progress, decoded = _decode_record(event)
            except (ValueError, KeyError, TypeError, OverflowError) as error:
                # the topic is the worker's own; anything else on it is dead-lettered, not fatal
                text = f"not an incident signal: {type(error).__name__}: {error}"[:500]
                message = event.message
                letters.append((message, letter_for(message, Reason.INVALID_JSON, text, now())))
                continue
            for source, newest_ms in progress.items():
                self.clock.heard((event.message.partition, source), newest_ms, heard_at)
            signals += [(event, signal) for signal in decoded]
        signals.sort(key=lambda pair: pair[1][1])  # every partition's, in event time
        clock_ms = self.clock.now_ms(heard_at)
        clock = datetime.fromtimestamp(clock_ms / 1000, tz=UTC) if clock_ms else None
        detector = await self._detector(clock or (signals[0][1][1] if signals else None))
        # Until the slowest partition is known (a worker's first seconds), the clock follows
        # the attentions as they come, as on one ordered stream: nothing piles up waiting.
        detector.follow_events = clock is None
        changed: dict[str, Alert] = {}
        touched: dict[IncidentKey, EventT | None] = {}
        late_before = detector.late_attentions
        # attentions ahead of the clock wait in their key's state; advancing the clock judges
        # them in time order, so partitions running at different speeds change nothing
        observed = []
        for event, (key, at, subtype, channel, attention_id) in signals:
            observed += detector.observe(key, at, subtype, channel, attention_id)
            touched[key] = event
        for change, alert in [*observed, *(detector.advance_to(clock) if clock else [])]:
            changed[alert.alert_id] = alert
            if alert.key not in touched:  # closed by the clock: a record of its partition
                touched[alert.key] = _event_of(events, alert.key, self.settings)
            if change is Change.OPENED:
                metrics.ALERTS_OPENED.inc()
                log.info("alert %s opened: %d attentions", alert.alert_id, alert.attentions)
        metrics.INCIDENT_LATE.inc(detector.late_attentions - late_before)
        rows = [alert_row(alert) for alert in changed.values()]
        if rows or letters:
            await self.sink.run(lambda writer: writer.write_alerts(rows, letter_rows(letters)))
            await send_letters(self.dead_letters, letters)
            alert_events = [(row.alert_id.encode(), _alert_event(row), None) for row in rows]
            await within_deadline(send_and_wait(self.alerts, alert_events), "alert events")
        for key, held in touched.items():
            if held is None:
                continue  # no record of the key's partition in hand: saved with its next one
            with current_event(stream, held):
                self.states[key.text()] = detector.state_of(key)
        if touched or rows:
            await flush_durably(self.app)
        await release(stream, events)

    async def tick(self) -> None:
        """With an alert open or attentions waiting for the clock, and no record for TICK_S,
        send every partition of the topic an empty record: its batch looks at the clock again
        (once the source partitions have fallen silent, the waiting attentions are judged and a
        quiet alert closes)."""
        detector = self.detector
        if detector is None or not detector.waits_for_the_clock:
            return
        if time.monotonic() - self.last_batch_at < TICK_S:
            return
        tick = orjson.dumps({"progress": {}, "signals": []})
        ticks = [(b"tick", tick, p) for p in range(self.settings.topic_partitions)]
        await within_deadline(send_and_wait(self.signals, ticks), "incident ticks")

    async def _detector(self, clock: datetime | None) -> Detector:
        """The detector, restored from the table after an assignment, with the baselines of
        the weeks before `clock`'s week (or the detector's own clock, if later). With no clock
        (a tick or progress before the slowest partition is known), the detector as it is."""
        if clock is None:
            if self.detector is not None:
                return self.detector
            clock = now()
        if self.detector is not None and self.detector.newest > 0:
            newest = datetime.fromtimestamp(self.detector.newest * BUCKET_S, tz=UTC)
            clock = max(clock, newest)
        week = week_start(lima_day(clock))
        if self.detector is None or self._baselines_due(week):
            start = week - timedelta(weeks=self.baseline_rules.weeks)
            history = await self.sink.run(
                lambda writer: queries.signal_history(writer.client, start, week)
            )
            baselines = estimate(
                ((IncidentKey(p, place), w, h, n) for p, place, w, h, n in history),
                self.baseline_rules,
            )
            if self.detector is None:
                self.detector = Detector(baselines, self.rules, follow_events=False)
                for text, raw in list(self.states.items()):
                    if raw is not None:
                        self.detector.restore(IncidentKey.parse(text), raw)
                log.info("incident detector: %d keys restored", len(self.detector.keys))
            self.detector.baselines = baselines
            self.baselines_week = week
            self.baselines_loaded = time.monotonic()
            log.info(
                "incident baselines: %d keys, weeks %s to %s", len(baselines.keys), start, week
            )
        return self.detector

    def _baselines_due(self, week: date) -> bool:
        """A new week (event time) needs the weeks before it. Live, that is once a week; in a
        backfill running through years in minutes, the query over the attentions would
        compete with the counting: there they are loaded again every 30 s of wall time, or
        sooner once they are as old as the history they span — and every week while they
        span fewer weeks than they should (the history is still filling up)."""
        loaded = self.baselines_week
        if loaded is None or week == loaded:
            return loaded is None
        if self.detector is not None and self.detector.baselines.weeks < self.baseline_rules.weeks:
            return True  # the history is still filling up (a new deployment, a backfill's start)
        stale = week - loaded >= timedelta(weeks=self.baseline_rules.weeks)
        return stale or time.monotonic() - self.baselines_loaded >= BASELINE_RELOAD_S


@lru_cache(maxsize=65536)
def _key_and_partition(
    provider: str, scope: str, district: str, office: str, partitions: int
) -> tuple[str, int]:
    key = incident_key(provider, scope, district, office).text()
    return key, key_partition(key.encode(), partitions)


async def send_and_wait(topic: Any, records: Sequence[tuple[bytes, bytes, int | None]]) -> None:
    """Send each (key, value, partition or None) and return once the broker has them all."""
    pending = [await topic.send(key=k, value=v, partition=p) for k, v, p in records]
    for future in pending:
        await future


class SendTimeout(RuntimeError):
    """The broker did not acknowledge a send in time."""


async def within_deadline(sends: Coroutine[Any, Any, None], what: str) -> None:
    try:
        await asyncio.wait_for(sends, SEND_DEADLINE_S)
    except TimeoutError:
        raise SendTimeout(
            f"{what}: the broker did not acknowledge them within {SEND_DEADLINE_S:g} s"
        ) from None


def _at(signal: tuple[str, str, int, str, str]) -> int:
    return signal[2]


def now() -> datetime:
    return datetime.now(tz=UTC)


SignalOf = tuple[IncidentKey, datetime, str, str, str]  # key, at, subtype, channel, attention id


def _event_of(events: Sequence[EventT], key: IncidentKey, settings: Settings) -> EventT | None:
    """An event of the batch on the key's partition (its state is written there), if any."""
    partition = key_partition(key.text().encode(), settings.topic_partitions)
    return next((e for e in events if e.message.partition == partition), None)


def _decode_record(event: EventT) -> tuple[dict[int, int], list[SignalOf]]:
    """A record of the incident-signals topic (send_signals): {"progress": {source partition:
    newest ms}, "signals": [[key, attention id, occurred_at ms, subtype, channel], ...]}; a bare
    list is the signals alone (records written before progress was sent)."""
    raw = orjson.loads(bytes(event.message.value or b""))
    if isinstance(raw, list):
        return {}, _signals(raw)
    progress = {int(partition): int(newest) for partition, newest in raw["progress"].items()}
    return progress, _signals(raw["signals"])


def _signals(raw: list[Any]) -> list[SignalOf]:
    signals = []
    for key, attention_id, at_ms, subtype, channel in raw:
        if not all(isinstance(text, str) for text in (key, attention_id, subtype, channel)):
            raise TypeError("key, attention id, subtype and channel must be strings")
        at = datetime.fromtimestamp(int(at_ms) / 1000, tz=UTC)
        signals.append((IncidentKey.parse(key), at, subtype, channel, attention_id))
    return signals


def _alert_event(row: AlertRow) -> bytes:
    """The alert as the alerts topic carries it (schemas/alert.py, validated)."""
    return AlertEvent(**row._asdict()).model_dump_json().encode()


def register_incident_agent(
    app: faust.App, settings: Settings, sink: Sink, health: WorkerHealth
) -> IncidentPipeline:
    pipeline = IncidentPipeline(app, settings, sink, health)
    app.agent(pipeline.signals, name="incidents", supervisor_strategy=CrashingSupervisor)(
        pipeline.process
    )
    app.timer(TICK_S)(pipeline.tick)
    return pipeline
