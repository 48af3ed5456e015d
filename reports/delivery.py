"""Delivering the daily report once per day, kind and recipient list: render, archive, e-mail,
record (atenciones.report_deliveries, clickhouse/deliveries.py).

Once, across restarts, crashes and several workers:

* a delivery already `sent` (or `archived`, without recipients) is not sent again unless forced;
* an attempt first records a **claim**; of the live claims of one delivery the earliest
  (server time, then attempt id) goes on and the others stand down (`yielded`). A claim is
  stamped before its insert is visible, so two claims a millisecond apart may each first see
  only itself: an attempt decides only once its claim is CLAIM_SETTLE old, and looks again just
  before the e-mail leaves (both sent once, two workers in separate groups, 2026-12-01). A claim
  that ends in nothing (its worker crashed) lapses after CLAIM_LEASE;
* the Message-ID is the same for every attempt of a delivery: if a worker crashes after the
  SMTP server accepted the message and before `sent` was recorded, the copy sent after the lease
  carries the same Message-ID, which mail servers and clients treat as one message.

A failed attempt is recorded with its error and tried again after a doubling wait
(ATENCIONES_REPORT_RETRY_S, at most 30 minutes), at most ATENCIONES_REPORT_MAX_ATTEMPTS times.
"""

from __future__ import annotations

import smtplib
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from enum import StrEnum
from typing import Protocol

from clickhouse_connect.driver.client import Client
from clickhouse_connect.driver.exceptions import ClickHouseError

from clickhouse import queries
from clickhouse.deliveries import Announced, DeliveryKey, DeliveryLog, Step
from foundation.settings import Settings
from reports import archive
from reports.generate import ReportError, print_pdf, read_report
from reports.mail import (
    Correction,
    SmtpMailer,
    body_html,
    build_message,
    message_id,
    summarize,
)
from reports.model import DailyReport
from reports.schedule import DAILY, Due, due_reports, retry_wait

CLAIM_LEASE = timedelta(minutes=15)
# Longer than any claim's insert takes from its stamp to being visible (a part: ~25 ms here).
CLAIM_SETTLE = timedelta(seconds=1)
SETTLE_LOOKS = 5
CORRECTION_WINDOW_DAYS = 31  # days before a report whose changed totals it announces
DONE = frozenset({"sent", "archived"})
# Transient, tied to no record: the attempt is recorded as failed and tried again later.
DELIVERY_ERRORS = (
    smtplib.SMTPException, OSError, ClickHouseError, ReportError, archive.ArchiveError,
)  # fmt: skip


class Outcome(StrEnum):
    SENT = "sent"  # e-mailed (and archived)
    ARCHIVED = "archived"  # no recipients configured: archived only
    ALREADY = "already"  # done before: nothing sent
    SKIPPED = "skipped"  # no attentions up to that day yet: nothing to report
    FAILED = "failed"  # this attempt failed; tried again after the wait
    WAITING = "waiting"  # the wait after a failure is not over
    GAVE_UP = "gave_up"  # failed ATENCIONES_REPORT_MAX_ATTEMPTS times; only by hand now
    BUSY = "busy"  # another attempt holds the claim


@dataclass(frozen=True)
class Result:
    due: Due
    outcome: Outcome
    attempt: int = 0
    message_id: str = ""
    error: str = ""
    total: int = 0
    corrections: tuple[Correction, ...] = ()

    @property
    def failing(self) -> bool:
        return self.outcome in {Outcome.FAILED, Outcome.WAITING, Outcome.GAVE_UP}

    def describe(self) -> str:
        text = f"{self.due.label()}: {self.outcome.value}"
        if self.attempt:
            text += f" (attempt {self.attempt})"
        if self.message_id:
            text += f", message {self.message_id}"
        if self.total:
            text += f", {self.total} attentions"
        if self.error:
            text += f": {self.error}"
        return text


class Mailer(Protocol):
    def send(self, message: EmailMessage) -> dict[str, tuple[int, bytes]]: ...


@dataclass(frozen=True)
class Rendered:
    report: DailyReport
    html: str
    pdf: bytes


def render(client: Client, day: date, notes: list[str]) -> Rendered:
    """The day's report with extra notes, in HTML and PDF."""
    from reports.render_html import render_html  # noqa: PLC0415 - matplotlib is slow to import

    report = read_report(client, day)
    report.notes.extend(notes)
    html = render_html(report)
    return Rendered(report, html, print_pdf(html))


