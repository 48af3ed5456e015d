"""When a report is due (pure): the day's report at a Lima hour, catch-up, retry backoff."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from schemas.timestamps import LIMA

DAILY = "diario"  # the previous day, whole
CUT = "corte"  # the current day so far ("al corte")
KINDS = (DAILY, CUT)
LONGEST_RETRY_WAIT = timedelta(minutes=30)


@dataclass(frozen=True, order=True)
class Due:
    day: date
    kind: str

    def label(self) -> str:
        return f"{self.kind} {self.day.isoformat()}"


def due_reports(now: datetime, daily_at: time, cut_at: time | None, catchup_days: int) -> list[Due]:
    """The reports whose hour has come, oldest first: the daily report of each of the last
    catchup_days + 1 days whose send time has passed (one missed while the system was down is
    still sent), and today's cut once its hour has passed."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    lima = now.astimezone(LIMA)
    today = lima.date()
    due = []
    for back in range(catchup_days, -1, -1):
        sent_on = today - timedelta(days=back)
        if lima >= datetime.combine(sent_on, daily_at, LIMA):
            due.append(Due(sent_on - timedelta(days=1), DAILY))
    if cut_at is not None and lima >= datetime.combine(today, cut_at, LIMA):
        due.append(Due(today, CUT))
    return due


def retry_wait(failures: int, first_wait: timedelta) -> timedelta:
    """How long after its failures-th failure a delivery is tried again (doubling, capped)."""
    if failures < 1:
        return timedelta(0)
    return min(first_wait * 2 ** (failures - 1), LONGEST_RETRY_WAIT)
