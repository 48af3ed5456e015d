"""The producer library channel systems use: validate, then publish to `attentions` (key = id)."""

from __future__ import annotations

import hashlib
import hmac
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
from kafka import KafkaProducer

from schemas.attention import Attention
from schemas.decode import validate_attention
from schemas.reasons import ContractError, Reason


@dataclass
class Rejection:
    """One event the producer refused to send, with its position in the input."""

    position: int
    reason: Reason
    message: str


@dataclass
class PublishReport:
    """What happened to a batch of events."""

    sent: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    stopped: str | None = None  # why publishing stopped before the end of the input

    @property
    def rejected_by_reason(self) -> Counter[str]:
        return Counter(r.reason.value for r in self.rejected)


def encode_attention(attention: Attention) -> bytes:
    """The wire form of a valid attention: compact JSON, no null fields."""
    return orjson.dumps(attention.model_dump(mode="json", exclude_none=True))


def citizen_ref(document: str, key: bytes) -> str:
    """Keyed hash of a citizen's document: lets analysts see repeat contacts, never the document."""
    if not key:
        raise ValueError("a citizen reference needs ATENCIONES_CITIZEN_REF_KEY")
    normalized = "".join(document.split()).upper()
    return hmac.new(key, normalized.encode(), hashlib.sha256).hexdigest()


class AttentionProducer:
    """kafka-python producer with acks=all, idempotence, lz4 compression and batching."""

    def __init__(self, bootstrap: str, topic: str = "attentions", **overrides: Any) -> None:
        config: dict[str, Any] = {
            "bootstrap_servers": bootstrap,
            "acks": "all",
            "enable_idempotence": True,
            "compression_type": "lz4",
            "linger_ms": 20,
            "batch_size": 256 * 1024,
            "max_in_flight_requests_per_connection": 5,
            "retries": 2**31 - 1,
        }
        config.update(overrides)
        self._producer = KafkaProducer(**config)
        self.topic = topic

    def publish(
        self, events: Iterable[Mapping[str, Any] | Attention], now: datetime | None = None
    ) -> PublishReport:
        """Validate each event and send the valid ones; wait until the broker has them all."""
        report = PublishReport()
        for position, event in enumerate(events):
            try:
                attention = (
                    event if isinstance(event, Attention) else validate_attention(event, now=now)
                )
            except ContractError as exc:
                report.rejected.append(Rejection(position, exc.reason, exc.message))
                continue
            self.send(attention)
            report.sent += 1
        self.flush()
        return report

    def send(self, attention: Attention) -> None:
        """Queue one valid attention (call flush() to wait for the broker)."""
        self._producer.send(
            self.topic, key=attention.attention_id.encode(), value=encode_attention(attention)
        )

    def send_now(self, event: Mapping[str, Any]) -> None:
        """Validate and queue one event (raises ContractError when it is invalid)."""
        self.send(validate_attention(event))

    def send_raw(
        self,
        key: bytes | None,
        value: bytes,
        timestamp_ms: int | None = None,
        topic: str | None = None,
    ) -> None:
        """Send bytes as they are, unchecked: for replays and for tests of the dead-letter path
        (timestamp_ms: the record's timestamp, default now; topic: default the producer's)."""
        self._producer.send(topic or self.topic, key=key, value=value, timestamp_ms=timestamp_ms)

    def flush(self, timeout: float | None = 60.0) -> None:
        self._producer.flush(timeout=timeout)

    def close(self) -> None:
        self._producer.close()

    def __enter__(self) -> AttentionProducer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
