"""Bytes from Kafka to a valid Attention, or a ContractError with the first reason found."""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

import orjson
from pydantic import ValidationError

from schemas.attention import Attention
from schemas.plain_attention import plain_attention, plain_fields
from schemas.reasons import ContractError, Reason

MAX_PAYLOAD_BYTES = 16 * 1024  # an attention is ~400 bytes; anything this big is not one

_PATTERN_REASONS = {
    "attention_id": Reason.INVALID_ATTENTION_ID,
    "district": Reason.INVALID_DISTRICT,
    "citizen_ref": Reason.INVALID_CITIZEN_REF,
    "source": Reason.INVALID_SOURCE,
}
_KNOWN_REASONS = {reason.value: reason for reason in Reason}


def parse_json_object(value: bytes | None) -> Any:
    """The JSON value of a record, after the checks every topic shares (size, UTF-8, JSON)."""
    if not value:
        raise ContractError(Reason.EMPTY_PAYLOAD, "the record has no value")
    if len(value) > MAX_PAYLOAD_BYTES:
        raise ContractError(
            Reason.OVERSIZED_PAYLOAD, f"{len(value)} bytes is over the {MAX_PAYLOAD_BYTES} limit"
        )
    try:
        data = orjson.loads(value)  # refuses invalid UTF-8 too: a parsed value was UTF-8
    except orjson.JSONDecodeError as exc:
        try:
            value.decode("utf-8")
        except UnicodeDecodeError as bad:
            raise ContractError(Reason.INVALID_UTF8, f"not UTF-8 at byte {bad.start}") from None
        raise ContractError(Reason.INVALID_JSON, str(exc)[:200]) from None
    if isinstance(data, dict):
        _refuse_repeated_keys(value, data)
    return data


_SPACED_COLON = re.compile(rb'"\s+:')


def _refuse_repeated_keys(value: bytes, data: dict[str, Any]) -> None:
    """A repeated key is refused (which value would the producer mean?). Every key of the text
    is a string followed by `":`, so when `":` occurs exactly as often as the parsed object has
    keys (and no key is followed by spaces), no key can repeat; otherwise the object is parsed
    again, keeping every pair, to know."""
    if value.count(b'":') == len(data) and not _SPACED_COLON.search(value):
        return
    seen: set[str] = set()

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        for key, _ in items:
            if key in seen:
                raise ContractError(Reason.INVALID_JSON, f"the key {key[:40]!r} is repeated")
            seen.add(key)
        return dict(items)

    top = json.loads(value, object_pairs_hook=lambda items: items)
    if isinstance(top, list):
        pairs(top)


def check_key(key: bytes | None, record_id: str, field: str) -> None:
    """The message key must be the record's id (so its revisions share a partition)."""
    if key is None:
        raise ContractError(Reason.MISSING_KEY, f"the record has no key (must be the {field})")
    if key != record_id.encode():
        raise ContractError(
            Reason.KEY_MISMATCH, f"key {key[:80]!r} differs from {field} {record_id!r}"
        )


def decode_attention(
    key: bytes | None, value: bytes | None, now: datetime | None = None
) -> Attention:
    """Validate one Kafka record of the `attentions` topic against contract v1."""
    attention = validate_attention(parse_json_object(value), now=now)
    check_key(key, attention.attention_id, "attention_id")
    return attention


def decode_attention_fields(
    key: bytes | None, value: bytes | None, now: datetime | None = None
) -> dict[str, Any]:
    """decode_attention's verdict as the valid Attention's field values by name (what it holds
    in __dict__), without building the model for a plain event: the worker's per-record path."""
    data = parse_json_object(value)
    fields = plain_fields(data, now)
    if fields is None:
        fields = _validated(data, now).__dict__
    check_key(key, fields["attention_id"], "attention_id")
    return fields


def validate_attention(data: Any, now: datetime | None = None) -> Attention:
    """Validate an already-parsed JSON value (dict) against contract v1."""
    plain = plain_attention(data, now)  # the common case, without pydantic's cost
    return _validated(data, now) if plain is None else plain


def _validated(data: Any, now: datetime | None) -> Attention:
    """pydantic's validation, which names the first reason to refuse."""
    if not isinstance(data, dict):
        raise ContractError(
            Reason.NOT_AN_OBJECT, f"expected a JSON object, got {type(data).__name__}"
        )
    try:
        return Attention.model_validate(data, context={"now": now} if now else None)
    except ValidationError as exc:
        raise contract_error_from(exc) from None


def contract_error_from(
    exc: ValidationError, pattern_reasons: dict[str, Reason] | None = None
) -> ContractError:
    """The first error of a pydantic ValidationError as a contract reason."""
    errors = exc.errors(include_url=False)
    first = errors[0]
    field = str(first["loc"][0]) if first["loc"] else ""
    kind = first["type"]
    message = "; ".join(
        f"{'.'.join(map(str, e['loc'])) or 'event'}: {e['msg']}" for e in errors[:5]
    )
    if kind in _KNOWN_REASONS:
        return ContractError(_KNOWN_REASONS[kind], str(first["msg"]))
    if kind == "missing":
        return ContractError(Reason.MISSING_FIELD, message)
    if kind == "extra_forbidden":
        return ContractError(Reason.UNKNOWN_FIELD, f"unknown field {field!r}")
    if kind == "literal_error" and field == "schema_version":
        return ContractError(Reason.UNSUPPORTED_SCHEMA_VERSION, message)
    if kind == "greater_than_equal" and field == "revision":
        return ContractError(Reason.NEGATIVE_REVISION, message)
    if kind in ("less_than_equal", "greater_than_equal"):
        return ContractError(Reason.OUT_OF_RANGE, message)
    patterns = _PATTERN_REASONS if pattern_reasons is None else pattern_reasons
    if kind.startswith("string_") and field in patterns and not kind.endswith("_type"):
        return ContractError(patterns[field], message)
    return ContractError(Reason.WRONG_TYPE, message)
