"""`atenciones case open ID --from-alert ALERT`: a relevant case pre-filled from an incident alert
(where, which EPS, what the citizens reported and since when); the officer adds the action and may
override any field. Pure: the alert (a row of atenciones.alerts) and the office that attended most
of its attentions in, the case's fields out."""

from __future__ import annotations

from typing import Any, NamedTuple

from schemas.catalogs import Catalogs
from schemas.timestamps import LIMA

FAILURE_KINDS = {
    "water_supply": "falta de agua",
    "pressure": "baja presión",
    "quality": "calidad del agua",
    "sewage": "alcantarillado",
    "break": "roturas y fugas",
}


class AlertCase(NamedTuple):
    fields: dict[str, Any]  # what the alert tells
    missing: list[str]  # the flags the officer must give (the alert cannot name them)


def case_fields_from_alert(
    alert: dict[str, Any], main_office: str | None, catalogs: Catalogs
) -> AlertCase:
    """The fields of a case open (office, region, province, district, ubigeo, provider, summary,
    source) that the alert tells, and the required ones it cannot."""
    place: str = alert["place"]
    fields: dict[str, Any] = {
        "summary": alert_summary(alert, catalogs),
        "source": f"Alerta automática de incidentes ({alert['alert_id']})",
    }
    if alert["provider"] in {a.code for a in catalogs.provider_areas}:
        fields["provider"] = alert["provider"]
    office = catalogs.offices.get(place.removeprefix("ods:") if place.startswith("ods:") else "")
    office = office or catalogs.offices.get(main_office or "")
    if office is not None:
        fields.update(office=office.code, region=office.region)
    if not place.startswith("ods:"):
        fields["ubigeo"] = place
        region = catalogs.region_of_ubigeo(place)
        if region is not None:
            fields["region"] = region.code
        names = catalogs.place_names(place)
        if names is not None:
            fields.update(province=names[1], district=names[2])
    required = ("office", "region", "province", "district")
    return AlertCase(fields, [f"--{name}" for name in required if name not in fields])


def alert_summary(alert: dict[str, Any], catalogs: Catalogs) -> str:
    """'Alerta automática: 13 atenciones de falta de agua, baja presión desde el 08/11/2024 08:10
    (pico: 9 en 60 min, lo habitual 0,25). Casos: Falta de agua en la zona 7, ... Canales: ...'"""
    kinds = []
    for code in sorted(alert["subtypes"], key=lambda c: -alert["subtypes"][c]):
        subtype = catalogs.case_subtypes.get(code)
        kind = FAILURE_KINDS.get(subtype.service_failure, "") if subtype else ""
        if kind and kind not in kinds:
            kinds.append(kind)
    since = alert["window_start"].astimezone(LIMA).strftime("%d/%m/%Y %H:%M")
    expected = f"{alert['peak_expected']:.2f}".replace(".", ",")
    return (
        f"Alerta automática: {alert['attentions']} atenciones de {', '.join(kinds) or 'fallas'} "
        f"desde el {since} (pico: {alert['peak_count']} en {alert['peak_minutes']} min, "
        f"lo habitual {expected}). Casos: {_counts(alert['subtypes'], catalogs, 'subtype')}. "
        f"Canales: {_counts(alert['channels'], catalogs, 'channel')}."
    )


def _counts(counts: dict[str, int], catalogs: Catalogs, what: str) -> str:
    names = catalogs.case_subtypes if what == "subtype" else catalogs.channels
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return ", ".join(
        f"{names[code].name if code in names else code} {count}" for code, count in ordered
    )
