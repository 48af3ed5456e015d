"""The relevant-case contract: valid updates pass, each bad class is rejected with its reason."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
import pytest

from schemas.reasons import ContractError, Reason
from schemas.relevant_case import decode_case
from streams.cases import build_open, build_update

NOW = datetime(2024, 11, 9, tzinfo=UTC)
CASE: dict[str, Any] = {
    "case_id": "ODS-PIU-2024-0411",
    "revision": 3,
    "reported_at": "2024-11-08T16:00:00-05:00",
    "office": "piura",
    "region": "piura",
    "province": "Talara",
    "district": "Pariñas",
    "summary": "Fuga en el eje Paita-Talara; servicio restringido en Talara.",
    "source": "Redes Sociales",
    "action": "La ODS Piura monitoreó la reparación de la tubería.",
    "status": "PENDIENTE",
}


def decode(case: dict[str, Any], key: bytes | None = None) -> Any:
    return decode_case(key or str(case.get("case_id")).encode(), orjson.dumps(case), now=NOW)


def test_a_valid_update_decodes() -> None:
    assert decode(CASE).status == "PENDIENTE"


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"case_id": "bad id!"}, Reason.INVALID_CASE_ID),
        ({"status": "CERRADO"}, Reason.INVALID_STATUS),
        ({"summary": "corto"}, Reason.INVALID_TEXT),
        ({"action": "x" * 5000}, Reason.INVALID_TEXT),
        ({"region": "atlantida"}, Reason.UNKNOWN_REGION),
        ({"office": "x"}, Reason.UNKNOWN_OFFICE),
        ({"provider": "x"}, Reason.UNKNOWN_PROVIDER),
        ({"reported_at": "2024-11-08T16:00:00"}, Reason.NAIVE_TIMESTAMP),
        ({"revision": -1}, Reason.NEGATIVE_REVISION),
        ({"citizen_name": "Juan"}, Reason.UNKNOWN_FIELD),
        ({"ubigeo": "Talara"}, Reason.INVALID_DISTRICT),
    ],
)
def test_bad_updates_are_rejected_with_their_reason(
    changes: dict[str, Any], reason: Reason
) -> None:
    with pytest.raises(ContractError) as caught:
        decode({**CASE, **changes})
    assert caught.value.reason is reason


def test_key_must_be_the_case_id() -> None:
    with pytest.raises(ContractError) as caught:
        decode(CASE, key=b"other")
    assert caught.value.reason is Reason.KEY_MISMATCH


def test_updates_keep_the_case_and_raise_the_revision() -> None:
    opened = build_open(
        {k: v for k, v in CASE.items() if k not in ("revision", "reported_at", "status")}, now=NOW
    )
    assert opened.status == "PENDIENTE"
    state = {**opened.model_dump(), "latest_revision": opened.revision}
    later = datetime(2024, 11, 10, tzinfo=UTC)
    update = build_update(
        state, {"action": "Se verificó la reparación.", "status": "FINALIZADO"}, now=later
    )
    assert update.revision > opened.revision and update.status == "FINALIZADO"
    assert (update.summary, update.region, update.district) == (opened.summary, "piura", "Pariñas")


@pytest.mark.parametrize(
    "hidden", ["\x00", "\u202e", "\u200b", "\ufeff", "\x1b[31m", "\u2066"], ids=repr
)
def test_control_invisible_and_direction_characters_are_refused(hidden: str) -> None:
    case = {**CASE, "summary": f"Corte de agua en Talara {hidden}por rotura."}
    with pytest.raises(ContractError) as caught:
        decode(case)
    assert caught.value.reason is Reason.INVALID_TEXT
    assert "U+" in caught.value.message
