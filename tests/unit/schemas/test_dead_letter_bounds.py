"""Dead letters always fit the producer limit: whole up to the contract size, a prefix past it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from schemas.dead_letter import MAX_LETTER_KEY_BYTES, MAX_LETTER_VALUE_BYTES, DeadLetter
from schemas.decode import MAX_PAYLOAD_BYTES
from schemas.reasons import Reason
from streams.topics import MAX_MESSAGE_BYTES


def letter(value: bytes, key: bytes = b"k") -> DeadLetter:
    now = datetime(2024, 11, 8, tzinfo=UTC)
    return DeadLetter(Reason.OVERSIZED_PAYLOAD, "m" * 5000, "attentions", 3, 42, key, value, now)


def test_a_record_at_the_contract_limit_is_kept_whole() -> None:
    assert MAX_LETTER_VALUE_BYTES >= MAX_PAYLOAD_BYTES  # every replayable record fits whole
    value = b"v" * MAX_LETTER_VALUE_BYTES
    back = DeadLetter.from_json(letter(value).to_json())
    assert back.value == value and not back.truncated


@pytest.mark.parametrize("size", [MAX_LETTER_VALUE_BYTES + 1, 800_000, 10_000_000])
def test_a_larger_record_keeps_a_prefix_and_its_size(size: int) -> None:
    value = b"\xff" * size  # base64's worst case
    encoded = letter(value, key=b"K" * 50_000).to_json()
    assert len(encoded) < MAX_MESSAGE_BYTES // 20
    back = DeadLetter.from_json(encoded)
    assert back.value == value[:MAX_LETTER_VALUE_BYTES] and back.value_size == size
    assert back.key == b"K" * MAX_LETTER_KEY_BYTES and back.key_size == 50_000
    assert back.truncated and len(back.message) <= 1000
    assert (back.partition, back.offset) == (3, 42)
