"""A relevant case pre-filled from an incident alert: the place named from the catalogs, the
office that attended most, the summary in Spanish; what the alert cannot tell is named."""

from __future__ import annotations

from datetime import date

from atenciones.alert_case import case_fields_from_alert
from schemas.catalogs import get_catalogs
from tests.fixtures.alerts import alert_row


def alert(place: str, provider: str = "eps_grau") -> dict[str, object]:
    subtypes = {"falta_agua_zona": 7, "baja_presion": 2, "problemas_alcantarillado": 1}
    row = alert_row(provider, place, date(2024, 11, 8), 13, "open", subtypes)
    return row._asdict()


def test_a_named_district_fills_every_field_but_the_action() -> None:
    case = case_fields_from_alert(alert("200701"), "piura", get_catalogs())
    assert case.missing == []
    fields = case.fields
    assert (fields["office"], fields["region"], fields["province"], fields["district"]) == (
        "piura", "piura", "Talara", "Pariñas",
    )  # fmt: skip
    assert (fields["ubigeo"], fields["provider"]) == ("200701", "eps_grau")
    assert fields["summary"] == (
        "Alerta automática: 10 atenciones de falta de agua, baja presión, alcantarillado desde "
        "el 08/11/2024 08:00 (pico: 10 en 60 min, lo habitual 0,25). Casos: Falta de agua en la "
        "zona 7, Baja presión del agua 2, Problemas con alcantarillado 1. "
        "Canales: Telefónico 10."
    )
    assert (
        fields["source"]
        == "Alerta automática de incidentes (eps_grau|200701|2024-11-08T13:00:00+00:00)"
    )


def test_what_the_alert_cannot_tell_is_named() -> None:
    unnamed = case_fields_from_alert(alert("200799"), None, get_catalogs())
    assert unnamed.missing == ["--office", "--province", "--district"]
    assert unnamed.fields["region"] == "piura" and unnamed.fields["ubigeo"] == "200799"
    by_office = case_fields_from_alert(alert("ods:ica", "rural"), None, get_catalogs())
    assert by_office.missing == ["--province", "--district"]
    assert (by_office.fields["office"], by_office.fields["region"]) == ("ica", "ica")
    assert "provider" not in by_office.fields and "ubigeo" not in by_office.fields
