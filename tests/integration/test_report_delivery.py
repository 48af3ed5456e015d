"""The daily report delivered: archived and e-mailed once per day and recipient list, through a
real ClickHouse, a real SMTP server (aiosmtpd) and Chromium; and by the worker's leader."""

from __future__ import annotations

import os
import random
import smtplib
import ssl
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
from pydantic import SecretStr

from clickhouse.client import connect
from clickhouse.deliveries import COLUMNS as DELIVERY_COLUMNS
from clickhouse.deliveries import TABLE as DELIVERY_TABLE
from clickhouse.deliveries import DeliveryKey
from foundation.processes import BackgroundProcess, free_port, http_json, wait_until
from foundation.settings import REPO_ROOT, Settings
from local_stack.kafka import KafkaServer
from reports.delivery import CLAIM_SETTLE, Deliverer, Outcome, ReportScheduler
from reports.mail import SmtpMailer
from reports.schedule import CUT, DAILY, Due
from schemas.timestamps import LIMA, lima_today
from streams.producer import AttentionProducer
from streams.traffic_mix import TrafficMix
from tests.fixtures.demo_data import DAY, DemoPipeline
from tests.fixtures.pipeline import RunningPipeline, start_pipeline, start_worker
from tests.integration.smtp_sink import SmtpSink

# one xdist worker runs every test of the demo fixture (built once, ~50 s)
pytestmark = pytest.mark.xdist_group("demo")

TYPE_TOTALS = """
SELECT t.name, sum(d.attentions) FROM atenciones.daily_counts AS d
JOIN atenciones.catalog_case_types AS t ON t.code = d.case_type
WHERE d.day = {day:Date} GROUP BY t.name
"""


@pytest.fixture
def smtp() -> Iterator[SmtpSink]:
    sink = SmtpSink().start()
    yield sink
    sink.stop()


def settings_for(env: dict[str, str], smtp: SmtpSink, recipients: str, archive: Path) -> Settings:
    return Settings(
        clickhouse_http_port=int(env["ATENCIONES_CLICKHOUSE_HTTP_PORT"]),
        clickhouse_user=env["ATENCIONES_CLICKHOUSE_USER"],
        clickhouse_password=SecretStr(env["ATENCIONES_CLICKHOUSE_PASSWORD"]),
        report_recipients=recipients,
        report_archive_dir=archive,
        report_catchup_days=0,
        report_retry_s=1,
        smtp_host="127.0.0.1",
        smtp_port=smtp.port,
        smtp_starttls=False,
        smtp_from="atenciones@sunass.gob.pe",
    )


def steps(settings: Settings, day: date, recipients: str) -> list[str]:
    client = connect(settings)
    try:
        rows = client.query(
            "SELECT status FROM atenciones.report_deliveries WHERE day = {d:Date} "
            "AND recipients = {r:String} ORDER BY recorded_at",
            parameters={"d": day, "r": recipients},
        ).result_rows
    finally:
        client.close()
    return [row[0] for row in rows]


def text_of(message: EmailMessage) -> str:
    body = message.get_body(("plain",))
    assert body is not None
    return str(body.get_content())


