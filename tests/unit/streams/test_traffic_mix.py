"""The simulator's mix only produces valid events, reproducibly, in the seed's proportions."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime

import orjson

from schemas.decode import decode_attention
from schemas.reasons import ATTENTION_REASONS, ContractError, Reason
from streams.invalid_events import random_invalid
from streams.traffic_mix import OFFICE_WEIGHTS, TrafficMix

STAMP = datetime(2024, 11, 8, 15, tzinfo=UTC)


def test_every_drawn_event_is_valid_and_reproducible() -> None:
    first = [TrafficMix(random.Random(9)).event(STAMP) for _ in range(1)]
    again = [TrafficMix(random.Random(9)).event(STAMP) for _ in range(1)]
    assert first == again
    mix = TrafficMix(random.Random(11))
    offices: Counter[str] = Counter()
    for _ in range(5000):
        event = mix.event(STAMP)
        attention = decode_attention(event["attention_id"].encode(), orjson.dumps(event), now=STAMP)
        offices[attention.office] += 1
    share = offices["lima_callao"] / 5000
    expected = OFFICE_WEIGHTS["lima_callao"] / sum(OFFICE_WEIGHTS.values())
    assert abs(share - expected) < 0.03


def test_random_invalid_records_are_rejected_with_the_drawn_reason() -> None:
    rng = random.Random(5)
    mix = TrafficMix(rng)
    seen: set[Reason] = set()
    for _ in range(400):
        reason, (key, value) = random_invalid(mix.event(STAMP), rng)
        try:
            decode_attention(key, value, now=STAMP)
        except ContractError as exc:
            assert exc.reason is reason
            seen.add(reason)
        else:
            raise AssertionError(f"{reason} record was accepted")
    assert seen == ATTENTION_REASONS
