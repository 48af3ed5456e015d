"""Any failure of a command as one line for a person: which service or file, and what went wrong.

The CLI prints `error: <this>` and exits 1 instead of a traceback (ATENCIONES_DEBUG=1 shows it).
"""

from __future__ import annotations

from foundation.settings import Settings


def _first_line(text: str, limit: int = 300) -> str:
    line = next((part.strip() for part in text.splitlines() if part.strip()), "")
    return line[:limit]


def one_line_error(exc: BaseException, settings: Settings) -> str:
    from clickhouse_connect.driver.exceptions import (  # noqa: PLC0415
        DatabaseError,
        OperationalError,
    )
    from kafka.errors import KafkaError  # noqa: PLC0415

    clickhouse = f"ClickHouse at {settings.clickhouse_host}:{settings.clickhouse_http_port}"
    kafka = f"Kafka at {settings.kafka_bootstrap}"
    if isinstance(exc, OperationalError):
        return f"{clickhouse} is unreachable ({_first_line(str(exc), 160)})"
    if isinstance(exc, DatabaseError):
        return f"{clickhouse} refused the request: {_first_line(str(exc))}"
    if isinstance(exc, KafkaError):
        detail = _first_line(str(exc), 160) or type(exc).__name__
        return f"{kafka} is unreachable or refused the request ({type(exc).__name__}: {detail})"
    if isinstance(exc, OSError) and exc.filename is not None:
        return f"{exc.strerror or 'cannot use'}: {exc.filename}"
    if isinstance(exc, OSError):
        return f"{type(exc).__name__}: {_first_line(str(exc))}"
    message = _first_line(str(exc))
    return message or type(exc).__name__
