"""The report's e-mail: summary, Message-ID, attachment (no server needed)."""

from __future__ import annotations

from datetime import date
from email import message_from_bytes, policy

from reports.mail import Correction, build_message, message_id, summarize
from reports.model import DailyReport, Section, Table


def report(types: list[tuple[str, int]], synthetic: bool = False) -> DailyReport:
    total = sum(n for _, n in types)
    table = Table("tipos_dia", "Por tipo de casos", ["Tipo", "N°"], [list(t) for t in types],
                  ["TOTAL", total])  # fmt: skip
    return DailyReport(
        title="Reporte diario de atención a usuarios al 29 de noviembre de 2026",
        day="2026-11-29",
        generated_at="2026-11-30T08:00:01-05:00",
        data_up_to="2026-11-29",
        synthetic=synthetic,
        sections=[Section("resumen", "N° Atenciones", tables=[table])],
    )


def test_summary_reads_the_reports_own_tables() -> None:
    summary = summarize(report([("Comercial", 1200), ("Operacional", 34)]), "diario", [])
    assert summary.total == 1234
    assert summary.by_case_type == [("Comercial", 1200), ("Operacional", 34)]
    cut = summarize(report([("Comercial", 5)]), "corte", [])
    assert cut.title.startswith("Reporte al corte de atención a usuarios")


def test_correction_line_in_spanish() -> None:
    line = Correction(date(2026, 11, 28), 1450, 1452).line()
    assert line == "corrección: el día 28 de noviembre de 2026 pasó de 1,450 a 1,452 atenciones"


def test_message_has_both_bodies_and_the_pdf() -> None:
    correction = Correction(date(2026, 11, 28), 10, 12)
    summary = summarize(report([("Comercial", 7), ("Operacional", 3)]), "diario", [correction])
    pdf = b"%PDF-1.4 fake"
    msg_id = message_id(date(2026, 11, 29), "diario", 1, "a@x.pe,b@x.pe", "sunass.gob.pe", "")
    message = build_message(summary, pdf, "atenciones@sunass.gob.pe", ("a@x.pe", "b@x.pe"), msg_id)
    parsed = message_from_bytes(message.as_bytes(), policy=policy.default)
    assert parsed["To"] == "a@x.pe, b@x.pe"
    assert parsed["Message-ID"] == msg_id
    text = parsed.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "Total del día: 10 atenciones" in text
    assert "  - Comercial: 7" in text
    assert correction.line() in text
    html = parsed.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert "<b>10</b>" in html and correction.line() in html
    [attachment] = list(parsed.iter_attachments())  # type: ignore[attr-defined]
    assert attachment.get_filename() == "reporte-diario-2026-11-29.pdf"
    assert attachment.get_content() == pdf


def test_message_id_is_stable_per_delivery_and_new_when_forced() -> None:
    day = date(2026, 11, 29)
    first = message_id(day, "diario", 1, "a@x.pe", "x.pe", "")
    assert first == message_id(day, "diario", 1, "a@x.pe", "x.pe", "")
    assert first != message_id(day, "diario", 1, "b@x.pe", "x.pe", "")
    assert first != message_id(day, "diario", 2, "a@x.pe", "x.pe", "")
    assert first != message_id(day, "diario", 1, "a@x.pe", "x.pe", "f00d")
    assert first.startswith("<atenciones.2026-11-29.diario.v1.") and first.endswith("@x.pe>")


def test_synthetic_data_is_said_in_the_body() -> None:
    summary = summarize(report([("Comercial", 1)], synthetic=True), "diario", [])
    message = build_message(summary, b"%PDF", "a@x.pe", ("a@x.pe",), "<m@x.pe>")
    assert "DATOS SINTÉTICOS" in message.get_body(("plain",)).get_content()  # type: ignore[union-attr]


def test_the_days_alerts_are_listed_in_both_bodies() -> None:
    alerts = Table(
        "alertas_dia", "Alertas del día",
        ["Estado", "Prestador", "Lugar", "Desde", "Alerta", "Cierre", "Pico", "Casos"],
        [["ABIERTA", "EPS GRAU S.A.", "Piura / Talara / Pariñas", "08/11 08:00", "08:30", "",
          "6 en 60 min (lo habitual: 0,25)", "Falta de agua en la zona (6)"]],
    )  # fmt: skip
    with_alerts = report([("Operacional", 6)])
    with_alerts.sections.append(Section("alertas", "Alertas del día", tables=[alerts]))
    summary = summarize(with_alerts, "diario", [])
    line = (
        "ABIERTA: EPS GRAU S.A., Piura / Talara / Pariñas, desde 08/11 08:00; "
        "pico 6 en 60 min (lo habitual: 0,25)"
    )
    assert summary.alerts == [line]
    message = build_message(summary, b"%PDF", "a@x.pe", ("a@x.pe",), "<m@x.pe>")
    text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert f"Alertas de incidentes del día (1):\n  - {line}" in text
    html = message.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert f"<li>{line}</li>" in html
    assert summarize(report([("Operacional", 6)]), "diario", []).alerts == []
