"""The sink writer: one batch of rows and absolute counts into ClickHouse, idempotently."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from clickhouse_connect.driver.client import Client

from schemas.classification import CLASSIFICATION_FIELDS

ATTENTION_COLUMNS = [
    "attention_id", "revision", "voided", "occurred_at", "day", *CLASSIFICATION_FIELDS,
    "citizen_ref", "source",
]  # fmt: skip
DAY_COUNT_COLUMNS = [
    "day", *CLASSIFICATION_FIELDS, "source_partition", "partition_count", "version",
]  # fmt: skip
BUCKET_COLUMNS = [
    "bucket_start", "channel", "office", "source_partition", "partition_count", "version",
]  # fmt: skip
QUALITY_COLUMNS = ["day", "outcome", "source_partition", "partition_count", "version"]
DEAD_LETTER_COLUMNS = ["topic", "partition", "offset", "received_at", "day", "reason"]

CASE_UPDATE_COLUMNS = [
    "case_id", "revision", "reported_at", "day", "office", "region", "province", "district",
    "ubigeo", "summary", "source", "action", "status", "affected_users", "provider",
]  # fmt: skip

AttentionRow = tuple[
    str, int, bool, datetime, date, str, str, str, str, str, str, str, str, str, str
]
DayCountRow = tuple[date, str, str, str, str, str, str, str, str, int, int, int]
BucketRow = tuple[datetime, str, str, int, int, int]
QualityRow = tuple[date, str, int, int, int]
DeadLetterRow = tuple[str, int, int, datetime, date, str]


@dataclass
class SinkBatch:
    """Rows in the column order above. Re-writing a batch changes nothing (see README)."""

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

    def write_case_updates(
        self, rows: list[tuple[object, ...]], dead_letters: list[DeadLetterRow] | None = None
    ) -> None:
        """Insert relevant-case updates (idempotent: one row per case_id and revision)."""
        if dead_letters:
            self.write(SinkBatch(dead_letters=dead_letters))
        if rows:
            self.client.insert(
                "atenciones.relevant_case_updates", rows, column_names=CASE_UPDATE_COLUMNS
            )

    def write(self, batch: SinkBatch) -> None:
        # Counts first, rows last: a reader never sees an attention row before its count.
        for name, rows in (
            ("daily_count_parts", batch.day_counts),
            ("five_minute_buckets", batch.buckets),
            ("attention_revisions", batch.attentions),
            ("quality_count_parts", batch.quality),
            ("dead_letter_records", batch.dead_letters),
        ):
            if rows:
                context = self._contexts[name]
                context.data = rows
                self.client.insert(context=context)