class Deliverer:
    def __init__(self, settings: Settings, client: Client, mailer: Mailer | None = None) -> None:
        self.settings = settings
        self.client = client
        self.log = DeliveryLog(client)
        self.mailer = mailer or SmtpMailer(settings)
        self.recipients = settings.recipients
        self.pause: Callable[[float], None] = time.sleep  # while a claim settles

    def deliver(self, due: Due, *, force: bool = False, scheduled: bool = True) -> Result:
        """Deliver `due` unless done; scheduled: keep the wait after failures and give up after
        the last attempt (a delivery by hand tries at once)."""
        key = DeliveryKey(due.day, due.kind, ",".join(self.recipients))
        steps, now = self.log.history(key)
        failures = _failures_since_done(steps)
        attempt = len(failures) + 1
        done = [s for s in steps if s.status in DONE]
        if done and not force:
            return Result(due, Outcome.ALREADY, done[-1].attempt, done[-1].message_id)
        if scheduled and failures:
            last = failures[-1]
            if len(failures) >= self.settings.report_max_attempts:
                return Result(due, Outcome.GAVE_UP, len(failures), error=last.error)
            first_wait = timedelta(seconds=self.settings.report_retry_s)
            if _utc(now) < _utc(last.recorded_at) + retry_wait(len(failures), first_wait):
                return Result(due, Outcome.WAITING, len(failures), error=last.error)
        if queries.last_data_day(self.client, due.day) is None:
            return Result(due, Outcome.SKIPPED)
        attempt_id = uuid.uuid4().hex
        self.log.record(key, attempt_id, "claimed", attempt=attempt, forced=force)
        if not self._owns_settled(key, attempt_id, force):
            self.log.record(key, attempt_id, "yielded", attempt=attempt, forced=force)
            return Result(due, Outcome.BUSY, attempt)
        try:
            return self._attempt(key, due, attempt_id, attempt, force)
        except DELIVERY_ERRORS as exc:
            error = _one_line(exc)
            self.log.record(key, attempt_id, "failed", attempt=attempt, forced=force, error=error)
            return Result(due, Outcome.FAILED, attempt, error=error)

    def _owns_settled(self, key: DeliveryKey, attempt_id: str, force: bool) -> bool:
        """Whether attempt_id holds the claim, decided once its claim is CLAIM_SETTLE old: every
        claim stamped before it is visible by then. A few looks at most (a server clock set back
        must not hold the attempt): then the last look decides."""
        for look in range(SETTLE_LOOKS):
            steps, now = self.log.history(key)
            mine = [s.recorded_at for s in steps if s.attempt_id == attempt_id]
            age = _utc(now) - _utc(mine[0]) if mine else CLAIM_SETTLE
            if age >= CLAIM_SETTLE or look == SETTLE_LOOKS - 1:
                break
            self.pause(min(CLAIM_SETTLE - age, CLAIM_SETTLE).total_seconds())
        return _owns(steps, attempt_id, now, force)

    def preview(self, due: Due) -> str:
        """The HTML body the e-mail of `due` would have now (nothing sent, nothing recorded)."""
        announced = self.log.announced(due.day - timedelta(days=CORRECTION_WINDOW_DAYS), due.day)
        corrections = self._corrections(due, announced) if due.kind == DAILY else []
        report = read_report(self.client, due.day)
        return body_html(summarize(report, due.kind, corrections))

    def _attempt(
        self, key: DeliveryKey, due: Due, attempt_id: str, attempt: int, force: bool
    ) -> Result:
        announced = self.log.announced(due.day - timedelta(days=CORRECTION_WINDOW_DAYS), due.day)
        version = announced[due.day].version if due.day in announced else 1
        corrections = self._corrections(due, announced) if due.kind == DAILY else []
        rendered = render(self.client, due.day, [c.line() for c in corrections])
        summary = summarize(rendered.report, due.kind, corrections)
        root = self.settings.archive_dir
        archive.store(
            root, due.day, due.kind, version, summary.total, rendered.report.generated_at,
            rendered.html, rendered.pdf,
        )  # fmt: skip
        corrected = [(c, self._archive_correction(c, announced)) for c in corrections]
        status, msg_id, error = "archived", "", ""
        if self.recipients:
            domain = self.settings.smtp_from.rpartition("@")[2] or "localhost"
            nonce = attempt_id if force else ""
            msg_id = message_id(due.day, due.kind, version, key.recipients, domain, nonce)
            message = build_message(
                summary, rendered.pdf, self.settings.smtp_from, self.recipients, msg_id
            )
            # once more before it leaves: a competing claim may have been slower than CLAIM_SETTLE
            if not self._owns_settled(key, attempt_id, force):
                self.log.record(key, attempt_id, "yielded", attempt=attempt, forced=force)
                return Result(due, Outcome.BUSY, attempt)
            refused = self.mailer.send(message)
            status = "sent"
            if refused:
                error = "refused by the SMTP server: " + ", ".join(sorted(refused))
        self.log.record(
            key, attempt_id, status, attempt=attempt, forced=force, message_id=msg_id,
            day_total=summary.total, version=version, error=error,
        )  # fmt: skip
        for correction, new_version in corrected:
            self.log.record(
                DeliveryKey(correction.day, DAILY, key.recipients), attempt_id, "corrected",
                attempt=attempt, day_total=correction.after, version=new_version,
            )  # fmt: skip
        outcome = Outcome.SENT if status == "sent" else Outcome.ARCHIVED
        return Result(due, outcome, attempt, msg_id, error, summary.total, tuple(corrections))

    def _corrections(self, due: Due, announced: dict[date, Announced]) -> list[Correction]:
        earlier = sorted(day for day in announced if day < due.day)
        now = self.log.day_totals(earlier)
        return [
            Correction(day, announced[day].total, now[day])
            for day in earlier
            if now[day] != announced[day].total
        ]

    def _archive_correction(self, correction: Correction, announced: dict[date, Announced]) -> int:
        """The corrected day's report archived as its next version (the earlier one stays);
        that version."""
        version = announced[correction.day].version + 1
        note = (
            f"Versión {version}: corrige el total del día, de {correction.before} a "
            f"{correction.after} atenciones (datos recibidos después del envío)."
        )
        rendered = render(self.client, correction.day, [note])
        archive.store(
            self.settings.archive_dir, correction.day, DAILY, version, correction.after,
            rendered.report.generated_at, rendered.html, rendered.pdf,
        )  # fmt: skip
        return version


