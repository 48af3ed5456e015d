"""The fast path (schemas/plain_attention.py) against pydantic's validation: it takes the plain
valid events, builds exactly what pydantic builds, and never takes what pydantic refuses."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schemas.attention import Attention
from schemas.decode import decode_attention, decode_attention_fields, validate_attention
from schemas.plain_attention import plain_attention
from schemas.reasons import ContractError, Reason
from streams.invalid_events import BREAKERS, break_event
from streams.traffic_mix import TrafficMix

NOW = datetime(2024, 11, 8, 17, tzinfo=UTC)


def _events(count: int, seed: int = 1) -> list[dict[str, Any]]:
    mix = TrafficMix(random.Random(seed))
    moments = random.Random(seed)
    return [
        mix.event(datetime.fromtimestamp(moments.uniform(1.46e9, 1.73e9), tz=UTC))
        for _ in range(count)
    ]


def _pydantic(data: Any) -> Attention | None:
    try:
        return Attention.model_validate(data, context={"now": NOW})
    except ValueError:
        return None


def test_plain_valid_events_take_the_fast_path_and_equal_pydantics() -> None:
    events = _events(3000)
    events += [{**e, "revision": 3, "voided": True} for e in events[:50]]
    events += [{**e, "schema_version": 1, "district": "150132", "citizen_ref": "a" * 64}
               for e in events[50:100]]  # fmt: skip
    for event in events:
        fast, slow = plain_attention(event, NOW), _pydantic(event)
        assert fast is not None and slow is not None, event
        assert fast == slow, event
        assert list(fast.__dict__.items()) == list(slow.__dict__.items())
        assert fast.model_fields_set == slow.model_fields_set
        assert fast.model_dump_json() == slow.model_dump_json()
        assert (fast.day, fast.region_of_provider) == (slow.day, slow.region_of_provider)
        with pytest.raises(ValueError, match="frozen"):
            fast.office = "x"  # type: ignore[misc]


@pytest.mark.parametrize("reason", sorted(BREAKERS, key=lambda r: r.value))
def test_no_broken_event_takes_the_fast_path(reason: Reason) -> None:
    for event in _events(20, seed=hash(reason.value) % 1000):
        _, value = break_event(event, reason)
        try:
            data = orjson.loads(value)
        except orjson.JSONDecodeError:
            continue  # refused before validation
        if _pydantic(data) is None:
            assert plain_attention(data, NOW) is None, (reason, data)


def test_validate_attention_keeps_its_reasons() -> None:
    event = _events(1)[0]
    with pytest.raises(ContractError) as refused:
        validate_attention({**event, "office": "atlantis"}, now=NOW)
    assert refused.value.reason is Reason.UNKNOWN_OFFICE


_JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**40), 2**40) | st.floats(allow_nan=False)
    | st.text(max_size=70) | st.sampled_from(
        ["", "150132", "a" * 64, "eps", "rural", "sedapal", "lima", "junin", "comercial",
         "consumo_elevado", "otros_operacional", "lima_callao", "telefonico", "2024-11-08",
         "2024-11-08T10:00:00-05:00", "2024-11-08T10:00:00", "2014-12-31T23:59:59-05:00",
         "2031-01-01T00:00:00Z", "2024-02-30T10:00:00Z", "x\n", "1", "0", "true"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=5,
)  # fmt: skip
_FIELD_NAMES = st.sampled_from([*Attention.model_fields, "extra", "Office", "revision "])


@settings(max_examples=3000, deadline=None)
@given(
    index=st.integers(0, 199),
    changes=st.dictionaries(_FIELD_NAMES, _JSON_VALUES, max_size=3),
    dropped=st.sets(_FIELD_NAMES, max_size=2),
)
def test_a_mutated_event_is_taken_only_when_pydantic_takes_it_the_same(
    index: int, changes: dict[str, Any], dropped: set[str]
) -> None:
    event = {**_EVENTS[index], **changes}
    for name in dropped:
        event.pop(name, None)
    fast = plain_attention(event, NOW)
    slow = _pydantic(event)
    if slow is None:
        assert fast is None, event
    elif fast is not None:
        assert fast == slow and list(fast.__dict__.items()) == list(slow.__dict__.items())
        assert fast.model_fields_set == slow.model_fields_set, event


_EVENTS = _events(200, seed=7)


@pytest.mark.parametrize("reason", sorted(BREAKERS, key=lambda r: r.value))
def test_the_worker_decode_refuses_what_decode_attention_refuses(reason: Reason) -> None:
    """decode_attention_fields (the worker's, no model for a plain event) keeps every verdict
    and reason of decode_attention."""
    for event in _events(5, seed=hash(reason.value) % 1000):
        key, value = break_event(event, reason)
        try:
            expected: Any = decode_attention(key, value, now=NOW).__dict__
        except ContractError as refused:
            expected = refused.reason
        try:
            got: Any = decode_attention_fields(key, value, now=NOW)
        except ContractError as refused:
            got = refused.reason
        assert got == expected == reason, (reason, value)
