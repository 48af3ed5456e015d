"""The dead-letter record: the original bytes of an invalid record, where it came from, and why."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime

import orjson

from schemas.reasons import Reason
from schemas.timestamps import format_rfc3339, parse_rfc3339

DEAD_LETTER_VERSION = 1
# A dead letter always fits the worker producer's 1 MiB request limit: the original value is kept
# whole up to this size (every record within the contract's size limit can be replayed) and cut
# to this prefix beyond it, with its size and `value_truncated`; the key likewise.
MAX_LETTER_VALUE_BYTES = 16 * 1024
MAX_LETTER_KEY_BYTES = 1024
MAX_LETTER_MESSAGE_CHARS = 1000


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

    value_size: int | None = None  # size of the original value when `value` is only a prefix
    key_size: int | None = None  # likewise for the key

    @property
    def record_key(self) -> bytes | None:
        """The dead-letter record's Kafka key: the original key, bounded like the value."""
        return _prefix(self.key, MAX_LETTER_KEY_BYTES)

    @property
    def truncated(self) -> bool:
        return self.value_size is not None or self.key_size is not None

    def to_json(self) -> bytes:
        letter: dict[str, object] = {
            "dead_letter_version": DEAD_LETTER_VERSION,
            "reason": self.reason.value,
            "message": self.message[:MAX_LETTER_MESSAGE_CHARS],
            "origin": {"topic": self.topic, "partition": self.partition, "offset": self.offset},
            "key_b64": _b64(self.record_key),
            "value_b64": _b64(_prefix(self.value, MAX_LETTER_VALUE_BYTES)),
            "failed_at": format_rfc3339(self.failed_at),
        }
        value_size = self.value_size or _oversize(self.value, MAX_LETTER_VALUE_BYTES)
        key_size = self.key_size or _oversize(self.key, MAX_LETTER_KEY_BYTES)
        if value_size is not None or key_size is not None:
            letter["truncated"] = {"value_size": value_size, "key_size": key_size}
        return orjson.dumps(letter)

    @classmethod
    def from_json(cls, data: bytes) -> DeadLetter:
        raw = orjson.loads(data)
        origin = raw["origin"]
        truncated = raw.get("truncated") or {}
        return cls(
            reason=Reason(raw["reason"]),
            message=raw["message"],
            topic=origin["topic"],
            partition=int(origin["partition"]),
            offset=int(origin["offset"]),
            key=_unb64(raw["key_b64"]),
            value=_unb64(raw["value_b64"]),
            failed_at=parse_rfc3339(raw["failed_at"]),
            value_size=truncated.get("value_size"),
            key_size=truncated.get("key_size"),
        )

    def headers(self) -> list[tuple[str, bytes]]:
        """Kafka headers that let tools filter without parsing the value."""
        return [
            ("dlq.reason", self.reason.value.encode()),
            ("dlq.origin", f"{self.topic}/{self.partition}/{self.offset}".encode()),
        ]


def _prefix(data: bytes | None, limit: int) -> bytes | None:
    return None if data is None else data[:limit]


def _oversize(data: bytes | None, limit: int) -> int | None:
    return len(data) if data is not None and len(data) > limit else None


def _b64(data: bytes | None) -> str | None:
    return None if data is None else base64.b64encode(data).decode()


def _unb64(text: str | None) -> bytes | None:
    return None if text is None else base64.b64decode(text)
