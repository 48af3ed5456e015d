"""The decoder accepts valid events and rejects each bad-input class with its own reason."""

from __future__ import annotations

import contextlib
from datetime import UTC, date, datetime
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schemas.attention import Attention
from schemas.decode import decode_attention
from schemas.reasons import ATTENTION_REASONS, ContractError, Reason
from schemas.timestamps import lima_day
from streams.invalid_events import BREAKERS, break_event

NOW = datetime(2024, 11, 8, 18, 0, tzinfo=UTC)

VALID: dict[str, Any] = {
    "attention_id": "cc-2024-000123",
    "occurred_at": "2024-11-08T10:15:00-05:00",
    "office": "lima_callao",
    "channel": "telefonico",
    "case_type": "operacional",
    "case_subtype": "falta_agua_zona",
    "provider_scope": "eps",
    "provider": "sedapal",
    "district": "150132",
}


def decode(event: dict[str, Any], key: bytes | None = None) -> Attention:
    return decode_attention(key or event["attention_id"].encode(), orjson.dumps(event), now=NOW)


def test_a_valid_event_decodes_with_its_defaults() -> None:
    attention = decode(VALID)
    assert attention.revision == 0 and attention.voided is False
    assert attention.day == date(2024, 11, 8)
    assert attention.region_of_provider == "lima"


def test_every_reason_has_an_invalid_example() -> None:
    assert set(BREAKERS) == ATTENTION_REASONS
    assert len(ATTENTION_REASONS) >= 25


@pytest.mark.parametrize("reason", sorted(ATTENTION_REASONS), ids=lambda r: r.value)
def test_each_bad_input_class_is_rejected_with_its_reason(reason: Reason) -> None:
    key, value = break_event(VALID, reason)
    with pytest.raises(ContractError) as caught:
        decode_attention(key, value, now=NOW)
    assert caught.value.reason is reason
    assert caught.value.message


@pytest.mark.parametrize(
    ("stamp", "day"),
    [
        ("2024-11-08T23:59:59-05:00", date(2024, 11, 8)),
        ("2024-11-09T00:00:00-05:00", date(2024, 11, 9)),
        ("2024-11-09T04:59:59Z", date(2024, 11, 8)),
        ("2024-11-09T05:00:00Z", date(2024, 11, 9)),
        ("2024-11-09T06:29:59+01:30", date(2024, 11, 8)),
        ("2024-11-08T23:59:59.999999999-05:00", date(2024, 11, 8)),
    ],
)
def test_lima_day_splits_at_lima_midnight(stamp: str, day: date) -> None:
    attention = decode({**VALID, "occurred_at": stamp})
    assert attention.day == day
    assert lima_day(attention.occurred_at) == day


def test_selva_central_needs_a_region_it_serves() -> None:
    event = {**VALID, "office": "pasco", "provider": "selva_central", "district": None}
    event = {k: v for k, v in event.items() if v is not None}
    assert decode(event).region_of_provider == "junin"
    assert decode({**event, "provider_region": "pasco"}).region_of_provider == "pasco"
    with pytest.raises(ContractError) as caught:
        decode({**event, "provider_region": "lima"})
    assert caught.value.reason is Reason.INVALID_PROVIDER_REGION


def test_informacion_general_needs_no_subtype_and_other_scopes_no_provider() -> None:
    event = {
        "attention_id": "x1",
        "occurred_at": "2024-11-08T10:00:00Z",
        "office": "cusco",
        "channel": "campana_orientacion",
        "case_type": "informacion_general",
        "provider_scope": "rural",
    }
    assert decode(event).provider is None


def test_a_higher_revision_may_void() -> None:
    assert decode({**VALID, "revision": 2, "voided": True}).voided


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**64 - 1)
    | st.floats(allow_nan=False)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=6)
    ),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(key=st.none() | st.binary(max_size=70), value=st.none() | st.binary(max_size=300))
def test_arbitrary_bytes_only_ever_raise_contract_errors(
    key: bytes | None, value: bytes | None
) -> None:
    with contextlib.suppress(ContractError):
        decode_attention(key, value, now=NOW)


@settings(max_examples=300, deadline=None)
@given(
    changes=st.dictionaries(
        st.sampled_from([*VALID, "revision", "voided", "schema_version", "provider_region", "x"]),
        json_values,
        max_size=4,
    )
)
def test_mutated_events_only_ever_raise_contract_errors(changes: dict[str, Any]) -> None:
    event = {**VALID, **changes}
    key = str(event.get("attention_id")).encode()
    try:
        attention = decode_attention(key, orjson.dumps(event), now=NOW)
    except ContractError:
        return
    assert attention.attention_id.encode() == key
