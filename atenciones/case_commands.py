"""`atenciones case open|update`: an ODS officer's relevant-case updates, sent as given: an
open carries the whole case, an update only what changed; the worker merges it into the case's
state and dead-letters an update of an unknown case or a second open (`unknown_case`,
`case_exists`). Nothing is read before sending; ClickHouse is asked afterwards, for warnings
only (another case with the same summary)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from kafka import KafkaProducer

from atenciones import arguments
from foundation.errors import one_line_error
from foundation.settings import Settings
from schemas.relevant_case import RelevantCase
from streams.cases import build_open, build_update, send_case

FIELDS = ("case_id", "office", "region", "province", "district", "ubigeo", "summary", "source",
          "action", "status", "affected_users", "provider")  # fmt: skip
FREE_TEXT = ("province", "district", "summary", "source", "action")


def open_case(producer: KafkaProducer, topic: str, fields: dict[str, Any]) -> RelevantCase:
    case = build_open(fields)
    send_case(producer, topic, case)
    return case


def update_case(
    producer: KafkaProducer, topic: str, case_id: str, changes: dict[str, Any]
) -> RelevantCase:
    case = build_update(case_id, changes)
    send_case(producer, topic, case)
    return case


def same_summary_warning(settings: Settings, case: RelevantCase) -> str | None:
    """A warning when other cases carry this summary (the hand-made report copied one case's
    description into another), or why it could not be checked."""
    from clickhouse import queries  # noqa: PLC0415
    from clickhouse.client import connect  # noqa: PLC0415

    if case.summary is None:
        return None
    try:
        client = connect(settings)
        try:
            others = queries.cases_with_same_summary(client, case.case_id, case.summary)
        finally:
            client.close()
    except Exception as exc:  # a warning only: the update is already sent
        return f"note: copied summaries not checked: {one_line_error(exc, settings)}"
    if not others:
        return None
    return (
        f"warning: the same summary is used by case(s) {', '.join(others)}: "
        "is it a copy-paste error?"
    )


REQUIRED_TO_OPEN = ("summary", "source", "office", "region", "province", "district")


def missing_to_open(fields: dict[str, Any]) -> list[str]:
    """The flags of the fields an open needs that `fields` lacks."""
    return [f"--{name.replace('_', '-')}" for name in REQUIRED_TO_OPEN if not fields.get(name)]


def prefill_from_alert(settings: Settings, alert_id: str) -> dict[str, Any]:
    """The case fields an alert tells (atenciones/alert_case.py); raises CaseInputError."""
    from atenciones.alert_case import case_fields_from_alert  # noqa: PLC0415
    from clickhouse import queries  # noqa: PLC0415
    from clickhouse.client import connect  # noqa: PLC0415
    from schemas.catalogs import get_catalogs  # noqa: PLC0415

    client = connect(settings)
    try:
        alert = queries.alert(client, alert_id)
        if alert is None:
            raise CaseInputError(f"no alert {alert_id!r} in ClickHouse (atenciones alerts list)")
        office = (
            None if alert["place"].startswith("ods:") else queries.alert_main_office(client, alert)
        )
    finally:
        client.close()
    return case_fields_from_alert(alert, office, get_catalogs()).fields


class CaseInputError(ValueError):
    """What the officer must give or fix (one line)."""


def case_fields(args: argparse.Namespace, settings: Settings) -> dict[str, Any]:
    """The flags given, over what --from-alert pre-fills; every field an open needs, or
    CaseInputError naming the missing flags."""
    given = {name: getattr(args, name, None) for name in FIELDS}
    if args.action_name != "open":
        return given
    alert_id = getattr(args, "from_alert", None)
    prefilled = prefill_from_alert(settings, alert_id) if alert_id else {}
    fields = {**prefilled, **{k: v for k, v in given.items() if v is not None}}
    if missing := missing_to_open(fields):
        raise CaseInputError(
            f"case open needs {', '.join(missing)} (alert {alert_id} does not name them)"
        )
    return fields


def check_case_arguments(args: argparse.Namespace) -> str | None:
    """An open needs its fields, or an alert to take them from (checked before any service)."""
    if args.action_name != "open" or getattr(args, "from_alert", None):
        return None
    if missing := missing_to_open(vars(args)):
        return f"case open needs {', '.join(missing)} (or --from-alert ALERT_ID)"
    return None


def cmd_case(args: argparse.Namespace, settings: Settings) -> int:
    from schemas.reasons import ContractError  # noqa: PLC0415

    try:
        fields = case_fields(args, settings)
    except CaseInputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    producer = KafkaProducer(bootstrap_servers=settings.kafka_bootstrap, acks="all")
    topic = settings.relevant_cases_topic
    try:
        if args.action_name == "open":
            given = {k: v for k, v in fields.items() if v is not None}  # defaults: the model's
            case = open_case(producer, topic, given)
        else:
            changes = {k: v for k, v in fields.items() if k != "case_id" and v is not None}
            case = update_case(producer, topic, args.case_id, changes)
    except ContractError as exc:
        print(f"error: {exc.reason.value}: {exc.message}", file=sys.stderr)
        return 1
    finally:
        producer.close()
    if getattr(args, "from_alert", None):
        print(f"pre-filled from alert {args.from_alert}: {case.district} ({case.province}), "
              f"office {case.office}; summary: {case.summary}")  # fmt: skip
    status = f", status {case.status}" if case.status else ""
    print(f"case {case.case_id}: {case.kind} sent, revision {case.revision}{status}")
    redacted = [
        name for name in FREE_TEXT
        if fields.get(name) is not None and getattr(case, name) != fields[name]
    ]  # fmt: skip
    if redacted:
        print(
            f"warning: personal data (names, documents, phones, e-mails) removed from: "
            f"{', '.join(redacted)}",
            file=sys.stderr,
        )
    if warning := same_summary_warning(settings, case):
        print(warning, file=sys.stderr)
    return 0


def add_case_parser(subcommands: Any) -> None:
    case = subcommands.add_parser("case", help="open or update a relevant case (ODS officers)")
    case_sub = case.add_subparsers(dest="action_name", required=True)
    opening = case_sub.add_parser("open", help="open a new case")
    updating = case_sub.add_parser("update", help="add an update (action, status) to a case")
    for parser_ in (opening, updating):
        parser_.add_argument("case_id", help="the case's id, e.g. ODS-PIU-2024-017")
        parser_.add_argument("--action", required=True, help="what Sunass did (this update)")
        parser_.add_argument("--status", choices=["PENDIENTE", "FINALIZADO"])
        parser_.add_argument("--summary", help="what happened (open: required)")
        parser_.add_argument("--source", help="e.g. Redes Sociales (open: required)")
        parser_.add_argument("--office", help="ODS code (open: required)")
        parser_.add_argument("--region", help="region code (open: required)")
        parser_.add_argument("--province", help="(open: required)")
        parser_.add_argument("--district", help="(open: required)")
        parser_.add_argument("--ubigeo", help="INEI ubigeo, 6 digits")
        parser_.add_argument("--affected-users", type=arguments.count)
        parser_.add_argument("--provider", help="EPS code")
    opening.add_argument(
        "--from-alert", metavar="ALERT_ID",
        help="pre-fill place, EPS, summary and source from an incident alert "
        "(atenciones alerts list); the flags given override it",
    )  # fmt: skip
    case.set_defaults(handler=cmd_case, check_arguments=check_case_arguments)
