"""`atenciones alerts list|show`: the incident alerts in ClickHouse (incidents/README.md)."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date, datetime
from typing import Any

from atenciones import arguments
from foundation.settings import Settings
from schemas.timestamps import LIMA, lima_day


def cmd_alerts(args: argparse.Namespace, settings: Settings) -> int:
    from clickhouse import queries  # noqa: PLC0415
    from clickhouse.client import connect  # noqa: PLC0415

    client = connect(settings)
    try:
        if args.action == "show":
            if not args.alert_id:
                print("error: give the alert's id: atenciones alerts show ID", file=sys.stderr)
                return 2
            found = queries.alert(client, args.alert_id)
            if found is None:
                print(f"error: no alert {args.alert_id!r} in ClickHouse", file=sys.stderr)
                return 1
            print(json.dumps(found, default=_text, ensure_ascii=False, indent=2))
            return 0
        rows = queries.open_alerts(client) if args.open else queries.alerts_on(client, args.date)
    finally:
        client.close()
    what = "open alerts" if args.open else f"alerts of {args.date}"
    print(f"{what}: {len(rows)}")
    for row in rows:
        print(_line(row))
    return 0


def _line(row: dict[str, Any]) -> str:
    opened = row["opened_at"].astimezone(LIMA).strftime("%Y-%m-%d %H:%M")
    subtypes = ", ".join(f"{k} {v}" for k, v in sorted(row["subtypes"].items()))
    return (
        f"{row['alert_id']}  {row['status']}  opened {opened} (Lima)  "
        f"peak {row['peak_count']} in {row['peak_minutes']} min "
        f"(expected {row['peak_expected']:.2f})  attentions {row['attentions']}: {subtypes}"
    )


def _text(value: object) -> str:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def add_alerts_parser(sub: Any) -> None:
    alerts = sub.add_parser("alerts", help="list or show the incident alerts (from ClickHouse)")
    alerts.add_argument("action", choices=["list", "show"])
    alerts.add_argument("alert_id", nargs="?", help="show: the alert's id (from list)")
    alerts.add_argument(
        "--date", type=arguments.report_day, default=lima_day(datetime.now(tz=LIMA)),
        help="list: the Lima day the alerts opened (default: today)",
    )  # fmt: skip
    alerts.add_argument("--open", action="store_true", help="list: every alert still open")
    alerts.set_defaults(handler=cmd_alerts)
