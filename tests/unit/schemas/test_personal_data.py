"""Redaction of citizens' personal data in free text: each kind found, officials' names and the
seed's own texts untouched, and the relevant-case contract applies it on validation."""

from __future__ import annotations

import pytest

from demo.cases import seed_case_events
from demo.load import SEED_REPORT
from schemas.personal_data import redact
from schemas.relevant_case import validate_case


@pytest.mark.parametrize(
    ("text", "expected", "kind"),
    [
        ("escribió a rosa.perez@gmail.com ayer", "escribió a [correo] ayer", "email"),
        ("con DNI 45678912 se registró", "con [documento] se registró", "document"),
        ("DNI N° 12.345.678", "[documento]", "document"),
        ("carné de extranjería 001234567", "[documento]", "document"),
        ("código 45678912.", "código [documento].", "document"),
        ("llamó al 987654321", "llamó al [teléfono]", "phone"),
        ("llamó al +51 987 654 321", "llamó al [teléfono]", "phone"),
        ("fijo (01) 234-5678", "fijo [teléfono]", "phone"),
        ("la usuaria Rosa María Pérez llamó", "la usuaria [nombre] llamó", "name"),
        ("el Sr. Juan de la Cruz", "el Sr. [nombre]", "name"),
        ("nombre: Ana Torres", "nombre: [nombre]", "name"),
    ],
)
def test_each_kind_is_redacted(text: str, expected: str, kind: str) -> None:
    result = redact(text)
    assert result.text == expected
    assert result.found[kind] == 1


@pytest.mark.parametrize(
    "text",
    [
        "el coordinador de la EPS EMAPAVIGS, Alfredo Rodríguez, informó",  # an official
        "mañana 09.11.24 paralizarán de 6 a.m. a 4 p.m.",
        "afectó a unos 200 usuarios en la calle 35",
        "Vecinos del distrito de Belén reportaron un aniego",
        "se verificó la salida de 21 cisternas",
    ],
)
def test_ordinary_text_is_kept(text: str) -> None:
    assert redact(text).text == text


def test_the_seed_cases_are_not_changed() -> None:
    for event in seed_case_events(SEED_REPORT):
        for name in ("summary", "action", "source", "province", "district"):
            assert redact(event[name]).found == {}, (event["case_id"], name)


def test_the_relevant_case_contract_redacts_free_text() -> None:
    event = seed_case_events(SEED_REPORT)[0]
    case = validate_case(
        {**event, "summary": "La ciudadana Rosa Quispe (DNI 45678912) reporta fuga en su calle."}
    )
    assert case.summary == "La ciudadana [nombre] ([documento]) reporta fuga en su calle."
