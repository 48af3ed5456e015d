"""The daily report delivered by the worker: a timer on the group's leader only (one sender
however many workers run) that delivers every report due (reports/delivery.py) in a thread, so
the event loop keeps counting while Chromium prints and SMTP talks."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import faust

from agents import metrics
from agents.health import WorkerHealth
from clickhouse.client import connect
from foundation.settings import Settings

if TYPE_CHECKING:
    from reports.delivery import Result

log = logging.getLogger(__name__)


def register_report_timer(app: faust.App, settings: Settings, health: WorkerHealth) -> None:
    if not settings.report_schedule:
        return
    from reports.delivery import ReportScheduler  # noqa: PLC0415 - only where reports are sent

    scheduler = ReportScheduler(settings, lambda: connect(settings))

    @app.timer(settings.report_check_s, on_leader=True)
    async def deliver_reports() -> None:
        try:
            results = await asyncio.to_thread(scheduler.tick, datetime.now(tz=UTC))
        except Exception as exc:  # a bug, not an outage: seen on /health, counting goes on
            log.exception("looking for reports due failed")
            health.reports_checked({"reports": f"the look for reports due failed: {exc!r}"})
            return
        note_results(results, health)


def note_results(results: list[Result], health: WorkerHealth) -> None:
    """Health, metrics and log lines of one look at the reports due."""
    for result in results:
        metrics.REPORT_DELIVERIES.labels(result.due.kind, result.outcome.value).inc()
        if result.outcome in {"sent", "archived", "failed"}:
            level = logging.WARNING if result.failing else logging.INFO
            log.log(level, "report %s", result.describe())
    health.reports_checked({r.due.label(): r.describe() for r in results if r.failing})
