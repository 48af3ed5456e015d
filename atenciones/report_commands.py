"""`atenciones report …`: write a day's report, deliver it (send), preview its e-mail, rebuild
the archive's index."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from atenciones import arguments
from foundation.settings import Settings
from reports.schedule import DAILY, KINDS


def cmd_report(args: argparse.Namespace, settings: Settings) -> int:
    from reports.generate import ReportError, generate  # noqa: PLC0415

    if args.date is None:
        print("error: give --date (e.g. --date 2024-11-08), or an action: send, archive",
              file=sys.stderr)  # fmt: skip
        return 2
    try:
        path = generate(settings, args.date, args.format, args.out)
    except ReportError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"report written to {path}")
    return 0


def cmd_report_send(args: argparse.Namespace, settings: Settings) -> int:
    from clickhouse.client import connect  # noqa: PLC0415
    from reports.delivery import Deliverer, Outcome  # noqa: PLC0415
    from reports.generate import check_day  # noqa: PLC0415
    from reports.schedule import Due  # noqa: PLC0415

    check_day(args.date)
    client = connect(settings)
    try:
        result = Deliverer(settings, client).deliver(
            Due(args.date, args.kind), force=args.force, scheduled=False
        )
    finally:
        client.close()
    if result.outcome is Outcome.ALREADY:
        print(f"{result.describe()} — already delivered; --force sends it again")
        return 0
    if result.outcome in {Outcome.SENT, Outcome.ARCHIVED}:
        to = ", ".join(settings.recipients) or "nobody (no recipients set)"
        print(f"{result.describe()}; to: {to}; archive: {settings.archive_dir}")
        return 0
    if result.outcome is Outcome.SKIPPED:
        print(f"error: ClickHouse has no attentions up to {args.date}", file=sys.stderr)
    elif result.outcome is Outcome.BUSY:
        print(f"error: {result.describe()} — another delivery of it is in progress",
              file=sys.stderr)  # fmt: skip
    else:
        print(f"error: {result.describe()}", file=sys.stderr)
    return 1


def cmd_report_mail_preview(args: argparse.Namespace, settings: Settings) -> int:
    from clickhouse.client import connect  # noqa: PLC0415
    from reports.delivery import Deliverer  # noqa: PLC0415
    from reports.generate import check_day, output_path  # noqa: PLC0415
    from reports.schedule import Due  # noqa: PLC0415

    check_day(args.date)
    out = output_path(args.out, args.date, "png")
    client = connect(settings)
    try:
        html = Deliverer(settings, client).preview(Due(args.date, args.kind))
    finally:
        client.close()
    if out.suffix == ".png":
        from foundation.chromium import html_to_png  # noqa: PLC0415

        out.write_bytes(html_to_png(html, 760, 640))
    else:
        out.write_text(html, encoding="utf-8")
    print(f"e-mail body of the {args.kind} report of {args.date} written to {out}")
    return 0


def cmd_report_archive(args: argparse.Namespace, settings: Settings) -> int:
    from reports.archive import rebuild_index  # noqa: PLC0415

    root = settings.archive_dir
    if not root.is_dir():
        print(f"error: the archive folder {root} does not exist (nothing delivered yet)",
              file=sys.stderr)  # fmt: skip
        return 1
    count = rebuild_index(root)
    print(f"archive index rebuilt: {count} reports listed in {root / 'index.html'}")
    return 0


def add_report_parser(sub: Any) -> None:
    """`report` and its actions, on the CLI's subparsers."""
    report = sub.add_parser(
        "report",
        help="write the daily report of a day (Spanish); `report send`, `report archive`",
        description="Write a day's report (--date, --format, --out), or: `report send --date D` "
        "delivers it (archive and e-mail, once), `report archive` rebuilds the archive's index.",
    )
    report.add_argument("--date", type=arguments.report_day, help="the day, e.g. 2024-11-08")
    report.add_argument("--format", choices=["html", "pdf", "md", "json"], default="html")
    report.add_argument("--out", help="file to write (default: reporte-diario-DATE.FORMAT)")
    report.set_defaults(handler=cmd_report)
    actions = report.add_subparsers(dest="report_action", metavar="ACTION")
    send = actions.add_parser(
        "send", help="archive and e-mail a day's report now (once; --force: again)"
    )
    _day_and_kind(send)
    send.add_argument("--force", action="store_true", help="send even if already delivered")
    send.set_defaults(handler=cmd_report_send)
    preview = actions.add_parser(
        "mail-preview", help="write the e-mail body a day's report would have (PNG or HTML)"
    )
    _day_and_kind(preview)
    preview.add_argument("--out", help="a .png or .html file (default: reporte-diario-DATE.png)")
    preview.set_defaults(handler=cmd_report_mail_preview)
    rebuild = actions.add_parser("archive", help="rebuild the report archive's index page")
    rebuild.set_defaults(handler=cmd_report_archive)


def _day_and_kind(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--date", type=arguments.report_day, required=True, help="the day, e.g. 2024-11-08"
    )
    parser.add_argument(
        "--kind", choices=KINDS, default=DAILY, help="diario: the whole day; corte: the day so far"
    )
