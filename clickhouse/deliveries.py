"""The daily report's delivery records (atenciones.report_deliveries, migration 0005)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from clickhouse_connect.driver.client import Client

TABLE = "atenciones.report_deliveries"
COLUMNS = (
    "day", "kind", "recipients", "attempt_id", "status", "attempt", "forced", "message_id",
    "day_total", "version", "error",
)  # fmt: skip

HISTORY = f"""
SELECT attempt_id, status, attempt, forced, message_id, day_total, version, error, recorded_at
FROM {TABLE}
WHERE day = {{day:Date}} AND kind = {{kind:String}} AND recipients = {{recipients:String}}
ORDER BY recorded_at, attempt_id
"""

# The latest total each day's whole-day report announced (sent, archived or corrected), for
# any recipients: what a later report compares the day's current total with.
ANNOUNCED_TOTALS = f"""
SELECT day, argMax(day_total, recorded_at) AS total, max(version) AS version
FROM {TABLE}
WHERE kind = 'diario' AND status IN ('sent', 'archived', 'corrected')
  AND day BETWEEN {{first:Date}} AND {{last:Date}}
GROUP BY day
"""

DAY_TOTALS = """
SELECT day, sum(attentions) FROM atenciones.daily_counts
WHERE day IN {days:Array(Date)} GROUP BY day
"""


@dataclass(frozen=True)
class DeliveryKey:
    """One delivery: a day's report of a kind to one list of recipients."""

    day: date
    kind: str  # "diario" | "corte"
    recipients: str  # sorted and comma-separated; "" when the report is only archived


@dataclass(frozen=True)
class Step:
    """One row of the delivery log: a step of an attempt."""

    attempt_id: str
    status: str  # claimed | yielded | sent | archived | failed | skipped | corrected
    attempt: int
    forced: bool
    message_id: str
    day_total: int
    version: int
    error: str
    recorded_at: datetime  # the server's clock (UTC)


@dataclass(frozen=True)
class Announced:
    total: int
    version: int


class DeliveryLog:
    """Reads and appends delivery steps; every insert is synchronous (visible to the next read)."""

    def __init__(self, client: Client) -> None:
        self.client = client

    def record(
        self,
        key: DeliveryKey,
        attempt_id: str,
        status: str,
        *,
        attempt: int,
        forced: bool = False,
        message_id: str = "",
        day_total: int = 0,
        version: int = 0,
        error: str = "",
    ) -> None:
        row = [
            key.day, key.kind, key.recipients, attempt_id, status, attempt, forced, message_id,
            day_total, version, error[:2000],
        ]  # fmt: skip
        self.client.insert(TABLE, [row], column_names=list(COLUMNS))

    def history(self, key: DeliveryKey) -> tuple[list[Step], datetime]:
        """The delivery's steps in order, and the server's time now (claims expire by it)."""
        result = self.client.query(
            HISTORY, parameters={"day": key.day, "kind": key.kind, "recipients": key.recipients}
        )
        steps = [Step(*row) for row in result.result_rows]
        now = self.client.query("SELECT now64(6, 'UTC')").result_rows[0][0]
        return steps, now

    def announced(self, first: date, last: date) -> dict[date, Announced]:
        result = self.client.query(ANNOUNCED_TOTALS, parameters={"first": first, "last": last})
        return {day: Announced(int(total), int(v)) for day, total, v in result.result_rows}

    def day_totals(self, days: list[date]) -> dict[date, int]:
        """Attentions counted per day now (days without any: 0)."""
        if not days:
            return {}
        result = self.client.query(DAY_TOTALS, parameters={"days": days})
        found = {day: int(total) for day, total in result.result_rows}
        return {day: found.get(day, 0) for day in days}
