"""When a report is due: the Lima hour, the catch-up after an outage, the cut, the backoff."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from reports.schedule import CUT, DAILY, Due, due_reports, retry_wait
from schemas.timestamps import LIMA

EIGHT = time(8, 0)


def lima(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=LIMA)


def test_yesterdays_report_is_due_from_the_lima_hour_on() -> None:
    assert due_reports(lima(30, 7, 59), EIGHT, None, 0) == []
    assert due_reports(lima(30, 8, 0), EIGHT, None, 0) == [Due(date(2026, 11, 29), DAILY)]
    # 13:00 UTC is 08:00 in Lima: the same instant in another zone
    assert due_reports(datetime(2026, 11, 30, 13, tzinfo=UTC), EIGHT, None, 0) == [
        Due(date(2026, 11, 29), DAILY)
    ]
    # 04:00 UTC on the 1st is still the 30th in Lima, before 08:00
    assert due_reports(datetime(2026, 12, 1, 4, tzinfo=UTC), EIGHT, None, 0) == [
        Due(date(2026, 11, 29), DAILY)
    ]


def test_catch_up_sends_the_reports_missed_while_down_oldest_first() -> None:
    due = due_reports(lima(30, 7), EIGHT, None, 3)
    assert due == [Due(date(2026, 11, d), DAILY) for d in (26, 27, 28)]
    due = due_reports(lima(30, 9), EIGHT, None, 3)
    assert due == [Due(date(2026, 11, d), DAILY) for d in (26, 27, 28, 29)]


def test_the_cut_of_today_is_due_after_its_hour() -> None:
    assert due_reports(lima(30, 16, 59), EIGHT, time(17, 0), 0) == [Due(date(2026, 11, 29), DAILY)]
    assert due_reports(lima(30, 17), EIGHT, time(17, 0), 0)[-1] == Due(date(2026, 11, 30), CUT)


def test_a_naive_time_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        due_reports(datetime(2026, 11, 30, 9), EIGHT, None, 0)  # noqa: DTZ001


def test_retry_wait_doubles_and_is_capped() -> None:
    first = timedelta(seconds=60)
    assert [retry_wait(n, first).total_seconds() for n in range(6)] == [0, 60, 120, 240, 480, 960]
    assert retry_wait(6, first) == timedelta(minutes=30)
    assert retry_wait(40, first) == timedelta(minutes=30)
