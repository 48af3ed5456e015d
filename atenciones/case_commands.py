"""`atenciones case open|update`: an ODS officer's relevant-case updates. The CLI reads the
case's current state from ClickHouse (does it exist, what it holds) and sends a full update."""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from typing import Any

from clickhouse_connect.driver.client import Client
from kafka import KafkaProducer

from atenciones import arguments
from clickhouse import queries
from foundation.settings import Settings
from schemas.reasons import ContractError, Reason
from schemas.relevant_case import RelevantCase
from streams.cases import build_open, build_update, send_case


@dataclass
class CaseResult:
    case: RelevantCase
    same_summary: list[str]  # other cases with the same summary text: probably a copy-paste error


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


def cmd_case(args: argparse.Namespace, settings: Settings) -> int:
    from kafka import KafkaProducer  # noqa: PLC0415

    from clickhouse.client import connect  # noqa: PLC0415
    from schemas.reasons import ContractError  # noqa: PLC0415

    fields = {
        name: getattr(args, name, None)
        for name in ("case_id", "office", "region", "province", "district", "ubigeo", "summary",
                     "source", "action", "status", "affected_users", "provider")
    }  # fmt: skip
    client = connect(settings)
    producer = KafkaProducer(bootstrap_servers=settings.kafka_bootstrap, acks="all")
    try:
        if args.action_name == "open":
            given = {k: v for k, v in fields.items() if v is not None}  # defaults: the model's
            result = open_case(client, producer, settings.relevant_cases_topic, given)
        else:
            changes = {k: v for k, v in fields.items() if k != "case_id" and v is not None}
            result = update_case(
                client, producer, settings.relevant_cases_topic, args.case_id, changes
            )
    except ContractError as exc:
        print(f"error: {exc.reason.value}: {exc.message}", file=sys.stderr)
        return 1
    finally:
        producer.close()
        client.close()
    case = result.case
    print(f"case {case.case_id} revision {case.revision}: {case.status}")
    redacted = [
        name for name in ("province", "district", "summary", "source", "action")
        if fields.get(name) is not None and getattr(case, name) != fields[name]
    ]  # fmt: skip
    if redacted:
        print(
            f"warning: personal data (names, documents, phones, e-mails) removed from: "
            f"{', '.join(redacted)}",
            file=sys.stderr,
        )
    if result.same_summary:
        print(
            "warning: the same summary is used by case(s) "
            f"{', '.join(result.same_summary)}: is it a copy-paste error?",
            file=sys.stderr,
        )
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
        parser_.add_argument("--summary", required=parser_ is opening, help="what happened")
        parser_.add_argument("--source", required=parser_ is opening, help="e.g. Redes Sociales")
        parser_.add_argument("--office", required=parser_ is opening, help="ODS code")
        parser_.add_argument("--region", required=parser_ is opening, help="region code")
        parser_.add_argument("--province", required=parser_ is opening)
        parser_.add_argument("--district", required=parser_ is opening)
        parser_.add_argument("--ubigeo", help="INEI ubigeo, 6 digits")
        parser_.add_argument("--affected-users", type=arguments.count)
        parser_.add_argument("--provider", help="EPS code")
    case.set_defaults(handler=cmd_case)
