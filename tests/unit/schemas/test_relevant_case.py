"""The relevant-case contract: valid updates pass, each bad class is rejected with its reason."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
import pytest

from schemas.reasons import ContractError, Reason
from schemas.relevant_case import case_from_state, decode_case, merge
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


def test_an_update_gives_only_what_changed_and_the_worker_merges_it() -> None:
    opened = build_open(
        {k: v for k, v in CASE.items() if k not in ("revision", "reported_at", "status")}, now=NOW
    )
    assert (opened.kind, opened.status) == ("open", "PENDIENTE")
    later = datetime(2024, 11, 10, tzinfo=UTC)
    update = build_update(
        CASE["case_id"], {"action": "Se verificó la reparación.", "status": "FINALIZADO"}, now=later
    )
    assert update.kind == "update" and update.revision > opened.revision
    assert (update.summary, update.region, update.office) == (None, None, None)
    case = merge(merge(None, opened), update)
    assert case.kind is None and case.revision == update.revision
    assert (case.status, case.action) == ("FINALIZADO", "Se verificó la reparación.")
    assert (case.summary, case.region, case.district) == (opened.summary, "piura", "Pariñas")
    assert case.reported_at == later
    # what the worker keeps and reads back is the same case
    assert case_from_state(case.model_dump(mode="json", exclude_none=True)) == case


def test_an_update_of_an_unknown_case_and_a_second_open_are_refused() -> None:
    opened = build_open({k: v for k, v in CASE.items() if k not in ("revision", "reported_at")})
    update = build_update("ODS-NUNCA-1", {"action": "Se verificó la reparación."})
    with pytest.raises(ContractError) as unknown:
        merge(None, update)
    assert unknown.value.reason is Reason.UNKNOWN_CASE
    with pytest.raises(ContractError) as exists:
        merge(merge(None, opened), opened)
    assert exists.value.reason is Reason.CASE_EXISTS


def test_a_whole_case_replaces_the_last_state_and_an_update_needs_no_place() -> None:
    whole = decode(CASE)
    assert whole.kind is None and merge(None, whole) == whole
    assert merge(whole, decode({**CASE, "revision": 4, "status": "FINALIZADO"})).status == (
        "FINALIZADO"
    )
    partial = {
        "case_id": CASE["case_id"], "kind": "update", "revision": 5,
        "reported_at": CASE["reported_at"], "action": "Se cerró la válvula de purga.",
    }  # fmt: skip
    assert decode(partial).office is None
    with pytest.raises(ContractError) as missing:
        decode({k: v for k, v in partial.items() if k != "kind"})
    assert missing.value.reason is Reason.MISSING_FIELD
    assert "required unless kind is" in missing.value.message


@pytest.mark.parametrize(
    "hidden", ["\x00", "\u202e", "\u200b", "\ufeff", "\x1b[31m", "\u2066"], ids=repr
)
def test_control_invisible_and_direction_characters_are_refused(hidden: str) -> None:
    case = {**CASE, "summary": f"Corte de agua en Talara {hidden}por rotura."}
    with pytest.raises(ContractError) as caught:
        decode(case)
    assert caught.value.reason is Reason.INVALID_TEXT
    assert "U+" in caught.value.message
