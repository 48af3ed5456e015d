"""Relevant-case updates built and sent: validated, then on the cases topic. An update carries
only what changed; the worker merges it into the case (schemas/relevant_case.merge)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson
from kafka import KafkaProducer

from schemas.relevant_case import OPEN, UPDATE, RelevantCase, validate_case
from schemas.timestamps import LIMA, format_rfc3339


def revision_for(moment: datetime) -> int:
    """Revisions are the update's time in milliseconds: always increasing, no read needed."""
    return int(moment.timestamp() * 1000)


def build_open(fields: dict[str, Any], now: datetime | None = None) -> RelevantCase:
    """A new case, whole (kind "open": the worker refuses it if the case exists)."""
    moment = now or datetime.now(tz=LIMA)
    event = {
        "kind": OPEN,
        "revision": revision_for(moment),
        "reported_at": format_rfc3339(moment),
        "status": "PENDIENTE",
        **fields,
    }
    return validate_case({k: v for k, v in event.items() if v is not None})


def build_update(
    case_id: str, changes: dict[str, Any], now: datetime | None = None
) -> RelevantCase:
    """Only what changed, with the action (kind "update"): the worker keeps the rest from the
    case's last state, so nothing is read before sending."""
    moment = now or datetime.now(tz=LIMA)
    event = {
        **{k: v for k, v in changes.items() if v is not None},
        "kind": UPDATE,
        "case_id": case_id,
        "revision": revision_for(moment),
        "reported_at": format_rfc3339(moment),
    }
    return validate_case(event)


def send_case(producer: KafkaProducer, topic: str, case: RelevantCase) -> None:
    value = orjson.dumps(case.model_dump(mode="json", exclude_none=True))
    producer.send(topic, key=case.case_id.encode(), value=value).get(timeout=30)
