"""Every integer field of both contracts fits the ClickHouse column it is stored in: the bounds
are read from the models' JSON Schema and from system.columns, not from a second list."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from local_stack.clickhouse import ClickHouseServer
from schemas.attention import Attention
from schemas.relevant_case import RelevantCase
from tests.fixtures.pipeline import start_pipeline_clickhouse

# Which table stores each contract (columns share the fields' names).
TABLES = {Attention: "attention_revisions", RelevantCase: "relevant_case_updates"}


@pytest.fixture(scope="module")
def columns(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[tuple[str, str], str]]:
    server: ClickHouseServer = start_pipeline_clickhouse(Path(tmp_path_factory.mktemp("bounds")))
    client = server.admin_client()
    rows = client.query(
        "SELECT table, name, type FROM system.columns WHERE database = 'atenciones'"
    ).result_rows
    client.close()
    server.stop()
    yield {(table, name): column_type for table, name, column_type in rows}


def type_range(column_type: str) -> tuple[int, int]:
    """The integers a ClickHouse integer type holds (Nullable/LowCardinality unwrapped)."""
    inner = re.sub(r"^(Nullable|LowCardinality)\((.*)\)$", r"\2", column_type)
    match = re.fullmatch(r"(U?)Int(8|16|32|64|128|256)", inner)
    assert match, f"{column_type} is not an integer type"
    bits = int(match.group(2))
    return (0, 2**bits - 1) if match.group(1) else (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1)


def integer_fields(model: Any) -> dict[str, dict[str, Any]]:
    fields = {}
    for name, prop in model.model_json_schema()["properties"].items():
        options = prop.get("anyOf", [prop])
        integer = [o for o in options if o.get("type") == "integer" or "const" in o]
        if integer:
            fields[name] = integer[0]
    return fields


@pytest.mark.parametrize("model", list(TABLES), ids=lambda m: m.__name__)
def test_every_integer_field_is_bounded_by_its_column(
    model: Any, columns: dict[tuple[str, str], str]
) -> None:
    fields = integer_fields(model)
    assert fields, "the contract has integer fields"
    for name, schema in fields.items():
        if "const" in schema:  # schema_version: a constant, not stored
            continue
        column_type = columns[(TABLES[model], name)]
        low, high = type_range(column_type)
        assert "minimum" in schema and "maximum" in schema, f"{name} is unbounded"
        assert low <= schema["minimum"] and schema["maximum"] <= high, (name, column_type)


def test_type_ranges() -> None:
    assert type_range("UInt32") == (0, 4_294_967_295)
    assert type_range("Nullable(UInt32)") == (0, 4_294_967_295)
    assert type_range("Int64") == (-(2**63), 2**63 - 1)
