"""The worker's fast Lima day of a record timestamp equals lima_day of the same instant."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from schemas.timestamps import lima_day, lima_day_number, lima_day_of_epoch

LIMA_MIDNIGHT_0811 = 1_731_042_000  # 2024-11-08T00:00:00-05:00


def test_lima_midnight_edges() -> None:
    assert lima_day_of_epoch(LIMA_MIDNIGHT_0811 - 1) == date(2024, 11, 7)
    assert lima_day_of_epoch(LIMA_MIDNIGHT_0811 - 0.001) == date(2024, 11, 7)
    assert lima_day_of_epoch(LIMA_MIDNIGHT_0811) == date(2024, 11, 8)
    assert lima_day_of_epoch(LIMA_MIDNIGHT_0811 + 86_399.999) == date(2024, 11, 8)


@given(st.integers(min_value=-(2 * 10**12), max_value=5 * 10**12))
def test_equals_lima_day(millis: int) -> None:  # Kafka timestamps are milliseconds
    seconds = millis / 1000
    assert lima_day_of_epoch(seconds) == lima_day(datetime.fromtimestamp(seconds, tz=UTC))


@given(st.integers(min_value=-(2 * 10**12), max_value=5 * 10**12))
def test_day_number_is_the_lima_day(millis: int) -> None:  # ClickHouse's Date: days since 1970
    instant = datetime.fromtimestamp(millis / 1000, tz=UTC)
    assert date(1970, 1, 1) + timedelta(days=lima_day_number(millis)) == lima_day(instant)
