"""When an attempt judges its claim: once the claim is CLAIM_SETTLE old by the server's clock,
and after a few looks at most (reports/delivery.py). The race itself, through a real ClickHouse:
tests/integration/test_report_delivery.py."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from typing import Any

from clickhouse.deliveries import DeliveryKey, Step
from foundation.settings import Settings
from reports.delivery import CLAIM_SETTLE, SETTLE_LOOKS, Deliverer

KEY = DeliveryKey(date(2026, 11, 30), "diario", "guardia@sunass.gob.pe")
NOW = datetime(2026, 12, 1, 5, 0, tzinfo=UTC)


def claim(attempt_id: str, at: datetime) -> Step:
    return Step(attempt_id, "claimed", 1, False, "", 0, 0, "", at)


class Log:
    """The delivery log at a fixed server time; each look may bring claims seen late."""

    def __init__(self, steps: list[Step], late: list[Step] | None = None) -> None:
        self.steps = steps
        self.late = late or []
        self.looks = 0

    def history(self, key: DeliveryKey) -> tuple[list[Step], datetime]:
        self.looks += 1
        if self.looks == 2:
            self.steps = sorted([*self.steps, *self.late], key=lambda s: s.recorded_at)
        return self.steps, NOW


class NoMail:
    def send(self, message: EmailMessage) -> dict[str, tuple[int, bytes]]:
        raise AssertionError("nothing is sent here")


def deliverer(log: Log) -> tuple[Deliverer, list[float]]:
    client: Any = None  # the log is replaced: no query reaches a server
    made = Deliverer(Settings(), client, NoMail())
    made.log = log  # type: ignore[assignment]
    pauses: list[float] = []
    made.pause = pauses.append
    return made, pauses


def test_a_claim_old_enough_is_judged_at_the_first_look() -> None:
    made, pauses = deliverer(Log([claim("mine", NOW - CLAIM_SETTLE)]))
    assert made._owns_settled(KEY, "mine", force=False)
    assert pauses == []


def test_a_young_claim_waits_and_an_earlier_claim_seen_late_wins() -> None:
    mine = claim("mine", NOW - timedelta(milliseconds=200))
    earlier = claim("other", NOW - timedelta(milliseconds=201))
    made, pauses = deliverer(Log([mine], late=[earlier]))
    assert not made._owns_settled(KEY, "mine", force=False)
    assert pauses[0] == (CLAIM_SETTLE - timedelta(milliseconds=200)).total_seconds()


def test_a_server_clock_set_back_holds_the_attempt_a_few_short_pauses_at_most() -> None:
    log = Log([claim("mine", NOW + timedelta(hours=1))])
    made, pauses = deliverer(log)
    assert made._owns_settled(KEY, "mine", force=False)
    assert log.looks == SETTLE_LOOKS
    assert pauses == [CLAIM_SETTLE.total_seconds()] * (SETTLE_LOOKS - 1)
