"""Publish attentions from JSON-lines or CSV, a file or stdin: how exports and channels get in."""

from __future__ import annotations

import csv
import io
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from tqdm import tqdm

from schemas.decode import parse_json_object, validate_attention
from schemas.reasons import ContractError, Reason
from streams.producer import AttentionProducer, PublishReport, Rejection

FORMATS = ("jsonl", "csv")
_INT_COLUMNS = ("revision", "schema_version")
_NOT_UTF8 = re.compile("[\udc80-\udcff]")  # bytes kept by errors="surrogateescape"


class InputError(ValueError):
    """The input file cannot be read as the format asked for."""


def detect_format(path: str) -> str:
    suffix = Path(path).suffix.lower()
    if suffix in (".jsonl", ".ndjson", ".json"):
        return "jsonl"
    if suffix == ".csv":
        return "csv"
    raise InputError(f"cannot tell the format of {path!r}: use --format jsonl or --format csv")


def _csv_row_to_event(row: dict[str, str | None]) -> dict[str, Any]:
    if None in row:
        raise ContractError(Reason.WRONG_TYPE, "the row has more cells than the header")
    for cell in row.values():
        if cell and _NOT_UTF8.search(cell):
            raise ContractError(
                Reason.INVALID_UTF8, "the row is not UTF-8 (save the file as UTF-8)"
            )
    event: dict[str, Any] = {}
    for column, cell in row.items():
        if column is None or cell is None or cell == "":
            continue
        if column in _INT_COLUMNS and cell.lstrip("-").isdigit():
            event[column] = int(cell)
        elif column == "voided" and cell.lower() in ("true", "false"):
            event[column] = cell.lower() == "true"
        else:
            event[column] = cell
    return event


def read_events(stream: IO[bytes], fmt: str) -> Iterator[dict[str, Any] | ContractError]:
    """Yield each input record as a dict, or the ContractError that makes it unreadable."""
    if fmt == "jsonl":
        for line in stream:
            if not line.strip():
                continue
            try:  # the worker's own checks: size, UTF-8, JSON, repeated keys
                data = parse_json_object(line.rstrip(b"\r\n"))
            except ContractError as exc:
                yield exc
                continue
            yield (
                data
                if isinstance(data, dict)
                else ContractError(
                    Reason.NOT_AN_OBJECT, f"expected a JSON object, got {type(data).__name__}"
                )
            )
    elif fmt == "csv":
        # utf-8-sig: Excel's "CSV UTF-8" starts with a BOM. Bytes that are not UTF-8 (a Latin-1
        # export) are kept as surrogates so that only their rows are refused, not the file.
        text = io.TextIOWrapper(stream, encoding="utf-8-sig", errors="surrogateescape", newline="")
        reader = csv.DictReader(text)
        if not reader.fieldnames or "attention_id" not in reader.fieldnames:
            raise InputError("the CSV header must name the contract's fields (attention_id, …)")
        for row in reader:
            try:
                yield _csv_row_to_event(row)
            except ContractError as exc:
                yield exc
    else:
        raise InputError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")


def publish_stream(
    stream: IO[bytes],
    fmt: str,
    producer: AttentionProducer,
    total_bytes: int | None = None,
    show_progress: bool = True,
) -> PublishReport:
    """Validate and send every record of stream; the report lists what was rejected and why."""
    report = PublishReport()
    bar = tqdm(
        total=total_bytes, unit="B", unit_scale=True, disable=not show_progress, desc="publishing"
    )
    last_pos = 0
    position = 0
    try:
        for position, item in enumerate(read_events(stream, fmt), start=1):
            try:
                if isinstance(item, ContractError):
                    raise item
                producer.send(validate_attention(item))
                report.sent += 1
            except ContractError as exc:
                report.rejected.append(Rejection(position, exc.reason, exc.message))
            if show_progress and total_bytes and position % 2000 == 0:
                pos = _tell(stream)
                bar.update(pos - last_pos)
                last_pos = pos
        producer.flush()
    except (InputError, KeyboardInterrupt):
        bar.close()
        raise
    except Exception as exc:  # Kafka gone, the input unreadable: say where it stopped
        bar.close()
        report.stopped = f"after record {position}: {type(exc).__name__}: {exc}"[:300]
        return report
    if show_progress and total_bytes:
        bar.update(total_bytes - last_pos)
    bar.close()
    return report


def _tell(stream: IO[bytes]) -> int:
    try:
        return stream.tell()
    except (OSError, ValueError):
        return 0


def check_input(path: str, fmt: str | None) -> str:
    """The input's format; InputError when the input cannot be read as asked."""
    if path == "-":
        if fmt is None:
            raise InputError("reading stdin needs --format jsonl or --format csv")
        return fmt
    source = Path(path)
    if not source.is_file():
        raise InputError(f"no such file: {path}")
    try:
        with source.open("rb"):
            pass
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}") from None
    return fmt or detect_format(path)


def publish_path(path: str, fmt: str | None, producer: AttentionProducer) -> PublishReport:
    """Publish a file (or '-' for stdin)."""
    fmt = check_input(path, fmt)
    if path == "-":
        return publish_stream(sys.stdin.buffer, fmt, producer, show_progress=False)
    source = Path(path)
    with source.open("rb") as handle:
        return publish_stream(handle, fmt, producer, total_bytes=source.stat().st_size)


def summary_lines(report: PublishReport, samples: int = 5) -> list[str]:
    lines = [f"sent: {report.sent}", f"rejected: {len(report.rejected)}"]
    if report.stopped:
        lines.append(
            f"stopped {report.stopped} (the records sent just before may not all have reached "
            "Kafka; publishing them again is harmless: a repeated record is a duplicate)"
        )
    for reason, count in report.rejected_by_reason.most_common():
        lines.append(f"  {reason}: {count}")
    for rejection in report.rejected[:samples]:
        lines.append(
            f"  record {rejection.position}: {rejection.reason.value}: {rejection.message}"
        )
    return lines
