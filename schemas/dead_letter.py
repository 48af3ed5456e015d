"""The dead-letter record: the original bytes of an invalid record, where it came from, and why."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime

import orjson

from schemas.reasons import Reason
from schemas.timestamps import format_rfc3339, parse_rfc3339

DEAD_LETTER_VERSION = 1


@dataclass(frozen=True)
class DeadLetter:
    """Value of a record on the dead-letter topic (JSON); its key is the original key."""

    reason: Reason
    message: str
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    failed_at: datetime

    def to_json(self) -> bytes:
        return orjson.dumps(
            {
                "dead_letter_version": DEAD_LETTER_VERSION,
                "reason": self.reason.value,
                "message": self.message,
                "origin": {"topic": self.topic, "partition": self.partition, "offset": self.offset},
                "key_b64": _b64(self.key),
                "value_b64": _b64(self.value),
                "failed_at": format_rfc3339(self.failed_at),
            }
        )

    @classmethod
    def from_json(cls, data: bytes) -> DeadLetter:
        raw = orjson.loads(data)
        origin = raw["origin"]
        return cls(
            reason=Reason(raw["reason"]),
            message=raw["message"],
            topic=origin["topic"],
            partition=int(origin["partition"]),
            offset=int(origin["offset"]),
            key=_unb64(raw["key_b64"]),
            value=_unb64(raw["value_b64"]),
            failed_at=parse_rfc3339(raw["failed_at"]),
        )

    def headers(self) -> list[tuple[str, bytes]]:
        """Kafka headers that let tools filter without parsing the value."""
        return [
            ("dlq.reason", self.reason.value.encode()),
            ("dlq.origin", f"{self.topic}/{self.partition}/{self.offset}".encode()),
        ]


def _b64(data: bytes | None) -> str | None:
    return None if data is None else base64.b64encode(data).decode()


def _unb64(text: str | None) -> bytes | None:
    return None if text is None else base64.b64decode(text)
