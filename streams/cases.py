"""Relevant-case updates built and sent: validated, then on the cases topic (the CLI's
`atenciones case`, atenciones/case_commands.py, decides what to send)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson
from kafka import KafkaProducer

from schemas.relevant_case import RelevantCase, validate_case
from schemas.timestamps import LIMA, format_rfc3339


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
