"""The relevant-case agent: validate, merge each update into its case's last state, sink it.

The case's state (its last whole record) lives in the `case-states` table, so an update that
gives only what changed is completed here (schemas/relevant_case.merge); an update of an unknown
case or an open of an existing one is dead-lettered (`unknown_case`, `case_exists`).

Same failure semantics as the attention agent (agents/pipeline.py): a batch's offsets are
released only after its rows are in ClickHouse, its dead letters acknowledged by the broker and
its revision-table writes flushed; a row ClickHouse refuses alone is dead-lettered.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime

import faust
from faust.types import EventT, StreamT
from mode.supervisors import CrashingSupervisor

from agents import metrics
from agents.agent_loop import run_batches
from agents.app import byte_topic
from agents.dead_letters import Lettered, letter_for, letter_rows, send_letters
from agents.faust_bridge import current_event, flush_durably, held_batches, release
from agents.health import WorkerHealth
from agents.sink import Sink, SinkRefused
from clickhouse.writer import CaseUpdateRow
from foundation.settings import Settings
from schemas.reasons import ContractError, Reason
from schemas.relevant_case import RelevantCase, case_from_state, decode_case, merge
from schemas.timestamps import lima_day

log = logging.getLogger(__name__)


def case_row(case: RelevantCase) -> CaseUpdateRow:
    """The row of a whole case (every record is one once merged: schemas.relevant_case.merge)."""
    return CaseUpdateRow(
        case_id=case.case_id,
        revision=case.revision,
        reported_at=case.reported_at.astimezone(UTC),
        day=lima_day(case.reported_at),
        office=_given(case.office),
        region=_given(case.region),
        province=_given(case.province),
        district=_given(case.district),
        ubigeo=case.ubigeo or "",
        summary=_given(case.summary),
        source=_given(case.source),
        action=case.action,
        status=_given(case.status),
        affected_users=case.affected_users,
        provider=case.provider or "",
    )


def _given(value: str | None) -> str:
    if value is None:
        raise ValueError("a whole case lacks a required field")  # merge() never returns one
    return value


class CasePipeline:
    def __init__(
        self, app: faust.App, settings: Settings, sink: Sink, health: WorkerHealth
    ) -> None:
        self.app = app
        self.settings = settings
        self.sink = sink
        self.health = health
        self.source = byte_topic(app, settings.relevant_cases_topic, settings.topic_partitions)
        self.dead_letters = byte_topic(app, settings.dlq_topic)
        # case_id -> the case's last whole record, as JSON (keys are the source's keys: one
        # partition each)
        self.states = app.Table("case-states", default=None, partitions=settings.topic_partitions)

    async def process(self, stream: StreamT[bytes]) -> None:
        await run_batches(
            self.app, self.health, "relevant-cases", held_batches(stream, 100, 0.5),
            lambda events: self.process_batch(stream, events),
        )  # fmt: skip

    async def process_batch(self, stream: StreamT[bytes], events: Sequence[EventT]) -> None:
        now = datetime.now(tz=UTC)
        accepted_now: dict[str, RelevantCase] = {}  # case_id -> state after this batch so far
        updates: list[tuple[EventT, RelevantCase]] = []
        rows: list[tuple[EventT, CaseUpdateRow]] = []
        letters: list[Lettered] = []
        for event in events:
            message = event.message
            try:
                case = decode_case(message.key, message.value, now=now)
                last = accepted_now.get(case.case_id) or self._read_state(stream, event, case)
                if last is not None and case.revision <= last.revision:
                    # The same revision again is sunk again (harmless): it brings back a write
                    # lost in a crash between the ClickHouse insert and the Kafka commit. A
                    # stale update is ignored.
                    if case.revision == last.revision:
                        rows.append((event, case_row(last)))
                    continue
                merged = merge(last, case)
            except ContractError as exc:
                letters.append((message, letter_for(message, exc.reason, exc.message, now)))
                continue
            accepted_now[case.case_id] = merged
            updates.append((event, merged))
            rows.append((event, case_row(merged)))
        refused = await self._write(rows, letters)
        if refused:
            gone = {(message.partition, message.offset) for message, _ in refused}
            updates = [update for update in updates if _origin(update[0]) not in gone]
            letters += refused
        await send_letters(self.dead_letters, letters)
        for event, merged in updates:
            with current_event(stream, event):
                self.states[merged.case_id] = merged.model_dump(mode="json", exclude_none=True)
        await flush_durably(self.app)
        await release(stream, events)

    def _read_state(
        self, stream: StreamT[bytes], event: EventT, case: RelevantCase
    ) -> RelevantCase | None:
        with current_event(stream, event):
            value = self.states.get(case.case_id)
        return None if value is None else case_from_state(value)

    async def _write(
        self, rows: list[tuple[EventT, CaseUpdateRow]], letters: list[Lettered]
    ) -> list[Lettered]:
        """Write the batch; if ClickHouse refuses it, each row alone. The rows refused alone, as
        dead letters."""
        rows_of_letters = letter_rows(letters)
        plain = [row for _, row in rows]
        if not plain and not rows_of_letters:
            return []
        try:
            await self.sink.run(lambda writer: writer.write_case_updates(plain, rows_of_letters))
            return []
        except SinkRefused as exc:
            log.warning("ClickHouse refused case updates (%s): writing them one by one", exc)
        refused: list[Lettered] = []
        for event, row in rows:
            try:
                await self.sink.run(lambda writer, row=row: writer.write_case_updates([row]))  # type: ignore[misc]
            except SinkRefused as exc:
                metrics.PERMANENT_REJECTS.inc()
                text = f"ClickHouse refused the update: {exc}"
                now = datetime.now(tz=UTC)
                refused.append(
                    (event.message, letter_for(event.message, Reason.SINK_REJECTED, text, now))
                )
        if len(refused) == len(rows) > 1:
            raise SinkRefused("ClickHouse refused every case update of the batch")
        all_rows = rows_of_letters + letter_rows(refused)
        await self.sink.run(lambda writer: writer.write_case_updates([], all_rows))
        return refused


def _origin(event: EventT) -> tuple[int, int]:
    return event.message.partition, event.message.offset


def register_case_agent(
    app: faust.App, settings: Settings, sink: Sink, health: WorkerHealth
) -> CasePipeline:
    pipeline = CasePipeline(app, settings, sink, health)
    app.agent(pipeline.source, name="relevant-cases", supervisor_strategy=CrashingSupervisor)(
        pipeline.process
    )
    return pipeline
