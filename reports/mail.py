"""The report's e-mail: a short Spanish summary (text and HTML), the PDF attached, sent over
SMTP (STARTTLS and authentication as configured)."""

from __future__ import annotations

import hashlib
import html
import smtplib
import ssl
from dataclasses import dataclass, field
from datetime import date
from email.message import EmailMessage
from email.utils import formatdate

from foundation.settings import Settings
from reports.model import DailyReport
from reports.schedule import CUT
from reports.spanish import day_month_year, thousands


@dataclass(frozen=True)
class Correction:
    """A day already reported whose total has changed since."""

    day: date
    before: int
    after: int

    def line(self) -> str:
        return (
            f"corrección: el día {day_month_year(self.day)} pasó de {thousands(self.before)} a "
            f"{thousands(self.after)} atenciones"
        )


@dataclass(frozen=True)
class Summary:
    """What the e-mail's body says of the report."""

    title: str
    day: date
    kind: str
    total: int
    by_case_type: list[tuple[str, int]]
    corrections: list[Correction] = field(default_factory=list)
    synthetic: bool = False
    alerts: list[str] = field(default_factory=list)  # one line per incident alert of the day


def summarize(report: DailyReport, kind: str, corrections: list[Correction]) -> Summary:
    """The day's total and its split by case type, read from the report's own tables."""
    by_type = report.section("resumen").table("tipos_dia")
    total = by_type.total[1] if by_type.total else sum(n for _, n in by_type.rows)
    title = report.title
    if kind == CUT:
        title = title.replace("Reporte diario", "Reporte al corte", 1)
    return Summary(
        title=title,
        day=date.fromisoformat(report.day),
        kind=kind,
        total=int(total),
        by_case_type=[(str(name), int(n)) for name, n in by_type.rows],
        corrections=corrections,
        synthetic=report.synthetic,
        alerts=alert_lines(report),
    )


def alert_lines(report: DailyReport) -> list[str]:
    """'ABIERTA: EPS GRAU S.A., Piura / Talara / Pariñas, desde 08/11 08:10; pico 9 en 60 min
    (lo habitual: 0,25)' for each row of the report's "Alertas del día"."""
    section = next((s for s in report.sections if s.id == "alertas"), None)
    if section is None or not section.tables:
        return []
    table = section.table("alertas_dia")
    column = {name: table.columns.index(name) for name in table.columns}
    return [
        f"{row[column['Estado']]}: {row[column['Prestador']]}, {row[column['Lugar']]}, "
        f"desde {row[column['Desde']]}; pico {row[column['Pico']]}"
        for row in table.rows
    ]


def message_id(  # noqa: PLR0917
    day: date, kind: str, version: int, recipients: str, domain: str, nonce: str
) -> str:
    """The same for every attempt of one delivery (nonce ""), so that a copy sent twice after a
    crash is recognised as one message by mail servers and clients; a forced re-send has its own
    (nonce: its attempt)."""
    digest = hashlib.sha256(recipients.encode()).hexdigest()[:12]
    tail = f".{nonce}" if nonce else ""
    return f"<atenciones.{day.isoformat()}.{kind}.v{version}.{digest}{tail}@{domain}>"


def body_text(summary: Summary) -> str:
    lines = [summary.title, ""]
    if summary.synthetic:
        lines += ["DATOS SINTÉTICOS DE DEMOSTRACIÓN (no son atenciones reales).", ""]
    lines.append(f"Total del día: {thousands(summary.total)} atenciones")
    lines.append("Por tipo de caso:")
    lines += [f"  - {name}: {thousands(n)}" for name, n in summary.by_case_type]
    if summary.alerts:
        lines += ["", f"Alertas de incidentes del día ({len(summary.alerts)}):"]
        lines += [f"  - {line}" for line in summary.alerts]
    if summary.corrections:
        lines.append("")
        lines += [c.line() for c in summary.corrections]
    lines += [
        "",
        "Se adjunta el reporte completo en PDF.",
        "Mensaje generado automáticamente por atenciones (Sunass, Dirección de Usuarios).",
    ]
    return "\n".join(lines) + "\n"


def body_html(summary: Summary) -> str:
    e = html.escape
    rows = "".join(
        f"<tr><td>{e(name)}</td><td style='text-align:right'>{thousands(n)}</td></tr>"
        for name, n in summary.by_case_type
    )
    corrections = "".join(f"<p><b>{e(c.line())}</b></p>" for c in summary.corrections)
    alerts = (
        f"<p><b>Alertas de incidentes del día ({len(summary.alerts)}):</b></p><ul>"
        + "".join(f"<li>{e(line)}</li>" for line in summary.alerts)
        + "</ul>"
        if summary.alerts
        else ""
    )
    synthetic = (
        "<p style='color:#b00'><b>DATOS SINTÉTICOS DE DEMOSTRACIÓN</b> (no son atenciones "
        "reales).</p>"
        if summary.synthetic
        else ""
    )
    return f"""<!doctype html>
<html lang="es"><body style="font-family:sans-serif;color:#1b2a3a">
<h2 style="color:#0b5394">{e(summary.title)}</h2>{synthetic}
<p style="font-size:1.3em">Total del día: <b>{thousands(summary.total)}</b> atenciones</p>
<table style="border-collapse:collapse" border="1" cellpadding="4">
<tr style="background:#0b5394;color:white"><th>Tipo de caso</th><th>N°</th></tr>{rows}
<tr><td><b>TOTAL</b></td><td style='text-align:right'><b>{thousands(summary.total)}</b></td></tr>
</table>{alerts}{corrections}
<p>Se adjunta el reporte completo en PDF.</p>
<p style="color:#667;font-size:.85em">Mensaje generado automáticamente por atenciones
(Sunass, Dirección de Usuarios).</p>
</body></html>
"""


def build_message(
    summary: Summary, pdf: bytes, sender: str, recipients: tuple[str, ...], msg_id: str
) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = summary.title
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = msg_id
    message.set_content(body_text(summary))
    message.add_alternative(body_html(summary), subtype="html")
    prefix = "reporte-corte" if summary.kind == CUT else "reporte-diario"
    message.add_attachment(
        pdf, maintype="application", subtype="pdf", filename=f"{prefix}-{summary.day}.pdf"
    )
    return message


class SmtpMailer:
    """Sends one message per call over a fresh connection (a report a day needs no pool)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def send(self, message: EmailMessage) -> dict[str, tuple[int, bytes]]:
        """The recipients the server refused (the others have the message); raises
        smtplib.SMTPException or OSError when nobody got it."""
        s = self.settings
        with smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout_s) as smtp:
            smtp.ehlo()
            if s.smtp_starttls:
                cafile = str(s.smtp_ca_file) if s.smtp_ca_file else None
                smtp.starttls(context=ssl.create_default_context(cafile=cafile))
                smtp.ehlo()
            if s.smtp_user:
                smtp.login(s.smtp_user, s.smtp_password.get_secret_value())
            return smtp.send_message(message)
