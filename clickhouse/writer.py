"""The sink writer: one batch of rows and absolute counts into ClickHouse, idempotently."""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import NamedTuple

from clickhouse_connect.driver.client import Client

from schemas.classification import Classification


class AttentionRow(NamedTuple):
    """A revision of an attention (attention_revisions); fields in column order."""

    attention_id: str
    revision: int
    voided: bool
    occurred_at: datetime | int  # or Unix milliseconds (the worker's: no datetime per row)
    day: date | int  # or days since 1970-01-01
    office: str  # the classification: schemas/classification.py, in its order
    channel: str
    case_type: str
    case_subtype: str
    provider_scope: str
    provider: str
    provider_region: str
    district: str
    citizen_ref: str
    source: str


class DayCountRow(NamedTuple):
    """A source partition's absolute count of a day and classification (daily_count_parts)."""

    day: date
    office: str
    channel: str
    case_type: str
    case_subtype: str
    provider_scope: str
    provider: str
    provider_region: str
    district: str
    source_partition: int
    partition_count: int
    version: int


class BucketRow(NamedTuple):
    """A source partition's absolute count of a five-minute bucket (five_minute_buckets)."""

    bucket_start: datetime
    channel: str
    office: str
    source_partition: int
    partition_count: int
    version: int


class QualityRow(NamedTuple):
    """A source partition's absolute count of a revision outcome (quality_count_parts)."""

    day: date
    outcome: str
    source_partition: int
    partition_count: int
    version: int


class DeadLetterRow(NamedTuple):
    """A dead-lettered record (dead_letter_records)."""

    topic: str
    partition: int
    offset: int
    received_at: datetime
    day: date
    reason: str


class CaseUpdateRow(NamedTuple):
    """A revision of a relevant case (relevant_case_updates)."""

    case_id: str
    revision: int
    reported_at: datetime
    day: date
    office: str
    region: str
    province: str
    district: str
    ubigeo: str
    summary: str
    source: str
    action: str
    status: str
    affected_users: int | None
    provider: str


class AlertRow(NamedTuple):
    """A version of an incident alert (alerts)."""

    alert_id: str
    provider: str
    place: str
    status: str
    day: date
    window_start: datetime
    opened_at: datetime
    updated_at: datetime
    closed_at: datetime | None
    peak_count: int
    peak_minutes: int
    peak_expected: float
    attentions: int
    subtypes: dict[str, int]
    channels: dict[str, int]
    version: int


def classification_of(row: AttentionRow | DayCountRow) -> Classification:
    """The classification fields of a row, in their order."""
    return (
        row.office, row.channel, row.case_type, row.case_subtype, row.provider_scope,
        row.provider, row.provider_region, row.district,
    )  # fmt: skip


ATTENTION_COLUMNS = list(AttentionRow._fields)
DAY_COUNT_COLUMNS = list(DayCountRow._fields)
BUCKET_COLUMNS = list(BucketRow._fields)
QUALITY_COLUMNS = list(QualityRow._fields)
DEAD_LETTER_COLUMNS = list(DeadLetterRow._fields)
CASE_UPDATE_COLUMNS = list(CaseUpdateRow._fields)
# The table each row type is written to.
TABLES = {
    AttentionRow: "attention_revisions",
    DayCountRow: "daily_count_parts",
    BucketRow: "five_minute_buckets",
    QualityRow: "quality_count_parts",
    DeadLetterRow: "dead_letter_records",
    CaseUpdateRow: "relevant_case_updates",
    AlertRow: "alerts",
}


@dataclass
class SinkBatch:
    """One sink batch's rows. Re-writing a batch changes nothing (see README)."""

    attentions: list[AttentionRow] = field(default_factory=list)
    day_counts: list[DayCountRow] = field(default_factory=list)
    buckets: list[BucketRow] = field(default_factory=list)
    quality: list[QualityRow] = field(default_factory=list)
    dead_letters: list[DeadLetterRow] = field(default_factory=list)

    def __len__(self) -> int:
        return sum(
            len(rows)
            for rows in (
                self.attentions,
                self.day_counts,
                self.buckets,
                self.quality,
                self.dead_letters,
            )
        )


class SinkWriter:
    """Writes SinkBatches with one insert per table; blocking (run it in a thread)."""

    def __init__(self, client: Client, database: str = "atenciones") -> None:
        self.client = client
        # Insert contexts describe each table once, instead of before every insert.
        self._contexts = {
            name: client.create_insert_context(f"{database}.{name}", column_names=columns)
            for name, columns in (
                ("daily_count_parts", DAY_COUNT_COLUMNS),
                ("five_minute_buckets", BUCKET_COLUMNS),
                ("attention_revisions", ATTENTION_COLUMNS),
                ("quality_count_parts", QUALITY_COLUMNS),
                ("dead_letter_records", DEAD_LETTER_COLUMNS),
            )
        }
        self._threads = ThreadPoolExecutor(max_workers=3, thread_name_prefix="clickhouse-insert")
        # A session runs one query at a time (a second one fails: SESSION_IS_LOCKED).
        self._concurrent = not client.get_client_setting("session_id")

    def write_case_updates(
        self, rows: list[CaseUpdateRow], dead_letters: list[DeadLetterRow] | None = None
    ) -> None:
        """Insert relevant-case updates (idempotent: one row per case_id and revision)."""
        if dead_letters:
            self.write(SinkBatch(dead_letters=dead_letters))
        if rows:
            self.client.insert(
                "atenciones.relevant_case_updates", rows, column_names=CASE_UPDATE_COLUMNS
            )

    def write_alerts(
        self, rows: list[AlertRow], dead_letters: list[DeadLetterRow] | None = None
    ) -> None:
        """Insert alert versions (idempotent: ClickHouse keeps the highest version per id)."""
        if dead_letters:
            self.write(SinkBatch(dead_letters=dead_letters))
        if rows:
            self.client.insert("atenciones.alerts", rows, column_names=list(AlertRow._fields))

    def write(self, batch: SinkBatch) -> None:
        """Counts first, rows last: a reader never sees an attention row before its count.
        Within each group the tables are written at once, one insert per thread: an insert's
        cost is mostly ClickHouse making a part (~10-20 ms whatever its size), not bytes."""
        self._write_at_once(
            ("daily_count_parts", batch.day_counts),
            ("five_minute_buckets", batch.buckets),
            ("quality_count_parts", batch.quality),
        )
        self._write_at_once(
            ("attention_revisions", batch.attentions),
            ("dead_letter_records", batch.dead_letters),
        )

    def _write_at_once(self, *tables: tuple[str, Sequence[NamedTuple]]) -> None:
        """Insert into each table with rows, concurrently; every insert is waited for, then the
        first failure (in the order given) is raised."""
        inserts = [(name, rows) for name, rows in tables if rows]
        if len(inserts) == 1 or not self._concurrent:
            for name, rows in inserts:
                self._insert(name, rows)
            return
        futures = [self._threads.submit(self._insert, name, rows) for name, rows in inserts]
        wait(futures)
        for future in futures:
            future.result()

    def _insert(self, name: str, rows: Sequence[NamedTuple]) -> None:
        # Each table has its own insert context (not shared between threads); the client
        # has no session, so concurrent requests are allowed (clickhouse-connect docs).
        context = self._contexts[name]
        context.data = rows
        self.client.insert(context=context)
