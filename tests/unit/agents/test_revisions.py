"""Revision rules and batch effects: duplicates, replacements, voids, stale and late records."""

from __future__ import annotations

from datetime import date
from typing import Any

import orjson
import pytest

from agents.batch import SourceRecord, apply_records
from agents.revisions import Counted, Outcome, counted_of, counted_of_fields, decide
from schemas.attention import Attention
from schemas.decode import decode_attention, decode_attention_fields, validate_attention

BASE: dict[str, Any] = {
    "attention_id": "a-1",
    "occurred_at": "2024-11-08T23:59:59-05:00",
    "office": "piura",
    "channel": "telefonico",
    "case_type": "comercial",
    "case_subtype": "consumo_elevado",
    "provider_scope": "eps",
    "provider": "eps_grau",
}


def att(**changes: Any) -> Attention:
    return validate_attention({**BASE, **changes})


def rec(offset: int, **changes: Any) -> SourceRecord:
    attention = att(**changes)
    return SourceRecord(offset, attention.attention_id, counted_of(attention))


@pytest.mark.parametrize(
    ("previous", "incoming", "outcome"),
    [
        (None, {}, Outcome.NEW),
        (None, {"revision": 3, "voided": True}, Outcome.VOID),
        ({}, {}, Outcome.DUPLICATE),
        ({"revision": 2}, {"revision": 1}, Outcome.STALE),
        ({"revision": 1}, {"revision": 2, "office": "tumbes"}, Outcome.REPLACE),
        ({"revision": 1}, {"revision": 2, "voided": True}, Outcome.VOID),
        ({"revision": 2, "voided": True}, {"revision": 2, "voided": True}, Outcome.DUPLICATE),
    ],
)
def test_decide(
    previous: dict[str, Any] | None, incoming: dict[str, Any], outcome: Outcome
) -> None:
    before: Counted | None = None if previous is None else counted_of(att(**previous))
    assert decide(before, counted_of(att(**incoming))) is outcome


def totals(effect: Any) -> dict[tuple[date, str], int]:
    out: dict[tuple[date, str], int] = {}
    for (day, classification), delta in effect.day_deltas.items():
        key = (day, classification[0])
        out[key] = out.get(key, 0) + delta
    return {k: v for k, v in out.items() if v}


def test_batch_counts_duplicates_once_and_moves_replacements() -> None:
    effect = apply_records(
        [
            rec(10),
            rec(11),  # duplicate
            rec(12, revision=1, office="tumbes"),  # replace: piura -> tumbes
            rec(13),  # stale (revision 0 < 1)
            rec(14, attention_id="a-2"),
            rec(15, attention_id="a-2", revision=1, voided=True),  # void
        ],
        lookup=lambda _id: None,
    )
    assert totals(effect) == {(date(2024, 11, 8), "tumbes"): 1}
    assert effect.outcomes == {
        Outcome.NEW: 2,
        Outcome.DUPLICATE: 1,
        Outcome.REPLACE: 1,
        Outcome.STALE: 1,
        Outcome.VOID: 1,
    }
    assert effect.states["a-2"].voided
    assert set(effect.touched) == {"a-1", "a-2"}


def test_a_revision_that_changes_the_day_moves_the_count_across_lima_midnight() -> None:
    known = counted_of(att())  # counted on 2024-11-08 (23:59:59 Lima)
    effect = apply_records(
        [rec(20, revision=1, occurred_at="2024-11-09T00:00:00-05:00")],
        lookup=lambda _id: known,
    )
    assert totals(effect) == {(date(2024, 11, 8), "piura"): -1, (date(2024, 11, 9), "piura"): 1}


def test_a_late_record_counts_for_its_own_day() -> None:
    effect = apply_records(
        [rec(30, occurred_at="2024-09-29T08:00:00-05:00")], lookup=lambda _id: None
    )
    assert totals(effect) == {(date(2024, 9, 29), "piura"): 1}


def test_versions_are_the_last_offset_touching_each_key() -> None:
    effect = apply_records([rec(40), rec(41, attention_id="a-9")], lookup=lambda _id: None)
    day_keys = [k for k in effect.versions if len(k) == 2 and isinstance(k[1], tuple)]
    assert [effect.versions[k] for k in day_keys] == [41]


def test_counted_state_round_trips_through_json() -> None:
    counted = counted_of(att(revision=4, district="150132"))
    assert Counted.from_json(counted.to_json()) == counted


def test_states_share_one_source_string_and_one_classification() -> None:
    first = counted_of(att(attention_id="a-1", source="".join(["call", "center"])))
    second = counted_of(att(attention_id="a-2", source="".join(["callce", "nter"])))
    assert first.source == "callcenter" and first.source is second.source
    assert first.classification is second.classification
    again = Counted.from_json(list(first.to_json()))
    assert again.source is first.source


def test_the_state_of_plain_fields_is_the_state_of_the_validated_attention() -> None:
    """The worker builds states from decode_attention_fields (no Attention for a plain event):
    the same state as from the model, the provider's home region filled in alike."""
    outside = {k: v for k, v in BASE.items() if k not in ("provider", "case_subtype")}
    events = [
        BASE,
        {**BASE, "provider_region": "piura"},
        {**BASE, "district": "200701", "citizen_ref": "f" * 64, "source": "callcenter"},
        {**outside, "provider_scope": "rural", "case_type": "informacion_general"},
        {**BASE, "revision": 2, "voided": True},
    ]
    for event in events:
        key, value = event["attention_id"].encode(), orjson.dumps(event)
        fields = decode_attention_fields(key, value)
        attention = decode_attention(key, value)
        assert fields == attention.__dict__
        assert counted_of_fields(fields) == counted_of(attention), event
        assert counted_of(attention).classification[6] == (attention.region_of_provider or "")
