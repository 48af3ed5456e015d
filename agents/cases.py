"""The relevant-case agent: validate, keep each case's last revision, sink every update."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

import faust
from faust.types import EventT, StreamT

from agents import metrics
from agents.pipeline import dead_letter_row, received_at
from atenciones.settings import Settings
from clickhouse.writer import DeadLetterRow, SinkWriter
from schemas.dead_letter import DeadLetter
from schemas.reasons import ContractError
from schemas.relevant_case import RelevantCase, decode_case
from schemas.timestamps import lima_day

log = logging.getLogger(__name__)


def case_row(case: RelevantCase) -> tuple[object, ...]:
    return (
        case.case_id, case.revision, case.reported_at.astimezone(UTC), lima_day(case.reported_at),
        case.office, case.region, case.province, case.district, case.ubigeo or "", case.summary,
        case.source, case.action, case.status, case.affected_users, case.provider or "",
    )  # fmt: skip


class CasePipeline:
    def __init__(
        self, app: faust.App, settings: Settings, writer_factory: Callable[[], SinkWriter]
    ) -> None:
        self.settings = settings
        self.writer_factory = writer_factory
        self._writer: SinkWriter | None = None
        self.source = app.topic(
            settings.relevant_cases_topic, key_type=bytes, value_type=bytes,
            key_serializer="raw", value_serializer="raw", partitions=settings.topic_partitions,
        )  # fmt: skip
        self.dead_letters = app.topic(
            settings.dlq_topic, key_serializer="raw", value_serializer="raw"
        )
        # case_id -> last revision accepted (keys are the source's keys: one partition each)
        self.revisions = app.Table(
            "case-revisions", default=None, partitions=settings.topic_partitions
        )

    async def process(self, stream: StreamT[bytes]) -> None:
        async for events in stream.take_events(100, within=0.5):  # type: ignore[attr-defined]
            await self.process_batch(stream, events)

    async def process_batch(self, stream: StreamT[bytes], events: Sequence[EventT]) -> None:
        now = datetime.now(tz=UTC)
        rows = []
        letter_rows = []
        accepted_now: dict[str, int] = {}  # case_id -> revision accepted earlier in this batch
        updates: list[tuple[EventT, str, int]] = []
        for event in events:
            message = event.message
            try:
                case = decode_case(message.key, message.value, now=now)
            except ContractError as exc:
                letter = DeadLetter(exc.reason, exc.message, message.topic, message.partition,
                                    message.offset, message.key, message.value, now)  # fmt: skip
                metrics.EVENTS_DLQ.labels(letter.reason.value).inc()
                letter_rows.append(dead_letter_row(letter, received_at(event)))
                await self.dead_letters.send(
                    key=letter.key, value=letter.to_json(), headers=letter.headers()
                )
                continue
            last = accepted_now.get(case.case_id)
            if last is None:
                last = self._read_revision(stream, event, case.case_id)
            accepted = last is None or case.revision > last
            if accepted:
                accepted_now[case.case_id] = case.revision
                updates.append((event, case.case_id, case.revision))
            # A duplicate is sunk again (harmless): it brings back a write lost in a crash
            # between the ClickHouse insert and the Kafka commit. A stale update is ignored.
            if accepted or case.revision == last:
                rows.append(case_row(case))
        # ClickHouse first, the revision table after (see AttentionPipeline.process_batch: a
        # table write opens a Kafka transaction that must not outlive a ClickHouse outage).
        await self._write(rows, letter_rows)
        current = stream.current_event
        try:
            for event, case_id, revision in updates:
                stream._set_current_event(event)  # type: ignore[attr-defined]
                self.revisions[case_id] = revision
        finally:
            stream._set_current_event(current)  # type: ignore[attr-defined]

    def _read_revision(self, stream: StreamT[bytes], event: EventT, case_id: str) -> int | None:
        current = stream.current_event  # see AttentionPipeline.write_journal
        stream._set_current_event(event)  # type: ignore[attr-defined]
        try:
            value = self.revisions.get(case_id)
        finally:
            stream._set_current_event(current)  # type: ignore[attr-defined]
        return None if value is None else int(value)

    async def _write(
        self, rows: list[tuple[object, ...]], letter_rows: list[DeadLetterRow]
    ) -> None:
        delay = 0.5
        while rows or letter_rows:
            try:
                await asyncio.to_thread(self._write_blocking, rows, letter_rows)
                return
            except Exception as exc:
                self._writer = None
                log.error("ClickHouse write of case updates failed (%s); retrying", exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)

    def _write_blocking(
        self, rows: list[tuple[object, ...]], letter_rows: list[DeadLetterRow]
    ) -> None:
        if self._writer is None:
            self._writer = self.writer_factory()
        started = time.perf_counter()
        self._writer.write_case_updates(rows, letter_rows)
        metrics.SINK_SECONDS.observe(time.perf_counter() - started)


def register_case_agent(
    app: faust.App, settings: Settings, writer_factory: Callable[[], SinkWriter]
) -> CasePipeline:
    pipeline = CasePipeline(app, settings, writer_factory)
    app.agent(pipeline.source, name="relevant-cases")(pipeline.process)
    return pipeline
