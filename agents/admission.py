"""Which records of a batch the attention agent applies: decoded and valid (else a dead letter),
on their key's partition (else forwarded there), within the state horizon (else a dead letter).
Pure functions of the batch and of what the caller knows of each partition."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from faust.types import Message
from murmurhash2 import murmurhash2

from agents.dead_letters import Lettered, letter_for
from agents.revisions import Counted, counted_of_fields
from agents.state import horizon_start_ms
from schemas.decode import decode_attention_fields
from schemas.reasons import ContractError, Reason

KAFKA_MURMUR2_SEED = 0x9747B28C  # org.apache.kafka.common.utils.Utils.murmur2


def key_partition(key: bytes, partitions: int) -> int:
    """The partition of a key under Kafka's default (murmur2) partitioner: Java clients,
    kafka-python and `atenciones publish`."""
    return (murmurhash2(key, KAFKA_MURMUR2_SEED) & 0x7FFFFFFF) % partitions


Valid = tuple[Message, str, Counted]  # the record, its attention id, the attention's state


@dataclass
class DecodedBatch:
    valid: list[Valid]
    dead_letters: list[Lettered]


def decode_batch(messages: Sequence[Message], now: datetime | None = None) -> DecodedBatch:
    """Split a batch of Kafka records into valid attentions and dead letters (nothing dropped)."""
    now = now or datetime.now(tz=UTC)
    batch = DecodedBatch([], [])
    for message in messages:
        try:
            fields = decode_attention_fields(message.key, message.value, now=now)
        except ContractError as exc:
            letter = letter_for(message, exc.reason, exc.message, now)
            batch.dead_letters.append((message, letter))
            continue
        batch.valid.append((message, fields["attention_id"], counted_of_fields(fields)))
    return batch


def split_foreign(valid: list[Valid], partitions: int) -> tuple[list[Valid], list[Message]]:
    """Valid records on their key's partition, and the ones to forward there."""
    here, foreign = [], []
    for record in valid:
        message = record[0]
        if key_partition(message.key or b"", partitions) == message.partition:
            here.append(record)
        else:
            foreign.append(message)
    return here, foreign


def split_beyond_horizon(
    valid: list[Valid], horizon_days: int, high_water_ms: Callable[[int], int]
) -> tuple[list[Valid], list[Lettered]]:
    """Records within their partition's horizon, and dead letters for the older ones. The
    horizon moves with the newest occurred_at seen, record by record, so a replay decides the
    same. high_water_ms(partition): the newest occurred_at its state holds."""
    if not horizon_days:
        return valid, []  # no horizon: every attention is remembered
    newest_by_partition: dict[int, int] = {}
    kept: list[Valid] = []
    letters: list[Lettered] = []
    now = datetime.now(tz=UTC)
    for record in valid:
        message = record[0]
        partition = message.partition
        occurred_ms = record[2].occurred_at_ms
        newest = newest_by_partition.get(partition)
        if newest is None:
            newest = high_water_ms(partition)
        oldest_ms = horizon_start_ms(newest, horizon_days)
        if occurred_ms < oldest_ms:
            oldest = datetime.fromtimestamp(oldest_ms / 1000, tz=UTC)
            occurred = datetime.fromtimestamp(occurred_ms / 1000, tz=UTC)
            text = (
                f"occurred_at {occurred.isoformat()} is older than the state "
                f"horizon of its partition ({horizon_days} days before its newest "
                f"attention: {oldest.isoformat()})"
            )
            letters.append((message, letter_for(message, Reason.BEYOND_HORIZON, text, now)))
            continue
        newest_by_partition[partition] = max(newest, occurred_ms)
        kept.append(record)
    return kept, letters