def _failures_since_done(steps: list[Step]) -> list[Step]:
    failures: list[Step] = []
    for step in steps:
        if step.status in DONE:
            failures = []
        elif step.status == "failed":
            failures.append(step)
    return failures


def _owns(steps: list[Step], attempt_id: str, now: datetime, force: bool) -> bool:
    """Whether attempt_id holds the claim: the earliest live claim, and (unless forced) nothing
    was delivered since it looked."""
    if not force and any(s.status in DONE for s in steps):
        return False
    ended = {s.attempt_id for s in steps if s.status != "claimed"}
    live = [
        s
        for s in steps
        if s.status == "claimed"
        and s.attempt_id not in ended
        and _utc(now) - _utc(s.recorded_at) < CLAIM_LEASE
    ]
    first = min(live, key=lambda s: (_utc(s.recorded_at), s.attempt_id), default=None)
    return first is not None and first.attempt_id == attempt_id


def _utc(instant: datetime) -> datetime:
    """ClickHouse's UTC columns may come back naive from the driver: they are UTC."""
    return instant if instant.tzinfo else instant.replace(tzinfo=UTC)


class ReportScheduler:
    """What the worker's leader runs every ATENCIONES_REPORT_CHECK_S: every report due, once."""

    def __init__(self, settings: Settings, connect: Callable[[], Client]) -> None:
        self.settings = settings
        self.connect = connect

    def tick(self, now: datetime) -> list[Result]:
        s = self.settings
        dues = due_reports(now, s.report_daily_at, s.report_cut_at, s.report_catchup_days)
        if not dues:
            return []
        try:
            client = self.connect()
        except DELIVERY_ERRORS as exc:
            return [Result(due, Outcome.FAILED, error=_one_line(exc)) for due in dues]
        try:
            deliverer = Deliverer(s, client)
            results = []
            for due in dues:
                try:
                    results.append(deliverer.deliver(due))
                except DELIVERY_ERRORS as exc:  # the log itself unreachable
                    results.append(Result(due, Outcome.FAILED, error=_one_line(exc)))
            return results
        finally:
            client.close()


def _one_line(exc: BaseException) -> str:
    return " ".join(f"{type(exc).__name__}: {exc}".split())[:500]
