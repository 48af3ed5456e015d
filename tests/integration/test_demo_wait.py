"""`demo-history --wait` never waits forever: it stops, saying why, when the worker is down or
makes no progress."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from demo.load import wait_until_counted
from foundation.processes import ServiceError, free_port
from foundation.settings import Settings
from tests.fixtures.pipeline import WRITER_PASSWORD, start_pipeline_clickhouse


def test_wait_stops_when_the_worker_does_not_answer(tmp_path: Path) -> None:
    clickhouse = start_pipeline_clickhouse(tmp_path / "clickhouse")
    settings = Settings(
        clickhouse_http_port=clickhouse.http_port,
        clickhouse_password=WRITER_PASSWORD,  # type: ignore[arg-type]
        worker_web_port=free_port(),  # nothing listens there: the worker is down
    )
    try:
        started = time.monotonic()
        with pytest.raises(ServiceError, match="the worker is not healthy: its health page"):
            wait_until_counted(settings, 10, progress=False, unhealthy_s=2, stall_s=60)
        assert time.monotonic() - started < 30
        with pytest.raises(ServiceError, match="no progress for 2 s"):
            wait_until_counted(settings, 10, progress=False, unhealthy_s=60, stall_s=2)
    finally:
        clickhouse.stop()
