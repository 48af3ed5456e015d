"""Dead letters of both agents: made from the Kafka event, stored as a ClickHouse row (origin,
arrival, reason — never the payload), sent to the dead-letter topic and confirmed by the broker."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime

from faust.types import ChannelT, Message

from agents import metrics
from clickhouse.writer import DeadLetterRow
from schemas.dead_letter import DeadLetter
from schemas.reasons import Reason
from schemas.timestamps import lima_day

log = logging.getLogger(__name__)
Lettered = tuple[Message, DeadLetter]  # a dead letter beside the record it was made from


def letter_for(message: Message, reason: Reason, text: str, now: datetime) -> DeadLetter:
    return DeadLetter(
        reason, text, message.topic, message.partition, message.offset, message.key,
        message.value, now,
    )  # fmt: skip


def received_at(message: Message) -> datetime:
    """When the record reached Kafka (its record timestamp): deterministic on every replay."""
    return datetime.fromtimestamp(message.timestamp, tz=UTC)


def letter_rows(lettered: Sequence[Lettered]) -> list[DeadLetterRow]:
    """What ClickHouse keeps of each dead letter."""
    rows: list[DeadLetterRow] = []
    for message, letter in lettered:
        received = received_at(message)
        rows.append(DeadLetterRow(letter.topic, letter.partition, letter.offset, received,
                                  lima_day(received), letter.reason.value))  # fmt: skip
    return rows


async def send_letters(topic: ChannelT, lettered: Sequence[Lettered]) -> None:
    """Send the letters and wait until the broker has each (effects before offsets)."""
    pending = []
    for _, letter in lettered:
        metrics.EVENTS_DLQ.labels(letter.reason.value).inc()
        log.warning(
            "dead letter %s/%s/%s: %s", letter.topic, letter.partition, letter.offset,
            letter.reason.value,
        )  # fmt: skip
        pending.append(
            await topic.send(
                key=letter.record_key, value=letter.to_json(), headers=letter.headers()
            )
        )
    for future in pending:
        await future
