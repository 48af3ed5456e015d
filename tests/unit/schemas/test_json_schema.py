"""The committed JSON Schema equals the generated one and agrees with the model."""

from __future__ import annotations

import random
from typing import Any

import jsonschema
import orjson
import pytest

from schemas.decode import decode_attention
from schemas.json_schema import SCHEMA_PATH, build_schema, render
from schemas.reasons import ATTENTION_REASONS, ContractError, Reason
from streams.invalid_events import break_event
from streams.traffic_mix import TrafficMix
from tests.unit.schemas.test_decode import NOW, VALID

# What a JSON Schema cannot see: the record's bytes and key, and time relative to the worker.
OUTSIDE_SCHEMA = {
    Reason.EMPTY_PAYLOAD,
    Reason.OVERSIZED_PAYLOAD,
    Reason.INVALID_UTF8,
    Reason.INVALID_JSON,
    Reason.MISSING_KEY,
    Reason.KEY_MISMATCH,
    Reason.TIMESTAMP_TOO_OLD,
    Reason.TIMESTAMP_IN_FUTURE,
}


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    schema = orjson.loads(SCHEMA_PATH.read_bytes())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )


def test_committed_schema_is_the_generated_one() -> None:
    assert SCHEMA_PATH.read_text(encoding="utf-8") == render(), (
        "run `python -m schemas.json_schema` and commit the result"
    )
    assert build_schema()["additionalProperties"] is False


def test_schema_accepts_every_valid_example(validator: jsonschema.Draft202012Validator) -> None:
    mix = TrafficMix(random.Random(7))
    examples: list[dict[str, Any]] = [VALID, {**VALID, "revision": 3, "voided": True}]
    examples += [mix.event(NOW) for _ in range(300)]
    for example in examples:
        decode_attention(example["attention_id"].encode(), orjson.dumps(example), now=NOW)
        errors = list(validator.iter_errors(example))
        assert not errors, (example, [e.message for e in errors])


@pytest.mark.parametrize(
    "reason", sorted(ATTENTION_REASONS - OUTSIDE_SCHEMA), ids=lambda r: r.value
)
def test_schema_rejects_what_the_model_rejects(
    validator: jsonschema.Draft202012Validator, reason: Reason
) -> None:
    key, value = break_event(VALID, reason)
    with pytest.raises(ContractError):
        decode_attention(key, value, now=NOW)
    document = orjson.loads(value)
    assert list(validator.iter_errors(document)), f"schema accepted a {reason.value} event"


def test_the_alert_schema_file_is_the_model() -> None:
    from schemas.alert import ALERT_SCHEMA_PATH, render_alert_schema  # noqa: PLC0415

    assert ALERT_SCHEMA_PATH.read_text(encoding="utf-8") == render_alert_schema(), (
        "schemas/alert.v1.schema.json is out of date: run python -m schemas.alert"
    )
