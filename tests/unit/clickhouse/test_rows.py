"""The sink's typed rows are the tables' columns: each row type's fields, in order, are columns of
the table it is written to (the real migrations, on an embedded ClickHouse), and the ones a
writer leaves out have defaults."""

from __future__ import annotations

import pytest

from clickhouse.writer import TABLES, classification_of
from schemas.classification import CLASSIFICATION_FIELDS
from tests.fixtures.in_process_clickhouse import InProcessClickHouse


@pytest.mark.parametrize("row_type", list(TABLES), ids=lambda t: t.__name__)
def test_a_row_type_is_its_tables_columns(
    in_process_clickhouse: InProcessClickHouse, row_type: type
) -> None:
    described = in_process_clickhouse.query(f"DESCRIBE TABLE atenciones.{TABLES[row_type]}")
    names = [row[0] for row in described.result_rows]
    defaults = {row[0]: row[2] for row in described.result_rows}
    fields = list(row_type._fields)  # type: ignore[attr-defined]
    assert [name for name in names if name in fields] == fields
    assert all(defaults[name] for name in names if name not in fields)


def test_the_classification_of_a_row_is_in_the_contracts_order() -> None:
    from clickhouse.writer import DayCountRow  # noqa: PLC0415

    values = [f"v{i}" for i in range(len(CLASSIFICATION_FIELDS))]
    row = DayCountRow(None, *values, 0, 1, 2)  # type: ignore[arg-type]
    assert classification_of(row) == tuple(values)
    assert DayCountRow._fields[1 : 1 + len(values)] == CLASSIFICATION_FIELDS
