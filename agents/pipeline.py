"""The agents: decode and validate every attention; invalid records go to the dead-letter topic."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import faust
from faust.types import EventT

from atenciones.settings import Settings
from schemas.attention import Attention
from schemas.dead_letter import DeadLetter
from schemas.decode import decode_attention
from schemas.reasons import ContractError

log = logging.getLogger(__name__)


@dataclass
class DecodedBatch:
    valid: list[Attention]
    dead_letters: list[DeadLetter]


def decode_batch(events: Sequence[EventT], now: datetime | None = None) -> DecodedBatch:
    """Split a batch of Kafka events into valid attentions and dead letters (nothing dropped)."""
    now = now or datetime.now(tz=UTC)
    batch = DecodedBatch([], [])
    for event in events:
        message = event.message
        key, value = message.key, message.value
        try:
            batch.valid.append(decode_attention(key, value, now=now))
        except ContractError as exc:
            batch.dead_letters.append(
                DeadLetter(
                    reason=exc.reason,
                    message=exc.message,
                    topic=message.topic,
                    partition=message.partition,
                    offset=message.offset,
                    key=key,
                    value=value,
                    failed_at=now,
                )
            )
    return batch


def register_agents(app: faust.App, settings: Settings) -> None:
    """Attach the attention agent (and its topics) to app."""
    source = app.topic(
        settings.attentions_topic,
        key_type=bytes,
        value_type=bytes,
        key_serializer="raw",
        value_serializer="raw",
        partitions=settings.topic_partitions,
    )
    dead_letters = app.topic(settings.dlq_topic, key_serializer="raw", value_serializer="raw")

    @app.agent(source, name="attentions")
    async def process_attentions(stream: faust.StreamT[bytes]) -> None:
        async for events in stream.take_events(  # type: ignore[attr-defined]
            settings.worker_batch_size, within=settings.worker_batch_seconds
        ):
            batch = decode_batch(events)
            for letter in batch.dead_letters:
                log.warning(
                    "dead letter %s/%s/%s: %s",
                    letter.topic, letter.partition, letter.offset, letter.reason.value,
                )  # fmt: skip
                await dead_letters.send(
                    key=letter.key, value=letter.to_json(), headers=letter.headers()
                )
