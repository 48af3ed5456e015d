"""Opening and updating relevant cases: what an ODS officer's CLI does (validated, then sent)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from clickhouse_connect.driver.client import Client
from kafka import KafkaProducer

from clickhouse import queries
from schemas.reasons import ContractError, Reason
from schemas.relevant_case import RelevantCase, validate_case
from schemas.timestamps import LIMA, format_rfc3339


@dataclass
class CaseResult:
    case: RelevantCase
    same_summary: list[str]  # other cases with the same summary text: probably a copy-paste error


def revision_for(moment: datetime) -> int:
    """Revisions are the update's time in milliseconds: always increasing, no read needed."""
    return int(moment.timestamp() * 1000)


def build_open(fields: dict[str, Any], now: datetime | None = None) -> RelevantCase:
    moment = now or datetime.now(tz=LIMA)
    event = {
        "revision": revision_for(moment),
        "reported_at": format_rfc3339(moment),
        "status": "PENDIENTE",
        **fields,
    }
    return validate_case({k: v for k, v in event.items() if v is not None})


def build_update(
    state: dict[str, Any], changes: dict[str, Any], now: datetime | None = None
) -> RelevantCase:
    moment = now or datetime.now(tz=LIMA)
    keep = (
        "case_id",
        "office",
        "region",
        "province",
        "district",
        "ubigeo",
        "summary",
        "source",
        "status",
        "affected_users",
        "provider",
    )
    event: dict[str, Any] = {k: state[k] for k in keep if state.get(k) not in (None, "")}
    event.update({k: v for k, v in changes.items() if v is not None})
    revision = max(revision_for(moment), int(state["latest_revision"]) + 1)
    event.update(revision=revision, reported_at=format_rfc3339(moment))
    return validate_case(event)


def send_case(producer: KafkaProducer, topic: str, case: RelevantCase) -> None:
    value = orjson.dumps(case.model_dump(mode="json", exclude_none=True))
    producer.send(topic, key=case.case_id.encode(), value=value).get(timeout=30)


def open_case(
    client: Client, producer: KafkaProducer, topic: str, fields: dict[str, Any]
) -> CaseResult:
    if queries.case_state(client, fields["case_id"]) is not None:
        raise ContractError(Reason.INVALID_CASE_ID, f"case {fields['case_id']} already exists")
    case = build_open(fields)
    send_case(producer, topic, case)
    return CaseResult(case, queries.cases_with_same_summary(client, case.case_id, case.summary))


def update_case(
    client: Client, producer: KafkaProducer, topic: str, case_id: str, changes: dict[str, Any]
) -> CaseResult:
    state = queries.case_state(client, case_id)
    if state is None:
        raise ContractError(Reason.INVALID_CASE_ID, f"unknown case {case_id} (or not counted yet)")
    case = build_update(state, changes)
    send_case(producer, topic, case)
    return CaseResult(case, queries.cases_with_same_summary(client, case.case_id, case.summary))
