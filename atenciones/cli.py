"""`atenciones …`: the command line, a thin layer that parses arguments and calls into the rooms."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from atenciones import arguments
from atenciones.alert_commands import add_alerts_parser
from atenciones.case_commands import add_case_parser, cmd_case
from atenciones.report_commands import add_report_parser
from foundation.errors import one_line_error
from foundation.processes import require_reachable
from foundation.settings import Settings, get_settings
from schemas.reasons import Reason

Command = Callable[[argparse.Namespace, Settings], int]


def cmd_worker(args: argparse.Namespace, settings: Settings) -> int:
    from agents.worker import run  # noqa: PLC0415 - importing Faust is slow; only here

    run(args.loglevel)
    return 0


def cmd_topics(args: argparse.Namespace, settings: Settings) -> int:
    from streams.topics import ensure_topics, project_topics  # noqa: PLC0415

    created = ensure_topics(settings.kafka_bootstrap, project_topics(settings))
    print(f"created: {', '.join(created)}" if created else "all topics exist")
    return 0


def cmd_migrate(args: argparse.Namespace, settings: Settings) -> int:
    from clickhouse.client import connect_admin  # noqa: PLC0415
    from clickhouse.migrate import migrate  # noqa: PLC0415

    applied = migrate(connect_admin(settings))
    names = ", ".join(f"{m.version:04d}_{m.name}" for m in applied)
    print(f"applied: {names}" if applied else "ClickHouse schema is up to date")
    return 0


def cmd_demo_history(args: argparse.Namespace, settings: Settings) -> int:
    from demo.load import (  # noqa: PLC0415
        counted_demo_attentions,
        demo_size,
        publish_history,
        wait_until_counted,
    )

    if not args.force and counted_demo_attentions(settings) == demo_size():
        print("the demo history is already loaded (use --force to publish it again)")
        return 0
    sent = publish_history(settings)
    print(f"published {sent} demo attentions (SYNTHETIC DEMO DATA, source=demo-history)")
    if args.wait:
        waited = wait_until_counted(settings, sent, timeout_s=args.timeout)
        print(f"all counted in ClickHouse after {waited:.0f} s")
    return 0


def cmd_publish(args: argparse.Namespace, settings: Settings) -> int:
    from streams.producer import AttentionProducer  # noqa: PLC0415
    from streams.publish import (  # noqa: PLC0415
        InputError,
        check_input,
        publish_path,
        summary_lines,
    )

    try:
        check_input(args.path, args.format)
        require_kafka(settings)
        with AttentionProducer(settings.kafka_bootstrap, settings.attentions_topic) as producer:
            report = publish_path(args.path, args.format, producer)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print("\n".join(summary_lines(report)))
    return 1 if report.rejected or report.stopped else 0


def cmd_simulate(args: argparse.Namespace, settings: Settings) -> int:
    from streams.producer import AttentionProducer  # noqa: PLC0415
    from streams.simulator import simulate  # noqa: PLC0415

    if args.count is None and args.duration is None:
        print("error: give --count N or --duration SECONDS", file=sys.stderr)
        return 2
    plan = None
    if args.incident is not None:
        from atenciones.incident_plan import plan_incident  # noqa: PLC0415

        plan = plan_incident(settings, args.incident)
        spec = plan.spec
        print(
            f"incident {spec.provider}|{spec.district}: baseline {plan.baseline_per_hour:.2f}/h "
            f"at this hour, injecting {plan.per_hour:.2f}/h for {spec.minutes:g} min "
            f"(~{plan.per_hour * spec.minutes / 60:.1f} attentions)"
        )
    with AttentionProducer(settings.kafka_bootstrap, settings.attentions_topic) as producer:
        report = simulate(
            producer,
            args.rate,
            count=args.count,
            duration_s=args.duration,
            invalid_rate=args.invalid_rate,
            seed=args.seed,
            incident=plan,
        )
    invalid = sum(report.invalid.values())
    incident = f" ({report.incident} of the incident)" if plan else ""
    print(f"published {report.valid} valid{incident} and {invalid} invalid attentions")
    return 0


def cmd_dlq(args: argparse.Namespace, settings: Settings) -> int:
    from streams.dead_letters import (  # noqa: PLC0415
        read_dead_letters,
        replay,
        summarize,
        summarize_by_topic,
    )
    from streams.producer import AttentionProducer  # noqa: PLC0415

    letters = list(read_dead_letters(settings.kafka_bootstrap, settings.dlq_topic))
    if args.reason:
        letters = [letter for letter in letters if letter.reason.value in args.reason]
    if args.action == "stats":
        print(f"dead letters: {len(letters)}")
        for reason, count in summarize(letters).most_common():
            print(f"  {reason}: {count}")
        for topic, counts in sorted(summarize_by_topic(letters).items()):
            print(f"from {topic}: {sum(counts.values())}")
            for reason, count in counts.most_common():
                print(f"  {reason}: {count}")
    elif args.action == "show":
        for letter in letters[: args.limit]:
            print(
                f"{letter.topic}/{letter.partition}/{letter.offset} {letter.reason.value}: "
                f"{letter.message}\n  key={letter.key!r} value={(letter.value or b'')[:200]!r}"
            )
    else:
        with AttentionProducer(settings.kafka_bootstrap, settings.attentions_topic) as producer:
            report = replay(
                letters, producer, force=args.force, cases_topic=settings.relevant_cases_topic
            )
        print(f"replayed: {report.replayed}")
        for reason, count in report.still_invalid.most_common():
            print(f"  kept back, still {reason}: {count}")
        if report.truncated:
            print(f"  kept back, only a prefix kept (record too large): {report.truncated}")
        if report.unknown_origin:
            print(f"  kept back, from another topic: {report.unknown_origin}")
    return 0


def cmd_grafana(args: argparse.Namespace, settings: Settings) -> int:
    if args.action == "build":
        from grafana.generate import drifted_boards, write_boards  # noqa: PLC0415

        if args.check:
            drifted = drifted_boards()
            for path in drifted:
                print(f"out of date: {path} (run `atenciones grafana build`)", file=sys.stderr)
            return 1 if drifted else 0
        written = write_boards()
        print("\n".join(f"wrote {path}" for path in written) or "boards are up to date")
        return 0
    if args.action == "preview":
        from clickhouse.client import connect  # noqa: PLC0415
        from grafana.preview import write_previews  # noqa: PLC0415
        from schemas.timestamps import lima_today  # noqa: PLC0415

        client = connect(
            settings, "grafana", settings.clickhouse_grafana_password.get_secret_value()
        )
        for path in write_previews(
            client, args.date or lima_today(), args.out, png=not args.no_png
        ):
            print(f"wrote {path}")
        return 0
    from grafana.push import PushError, push  # noqa: PLC0415

    try:
        result = push(settings)
    except PushError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for verb, items in (
        ("created", result.created), ("updated", result.updated), ("unchanged", result.unchanged)
    ):  # fmt: skip
        for item in items:
            print(f"{verb}: {item}")
    return 0


# Commands that talk to Kafka first: checked before any client is made (publish checks its
# input first).
KAFKA_COMMANDS = (cmd_worker, cmd_topics, cmd_case, cmd_simulate, cmd_dlq)


def require_kafka(settings: Settings) -> None:
    require_reachable(settings.kafka_bootstrap, f"Kafka at {settings.kafka_bootstrap}")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="atenciones",
        description="Sunass attentions pipeline: Kafka -> Faust -> ClickHouse -> Grafana / report.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    _add_service_parsers(sub)
    add_report_parser(sub)
    add_case_parser(sub)
    add_alerts_parser(sub)
    _add_demo_history_parser(sub)
    _add_publish_parsers(sub)
    _add_dlq_parser(sub)
    _add_grafana_parser(sub)
    return parser


def _add_service_parsers(sub: Any) -> None:
    worker = sub.add_parser("worker", help="run the Faust worker in the foreground")
    worker.add_argument("--loglevel", default="info", choices=["debug", "info", "warn", "error"])
    worker.set_defaults(handler=cmd_worker)
    topics = sub.add_parser("topics", help="create the project's topics if missing")
    topics.set_defaults(handler=cmd_topics)
    migrate = sub.add_parser("migrate", help="apply the ClickHouse migrations not applied yet")
    migrate.set_defaults(handler=cmd_migrate)


def _add_demo_history_parser(sub: Any) -> None:
    history = sub.add_parser(
        "demo-history", help="publish the synthetic demo history (2018 to 08/11/2024)"
    )
    history.add_argument("--wait", action="store_true", help="wait until ClickHouse counted it")
    history.add_argument("--force", action="store_true", help="publish even if already loaded")
    history.add_argument(
        "--timeout", type=arguments.positive_float, default=900.0, help="seconds to wait"
    )
    history.set_defaults(handler=cmd_demo_history)


def _add_publish_parsers(sub: Any) -> None:
    publish = sub.add_parser("publish", help="publish attentions from a JSON-lines or CSV file")
    publish.add_argument("path", help="file to read, or - for stdin")
    publish.add_argument("--format", choices=["jsonl", "csv"], help="default: from the file name")
    publish.set_defaults(handler=cmd_publish)
    sim = sub.add_parser("simulate", help="publish live traffic for today with the seed's mix")
    sim.add_argument("--rate", type=arguments.positive_float, default=5.0, help="events per second")
    sim.add_argument("--count", type=arguments.positive_int, help="stop after this many events")
    sim.add_argument(
        "--duration", type=arguments.positive_float, help="stop after this many seconds"
    )
    sim.add_argument(
        "--invalid-rate", type=arguments.fraction, default=0.0, help="share of bad records"
    )
    sim.add_argument("--seed", type=int, help="random seed (reproducible traffic)")
    sim.add_argument(
        "--incident", type=arguments.incident, metavar="PROVIDER,DISTRICT,MULTIPLIER,MINUTES",
        help="also inject an incident: service-failure attentions from one district (INEI "
        "ubigeo) at MULTIPLIER times its usual rate at this hour (from ClickHouse, as the "
        "detector sees it), for MINUTES from the start; e.g. eps_grau,200701,50,30",
    )  # fmt: skip
    sim.set_defaults(handler=cmd_simulate)


def _add_dlq_parser(sub: Any) -> None:
    dlq = sub.add_parser("dlq", help="inspect or replay the dead-letter topic")
    dlq.add_argument("action", choices=["stats", "show", "replay"])
    dlq.add_argument(
        "--reason",
        action="append",
        choices=sorted(reason.value for reason in Reason),
        metavar="REASON",
        help="only records with this reason code (see schemas/reasons.py)",
    )
    dlq.add_argument("--limit", type=arguments.count, default=20, help="records to show")
    dlq.add_argument("--force", action="store_true", help="replay even records still invalid")
    dlq.set_defaults(handler=cmd_dlq)


def _add_grafana_parser(sub: Any) -> None:
    grafana = sub.add_parser(
        "grafana",
        help="write the boards' JSON (build), push them to a Grafana (push), or render a static "
        "preview of each board from ClickHouse (preview)",
    )
    grafana.add_argument("action", choices=["build", "push", "preview"])
    grafana.add_argument(
        "--check", action="store_true", help="build: fail if the committed JSON is out of date"
    )
    grafana.add_argument(
        "--date", type=arguments.report_day, help="preview: the day shown as today (default: today)"
    )
    grafana.add_argument(
        "--out", type=Path, default=Path("grafana/preview"), help="preview: output folder"
    )
    grafana.add_argument("--no-png", action="store_true", help="preview: HTML only")
    grafana.set_defaults(handler=cmd_grafana)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Command | None = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 2
    check = getattr(args, "check_arguments", None)  # what argparse cannot check, before any service
    if check is not None and (problem := check(args)):
        print(f"error: {problem}", file=sys.stderr)
        return 2
    settings = get_settings()
    if handler is not cmd_worker and not os.environ.get("ATENCIONES_DEBUG"):
        # Libraries log their retries and failures; a command says what went wrong in one line.
        logging.getLogger().addHandler(logging.NullHandler())
    try:
        if handler in KAFKA_COMMANDS:
            require_kafka(settings)
        return handler(args, settings)
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        if os.environ.get("ATENCIONES_DEBUG"):
            raise
        print(f"error: {one_line_error(exc, get_settings())}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