def pdf_of(message: EmailMessage) -> bytes:
    [attachment] = list(message.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    content = attachment.get_content()
    assert isinstance(content, bytes)
    return content


def day_totals(settings: Settings, day: date) -> tuple[int, dict[str, int]]:
    """The day's total and split by case type, by SQL of the test's own (not the report's)."""
    client = connect(settings)
    try:
        rows = client.query(TYPE_TOTALS, parameters={"day": day}).result_rows
    finally:
        client.close()
    by_type = {name: int(n) for name, n in rows}
    return sum(by_type.values()), by_type


def test_the_scheduled_run_sends_one_message_with_the_pdf_and_the_summary(
    demo_pipeline: DemoPipeline, smtp: SmtpSink, tmp_path: Path
) -> None:
    settings = settings_for(demo_pipeline.env, smtp, "jefa@sunass.gob.pe", tmp_path)
    scheduler = ReportScheduler(settings, lambda: connect(settings))
    sent_on = DAY + timedelta(days=1)
    assert scheduler.tick(datetime.combine(sent_on, time(7, 59), LIMA)) == []
    [result] = scheduler.tick(datetime.combine(sent_on, time(8, 0, 30), LIMA))
    assert result.outcome is Outcome.SENT, result.describe()
    [message] = smtp.to("jefa@sunass.gob.pe")
    total, by_type = day_totals(settings, DAY)
    assert total > 400
    text = text_of(message)
    assert f"Total del día: {total:,} atenciones" in text
    for name, count in by_type.items():
        assert f"  - {name}: {count:,}" in text
    assert message["Subject"] == "Reporte diario de atención a usuarios al 08 de noviembre de 2024"
    assert message["Message-ID"] == result.message_id
    pdf = pdf_of(message)
    assert pdf.startswith(b"%PDF-") and b"/Type /Page" in pdf and len(pdf) > 20_000
    card = tmp_path / "2024" / "11" / "2024-11-08-diario"
    assert card.with_suffix(".pdf").read_bytes() == pdf
    assert "2024/11/2024-11-08-diario.pdf" in (tmp_path / "index.html").read_text()
    # Later looks, and a restarted scheduler, send nothing more.
    again = scheduler.tick(datetime.combine(sent_on, time(9), LIMA))
    assert [r.outcome for r in again] == [Outcome.ALREADY]
    restarted = ReportScheduler(settings, lambda: connect(settings))
    assert [r.outcome for r in restarted.tick(datetime.combine(sent_on, time(10), LIMA))] == [
        Outcome.ALREADY
    ]
    assert len(smtp.to("jefa@sunass.gob.pe")) == 1
    assert steps(settings, DAY, "jefa@sunass.gob.pe") == ["claimed", "sent"]


def test_two_senders_at_once_send_one_message(
    demo_pipeline: DemoPipeline, smtp: SmtpSink, tmp_path: Path
) -> None:
    settings = settings_for(demo_pipeline.env, smtp, "a@sunass.gob.pe,b@sunass.gob.pe", tmp_path)
    start = threading.Barrier(2)
    outcomes: list[Outcome] = []

    def send() -> None:
        client = connect(settings)
        try:
            start.wait()
            outcomes.append(Deliverer(settings, client).deliver(Due(DAY, DAILY)).outcome)
        finally:
            client.close()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert Outcome.SENT in outcomes and len(outcomes) == 2, outcomes
    assert outcomes.count(Outcome.SENT) == 1
    [message] = smtp.to("b@sunass.gob.pe")
    assert message["To"] == "a@sunass.gob.pe, b@sunass.gob.pe"
    # The cut of a day is a delivery of its own, with its own title and archive file.
    client = connect(settings)
    try:
        cut = Deliverer(settings, client).deliver(Due(DAY, CUT))
    finally:
        client.close()
    assert cut.outcome is Outcome.SENT, cut.describe()
    daily, cut_message = smtp.to("b@sunass.gob.pe")
    assert cut_message["Subject"].startswith("Reporte al corte de atención a usuarios")
    assert pdf_of(cut_message).startswith(b"%PDF-")
    assert (tmp_path / "2024" / "11" / "2024-11-08-corte.pdf").exists()
    assert daily["Message-ID"] != cut_message["Message-ID"]


def test_a_claim_stamped_earlier_but_visible_later_still_wins(
    demo_pipeline: DemoPipeline, smtp: SmtpSink, tmp_path: Path
) -> None:
    """A claim is stamped before its insert is visible: another sender's claim, stamped a
    millisecond before ours, can appear after our first look (two workers sent the same report
    so, 2026-12-01). Ours decides only once it has settled, sees the earlier claim, stands down."""
    recipients = "tarde@sunass.gob.pe"
    settings = settings_for(demo_pipeline.env, smtp, recipients, tmp_path)
    client = connect(settings)
    key = DeliveryKey(DAY, DAILY, recipients)
    deliverer = Deliverer(settings, client)
    looks: list[float] = []

    def the_earlier_claim_appears(seconds: float) -> None:
        looks.append(seconds)
        if len(looks) > 1:
            return  # the last of the bounded looks decides
        [mine] = deliverer.log.history(key)[0]
        earlier = mine.recorded_at - timedelta(milliseconds=1)
        row = [DAY, DAILY, recipients, "0" * 32, "claimed", 1, False, "", 0, 0, "", earlier]
        client.insert(DELIVERY_TABLE, [row], column_names=[*DELIVERY_COLUMNS, "recorded_at"])

    deliverer.pause = the_earlier_claim_appears
    try:
        result = deliverer.deliver(Due(DAY, DAILY))
    finally:
        client.close()
    assert looks and 0 < looks[0] <= CLAIM_SETTLE.total_seconds(), looks
    assert result.outcome is Outcome.BUSY, result.describe()
    assert smtp.to(recipients) == []
    assert steps(settings, DAY, recipients) == ["claimed", "claimed", "yielded"]


def test_an_smtp_outage_is_recorded_retried_and_a_forced_send_sends_again(
    demo_pipeline: DemoPipeline, tmp_path: Path
) -> None:
    smtp = SmtpSink()  # not started: the port refuses connections
    recipients = "mesa@sunass.gob.pe"
    settings = settings_for(demo_pipeline.env, smtp, recipients, tmp_path)
    scheduler = ReportScheduler(settings, lambda: connect(settings))
    at = datetime.combine(DAY + timedelta(days=1), time(8, 1), LIMA)
    [failed] = scheduler.tick(at)
    assert failed.outcome is Outcome.FAILED and "ConnectionRefusedError" in failed.error
    [waiting] = scheduler.tick(at)  # within the retry wait (1 s): not tried
    assert waiting.outcome is Outcome.WAITING
    smtp.start()
    try:
        results: list[Outcome] = []

        def retried() -> bool:
            results.append(scheduler.tick(at)[0].outcome)
            return results[-1] is Outcome.SENT

        wait_until(retried, 30, "the retried delivery")
        assert results.count(Outcome.FAILED) == 0  # the server was up: waits, then sent
        assert steps(settings, DAY, recipients) == ["claimed", "failed", "claimed", "sent"]
        [first] = smtp.to(recipients)

        env = {k: v for k, v in os.environ.items() if not k.startswith("ATENCIONES_")}
        env.update(
            ATENCIONES_CLICKHOUSE_HTTP_PORT=str(settings.clickhouse_http_port),
            ATENCIONES_CLICKHOUSE_USER=settings.clickhouse_user,
            ATENCIONES_CLICKHOUSE_PASSWORD=settings.clickhouse_password.get_secret_value(),
            ATENCIONES_REPORT_RECIPIENTS=recipients,
            ATENCIONES_REPORT_ARCHIVE_DIR=str(tmp_path),
            ATENCIONES_SMTP_HOST="127.0.0.1",
            ATENCIONES_SMTP_PORT=str(smtp.port),
            ATENCIONES_SMTP_STARTTLS="false",
            ATENCIONES_STATE_DIR=str(tmp_path / "state"),
        )

        def cli(*args: str) -> subprocess.CompletedProcess[str]:
            argv = [sys.executable, "-m", "atenciones.cli", "report", *args]
            return subprocess.run(
                argv, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300,
                check=False,
            )  # fmt: skip

        again = cli("send", "--date", DAY.isoformat())
        assert again.returncode == 0 and "already delivered" in again.stdout, again
        assert len(smtp.to(recipients)) == 1
        forced = cli("send", "--date", DAY.isoformat(), "--force")
        assert forced.returncode == 0 and "sent" in forced.stdout, forced
        _, second = smtp.to(recipients)
        assert second["Message-ID"] != first["Message-ID"]
        assert text_of(second) == text_of(first)
        picture = tmp_path / "correo.png"
        preview = cli("mail-preview", "--date", DAY.isoformat(), "--out", str(picture))
        assert preview.returncode == 0, preview
        assert picture.read_bytes().startswith(b"\x89PNG")
        assert len(smtp.to(recipients)) == 2  # a preview sends nothing
        listed = cli("archive")
        assert listed.returncode == 0 and "1 reports listed" in listed.stdout, listed
        future = cli("send", "--date", (lima_today() + timedelta(days=2)).isoformat())
        assert future.returncode == 1 and "is in the future" in future.stderr
    finally:
        smtp.stop()


@pytest.fixture(scope="module")
def pipeline(
    kafka: KafkaServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningPipeline]:
    running = start_pipeline(kafka, tmp_path_factory.mktemp("delivery"), "delivery")
    yield running
    running.stop()


def publish(kafka: KafkaServer, topic: str, day: date, count: int, tag: str) -> None:
    mix = TrafficMix(random.Random(tag))
    noon = datetime.combine(day, time(12), LIMA).astimezone(UTC)
    events = [mix.event(noon + timedelta(minutes=i), f"{tag}-{i}") for i in range(count)]
    with AttentionProducer(kafka.bootstrap, topic) as producer:
        producer.publish(events)


def wait_counted(settings: Settings, day: date, total: int) -> None:
    wait_until(lambda: day_totals(settings, day)[0] == total, 90, f"{total} attentions on {day}")


def test_a_late_attention_is_announced_as_a_correction_and_archived_as_a_new_version(
    kafka: KafkaServer, pipeline: RunningPipeline, smtp: SmtpSink, tmp_path: Path
) -> None:
    settings = settings_for(pipeline.env, smtp, "jefa@sunass.gob.pe", tmp_path)
    day = date(2025, 3, 10)
    publish(kafka, pipeline.settings.attentions_topic, day, 12, "before")
    wait_counted(settings, day, 12)
    client = connect(settings)
    try:
        deliverer = Deliverer(settings, client)
        assert deliverer.deliver(Due(day, DAILY)).outcome is Outcome.SENT
        publish(kafka, pipeline.settings.attentions_topic, day, 3, "late")
        wait_counted(settings, day, 15)
        next_day = deliverer.deliver(Due(day + timedelta(days=1), DAILY))
        assert next_day.outcome is Outcome.SENT, next_day.describe()
        following = deliverer.deliver(Due(day + timedelta(days=2), DAILY))
    finally:
        client.close()
    first, second, third = smtp.to("jefa@sunass.gob.pe")
    line = "corrección: el día 10 de marzo de 2025 pasó de 12 a 15 atenciones"
    assert line not in text_of(first)
    assert line in text_of(second)
    assert "corrección" not in text_of(third)  # said once
    assert following.corrections == ()
    month = tmp_path / "2025" / "03"
    assert (month / "2025-03-10-diario.pdf").exists() and (
        month / "2025-03-10-diario-v2.pdf"
    ).exists()
    cards = {p.name: p.read_text() for p in month.glob("2025-03-10-*.json")}
    assert '"total": 12' in cards["2025-03-10-diario.json"]
    assert '"total": 15' in cards["2025-03-10-diario-v2.json"]


def test_the_workers_leader_sends_once_and_a_restart_sends_nothing_more(
    kafka: KafkaServer, pipeline: RunningPipeline, smtp: SmtpSink, tmp_path: Path
) -> None:
    yesterday = lima_today() - timedelta(days=1)
    recipients = "guardia@sunass.gob.pe"
    settings = settings_for(pipeline.env, smtp, recipients, tmp_path)
    publish(kafka, pipeline.settings.attentions_topic, yesterday, 5, "yesterday")
    wait_counted(settings, yesterday, 5)
    report_env = {
        **pipeline.env,
        "ATENCIONES_REPORT_SCHEDULE": "true",
        "ATENCIONES_REPORT_DAILY_AT": "00:00",  # yesterday's report is due whenever this runs
        "ATENCIONES_REPORT_CATCHUP_DAYS": "0",
        "ATENCIONES_REPORT_CHECK_S": "1",
        "ATENCIONES_REPORT_RECIPIENTS": recipients,
        "ATENCIONES_REPORT_ARCHIVE_DIR": str(tmp_path / "archive"),
        "ATENCIONES_SMTP_HOST": "127.0.0.1",
        "ATENCIONES_SMTP_PORT": str(smtp.port),
        "ATENCIONES_SMTP_STARTTLS": "false",
    }
    pipeline.worker.stop(timeout=30)
    ports = [free_port(), free_port()]
    urls = [f"http://127.0.0.1:{port}/health" for port in ports]

    def start(n: int) -> BackgroundProcess:
        port = {"ATENCIONES_WORKER_WEB_PORT": str(ports[n])}
        return start_worker(kafka, tmp_path / f"w{n}", **{**report_env, **port})

    workers = [start(0), start(1)]
    try:
        wait_until(lambda: len(smtp.to(recipients)) >= 1, 180, "the scheduled report")
        checks = _report_checks(urls)
        wait_until(lambda: _report_checks(urls) >= checks + 3, 60, "three more looks")
        [message] = smtp.to(recipients)
        assert "Total del día: 5 atenciones" in text_of(message)
        assert pdf_of(message).startswith(b"%PDF-")
        for worker in workers:
            worker.stop(timeout=30)
        workers = [start(0)]
        wait_until(lambda: _report_checks(urls[:1]) >= 3, 120, "looks after the restart")
        assert len(smtp.to(recipients)) == 1
        assert steps(settings, yesterday, recipients).count("sent") == 1
    finally:
        for worker in workers:
            worker.stop(timeout=30)
        pipeline.worker = start_worker(kafka, pipeline.worker.pid_file.parent, **pipeline.env)


def _report_checks(urls: list[str]) -> int:
    total = 0
    for url in urls:
        code, body = http_json(url)
        if code is not None:
            total += int(body.get("report_checks", 0))
    return total


def test_starttls_and_authentication_as_configured(tmp_path: Path) -> None:
    smtp = SmtpSink(login=("reportes", "s3creto"))
    ca_file = smtp.self_signed(tmp_path)
    smtp.start()
    try:
        good = Settings(
            smtp_host="127.0.0.1", smtp_port=smtp.port, smtp_starttls=True, smtp_ca_file=ca_file,
            smtp_user="reportes", smtp_password=SecretStr("s3creto"),
        )  # fmt: skip
        message = EmailMessage()
        message["Subject"], message["From"], message["To"] = "prueba", "a@x.pe", "b@x.pe"
        message.set_content("hola")
        assert SmtpMailer(good).send(message) == {}
        [received] = smtp.to("b@x.pe")
        assert received["Subject"] == "prueba"
        wrong = good.model_copy(update={"smtp_password": SecretStr("otra")})
        with pytest.raises(smtplib.SMTPAuthenticationError):
            SmtpMailer(wrong).send(message)
        plain = good.model_copy(update={"smtp_starttls": False})
        with pytest.raises(smtplib.SMTPException):  # the server requires STARTTLS first
            SmtpMailer(plain).send(message)
        untrusted = good.model_copy(update={"smtp_ca_file": None})
        with pytest.raises(ssl.SSLCertVerificationError):
            SmtpMailer(untrusted).send(message)
        assert len(smtp.to("b@x.pe")) == 1
    finally:
        smtp.stop()


def test_an_unreachable_clickhouse_is_a_failed_look_not_a_crash(smtp: SmtpSink) -> None:
    settings = Settings(
        clickhouse_http_port=free_port(), report_recipients="a@x.pe", smtp_host="127.0.0.1",
        smtp_port=smtp.port, report_catchup_days=1,
    )  # fmt: skip
    scheduler = ReportScheduler(settings, lambda: connect(settings))
    results = scheduler.tick(datetime(2026, 11, 30, 9, tzinfo=LIMA))
    assert [r.due.day for r in results] == [date(2026, 11, 28), date(2026, 11, 29)]
    assert all(r.outcome is Outcome.FAILED and r.failing for r in results)
    assert all("Connection refused" in r.error or "refused" in r.error.lower() for r in results)
    assert smtp.received == []
