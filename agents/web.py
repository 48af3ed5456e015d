"""The worker's web page on 127.0.0.1: /health (JSON) and /metrics (Prometheus text)."""

from __future__ import annotations

from typing import Any

import faust
from faust.web import Request, Response, View
from prometheus_client import generate_latest

from agents import metrics
from agents.health import WorkerHealth


def _source_partitions(app: faust.App, topic: str) -> list[Any]:
    return [tp for tp in app.consumer.assignment() if tp.topic == topic]


def partition_lag(highwater: int | None, committed: int | None) -> tuple[int, int] | None:
    """(committed offset, records behind) of a partition whose end is known. Nothing committed
    yet counts from offset 0: its records all wait. It used to leave such a partition out —
    no lag, no stall — and a worker that never fetched a partition it had been assigned
    before anything of it was committed looked healthy while its counts stayed short (the
    SIGKILL test, ~1 run in 12 under load)."""
    if highwater is None:
        return None
    start = 0 if committed is None else committed
    return start, max(0, highwater - start)


def partition_lags(app: faust.App, topic: str) -> dict[int, tuple[int, int]]:
    """For each assigned partition of `topic`: its committed offset and the records between it
    and the end of the partition."""
    lags = {}
    for tp in _source_partitions(app, topic):
        committed = app.consumer._committed_offset.get(tp)  # type: ignore[attr-defined]
        lag = partition_lag(app.consumer.highwater(tp), committed)
        if lag is not None:
            metrics.LAG.labels(str(tp.partition)).set(lag[1])
            lags[tp.partition] = lag
    return lags


def refresh_lag(app: faust.App, topic: str) -> int:
    """Records of `topic` between the committed offset and the end of each assigned partition."""
    return sum(behind for _, behind in partition_lags(app, topic).values())


def register_pages(app: faust.App, topic: str, health: WorkerHealth) -> None:
    """Pages for the worker consuming `topic` (the attentions topic)."""

    @app.page("/health")
    class Health(View):
        async def get(self, request: Request) -> Response:
            assigned = sorted(tp.partition for tp in _source_partitions(app, topic))
            partitions = partition_lags(app, topic)
            lag = sum(behind for _, behind in partitions.values())
            problems = health.problems(lag, partitions=partitions)
            return self.json(
                {
                    "status": "failing" if problems else "ok",
                    "problems": problems,
                    "app": app.conf.id,
                    "partitions": assigned,
                    "lag": lag,
                    "report_checks": health.report_checks,
                },
                status=503 if problems else 200,
            )

    @app.page("/metrics")
    class Metrics(View):
        async def get(self, request: Request) -> Response:
            refresh_lag(app, topic)
            # aiohttp refuses a charset inside content_type; text/plain is Prometheus' format 0.0.4
            return self.bytes(generate_latest(metrics.REGISTRY), content_type="text/plain")
