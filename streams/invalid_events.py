"""Invalid records of every class the contract rejects (simulator --invalid-rate, tests)."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import orjson

from schemas.reasons import Reason

Record = tuple[bytes | None, bytes]  # (key, value) as they would travel on Kafka
Breaker = Callable[[dict[str, Any]], Record]


def _with(event: dict[str, Any], **changes: Any) -> Record:
    broken = {**event, **changes}
    broken = {k: v for k, v in broken.items() if v is not _DROP}
    key = str(broken.get("attention_id", event["attention_id"])).encode()
    return key, orjson.dumps(broken)


_DROP = object()


def _comercial(event: dict[str, Any]) -> dict[str, Any]:
    return {**event, "case_type": "comercial", "case_subtype": "consumo_elevado"}


def _eps(event: dict[str, Any]) -> dict[str, Any]:
    return {**event, "provider_scope": "eps", "provider": "sedapal", "provider_region": None}


BREAKERS: dict[Reason, Breaker] = {
    Reason.EMPTY_PAYLOAD: lambda e: (e["attention_id"].encode(), b""),
    Reason.OVERSIZED_PAYLOAD: lambda e: _with(e, padding="x" * 20_000),
    Reason.INVALID_UTF8: lambda e: (e["attention_id"].encode(), orjson.dumps(e)[:-2] + b'\xff"}'),
    Reason.INVALID_JSON: lambda e: (e["attention_id"].encode(), orjson.dumps(e)[:-5]),
    Reason.NOT_AN_OBJECT: lambda e: (e["attention_id"].encode(), orjson.dumps([e])),
    Reason.MISSING_KEY: lambda e: (None, orjson.dumps(e)),
    Reason.KEY_MISMATCH: lambda e: (b"other-" + e["attention_id"].encode(), orjson.dumps(e)),
    Reason.MISSING_FIELD: lambda e: _with(e, office=_DROP),
    Reason.UNKNOWN_FIELD: lambda e: _with(e, citizen_name="Juan Pérez"),
    Reason.WRONG_TYPE: lambda e: _with(e, office=15),
    Reason.UNSUPPORTED_SCHEMA_VERSION: lambda e: _with(e, schema_version=2),
    Reason.INVALID_ATTENTION_ID: lambda e: (
        b"bad id",
        orjson.dumps({**e, "attention_id": "bad id"}),
    ),
    Reason.NEGATIVE_REVISION: lambda e: _with(e, revision=-1),
    Reason.OUT_OF_RANGE: lambda e: _with(e, revision=2**32),
    Reason.VOID_WITHOUT_REVISION: lambda e: _with(e, voided=True, revision=0),
    Reason.INVALID_TIMESTAMP: lambda e: _with(e, occurred_at="08/11/2024 10:00"),
    Reason.NAIVE_TIMESTAMP: lambda e: _with(e, occurred_at="2024-11-08T10:00:00"),
    Reason.IMPOSSIBLE_TIMESTAMP: lambda e: _with(e, occurred_at="2024-02-30T10:00:00-05:00"),
    Reason.TIMESTAMP_TOO_OLD: lambda e: _with(e, occurred_at="1999-12-31T23:00:00-05:00"),
    Reason.TIMESTAMP_IN_FUTURE: lambda e: _with(e, occurred_at="2999-01-01T00:00:00-05:00"),
    Reason.UNKNOWN_OFFICE: lambda e: _with(e, office="atlantida"),
    Reason.UNKNOWN_CHANNEL: lambda e: _with(e, channel="paloma_mensajera"),
    Reason.UNKNOWN_CASE_TYPE: lambda e: _with(e, case_type="queja"),
    Reason.MISSING_CASE_SUBTYPE: lambda e: _with(_comercial(e), case_subtype=_DROP),
    Reason.UNKNOWN_CASE_SUBTYPE: lambda e: _with(_comercial(e), case_subtype="ovnis"),
    Reason.SUBTYPE_TYPE_MISMATCH: lambda e: _with(_comercial(e), case_subtype="falta_agua_zona"),
    Reason.UNKNOWN_PROVIDER_SCOPE: lambda e: _with(e, provider_scope="lunar", provider=_DROP),
    Reason.MISSING_PROVIDER: lambda e: _with(e, provider_scope="eps", provider=_DROP),
    Reason.UNEXPECTED_PROVIDER: lambda e: _with(e, provider_scope="rural", provider="sedapal"),
    Reason.UNKNOWN_PROVIDER: lambda e: _with(e, provider_scope="eps", provider="aguas_de_marte"),
    Reason.INVALID_PROVIDER_REGION: lambda e: _with(_eps(e), provider_region="piura"),
    Reason.INVALID_DISTRICT: lambda e: _with(e, district="Comas"),
    Reason.INVALID_CITIZEN_REF: lambda e: _with(e, citizen_ref="DNI 12345678"),
    Reason.INVALID_SOURCE: lambda e: _with(e, source="Call Center; DROP TABLE"),
}


def _strip_none(record: Record) -> Record:
    key, value = record
    if value[:1] != b"{":
        return record
    try:
        data = orjson.loads(value)
    except orjson.JSONDecodeError:
        return record
    return key, orjson.dumps({k: v for k, v in data.items() if v is not None})


def break_event(event: dict[str, Any], reason: Reason) -> Record:
    """A record that the contract rejects with exactly `reason`, built from a valid event."""
    record = BREAKERS[reason](event)
    return record if reason in (Reason.INVALID_UTF8, Reason.INVALID_JSON) else _strip_none(record)


def random_invalid(event: dict[str, Any], rng: random.Random) -> tuple[Reason, Record]:
    reason = rng.choice(list(BREAKERS))
    return reason, break_event(event, reason)
