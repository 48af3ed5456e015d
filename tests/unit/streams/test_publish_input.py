"""What `atenciones publish` reads: Excel's UTF-8 CSV (BOM), a Latin-1 export (its rows refused
one by one, the rest read), invalid UTF-8 and repeated keys in JSON lines."""

from __future__ import annotations

import io

from schemas.reasons import ContractError, Reason
from streams.publish import read_events

HEADER = "attention_id,occurred_at,office,channel,case_type,provider_scope,district\n"
ROW = "a{n},2024-11-08T10:00:00-05:00,piura,telefonico,informacion,rural,200101\n"


def test_a_csv_with_a_bom_is_read() -> None:
    data = ("\ufeff" + HEADER + ROW.format(n=1)).encode("utf-8")
    events = list(read_events(io.BytesIO(data), "csv"))
    assert events == [
        {
            "attention_id": "a1", "occurred_at": "2024-11-08T10:00:00-05:00", "office": "piura",
            "channel": "telefonico", "case_type": "informacion", "provider_scope": "rural",
            "district": "200101",
        }
    ]  # fmt: skip


def test_latin1_rows_are_refused_one_by_one_and_the_rest_is_read() -> None:
    rows = [
        ROW.format(n=1),
        "a2,2024-11-08T10:00:00-05:00,piura,telefonico,informacion,rural,Pe\xf1a\n",
        ROW.format(n=3),
    ]
    data = HEADER.encode() + rows[0].encode() + rows[1].encode("latin-1") + rows[2].encode()
    events = list(read_events(io.BytesIO(data), "csv"))
    assert [e["attention_id"] if isinstance(e, dict) else e.reason for e in events] == [
        "a1", Reason.INVALID_UTF8, "a3",
    ]  # fmt: skip


def test_json_lines_invalid_utf8_and_repeated_keys() -> None:
    lines = [
        b'{"attention_id": "x", "office": "piura"}',
        b'{"attention_id": "x\xff"}',
        b'{"attention_id": "y", "office": "piura", "office": "tumbes"}',
        b'{"attention_id": "z", "note": "a \\":" }',
    ]
    events = list(read_events(io.BytesIO(b"\n".join(lines) + b"\n"), "jsonl"))
    assert events[0] == {"attention_id": "x", "office": "piura"}
    assert isinstance(events[1], ContractError) and events[1].reason is Reason.INVALID_UTF8
    assert isinstance(events[2], ContractError) and events[2].reason is Reason.INVALID_JSON
    assert "repeated" in events[2].message
    assert events[3] == {"attention_id": "z", "note": 'a ":'}  # a quote-colon inside a value
