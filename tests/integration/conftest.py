"""Real services for integration tests: a Kafka broker and a ClickHouse server on free ports."""

from __future__ import annotations

import hashlib
import os
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from foundation.processes import BackgroundProcess, free_port
from foundation.settings import REPO_ROOT, Settings, get_settings
from local_stack.clickhouse import ClickHouseServer
from local_stack.kafka import KafkaServer


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/integration/" in str(item.fspath):
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
def kafka(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KafkaServer]:
    settings = get_settings()
    server = KafkaServer(
        state_dir=tmp_path_factory.mktemp("kafka"),
        port=free_port(),
        controller_port=free_port(),
        version=settings.kafka_version,
        cache_dir=settings.cache_dir,
    )
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def clickhouse_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ClickHouseServer]:
    server = new_clickhouse_server(tmp_path_factory.mktemp("clickhouse"))
    server.start()
    yield server
    server.stop()


def new_clickhouse_server(state_dir: Path) -> ClickHouseServer:
    return ClickHouseServer(state_dir=state_dir, http_port=free_port(), tcp_port=free_port())


def worker_env(kafka: KafkaServer, state_dir: Path, **extra: str) -> dict[str, str]:
    """Environment of a worker process pointed at the test broker, with its own state."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ATENCIONES_")}
    env.update(
        {
            "ATENCIONES_KAFKA_BOOTSTRAP": kafka.bootstrap,
            "ATENCIONES_STATE_DIR": str(state_dir),
            "ATENCIONES_WORKER_WEB_PORT": str(free_port()),
            # The app id names the consumer group and the changelog topics: unique per test
            # (two tests must never share state), stable across restarts of one test's worker.
            "ATENCIONES_WORKER_APP_ID": "worker-"
            + hashlib.sha1(str(state_dir).encode()).hexdigest()[:12],
        }
    )
    env.update(extra)
    return env


def start_worker(kafka: KafkaServer, state_dir: Path, **extra: str) -> BackgroundProcess:
    state_dir.mkdir(parents=True, exist_ok=True)
    worker = BackgroundProcess("worker", state_dir / "worker.pid", state_dir / "worker.log")
    argv = [sys.executable, "-m", "atenciones.cli", "worker"]
    worker.start(argv, cwd=REPO_ROOT, env=worker_env(kafka, state_dir, **extra))
    return worker


def unique_topics(prefix: str) -> dict[str, str]:
    """Env overrides giving a test its own attentions and dead-letter topics."""
    tag = uuid.uuid4().hex[:8]
    return {
        "ATENCIONES_ATTENTIONS_TOPIC": f"{prefix}-{tag}",
        "ATENCIONES_DLQ_TOPIC": f"{prefix}-{tag}.dlq",
    }


@pytest.fixture(scope="session")
def demo_pipeline(kafka: KafkaServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The demo history counted by a real worker (tests/integration/demo_data.py)."""
    from demo.load import SEED_REPORT  # noqa: PLC0415
    from demo.seed_report import load_seed  # noqa: PLC0415
    from tests.integration.demo_data import run_demo_pipeline  # noqa: PLC0415 - imports this

    yield from run_demo_pipeline(kafka, tmp_path_factory.mktemp("demo"), load_seed(SEED_REPORT))


@dataclass
class RunningPipeline:
    """A ClickHouse server, the topics of a test and a worker counting them."""

    clickhouse: ClickHouseServer
    settings: Settings  # the test's topics, on the test broker
    env: dict[str, str]  # the worker's topic, ClickHouse (writer user) and web port settings
    worker: BackgroundProcess

    @property
    def health_url(self) -> str:
        return f"http://127.0.0.1:{self.env['ATENCIONES_WORKER_WEB_PORT']}/health"

    def stop(self) -> None:
        self.worker.stop(timeout=30)
        self.clickhouse.stop()


def start_pipeline(kafka: KafkaServer, root: Path, prefix: str) -> RunningPipeline:
    """ClickHouse (migrated) under root, the test's own topics (relevant cases included), and a
    worker on them."""
    from streams.topics import ensure_topics, project_topics  # noqa: PLC0415
    from tests.integration.pipeline_helpers import (  # noqa: PLC0415
        clickhouse_env,
        start_pipeline_clickhouse,
    )

    clickhouse = start_pipeline_clickhouse(root / "clickhouse")
    topics = {
        **unique_topics(prefix),
        "ATENCIONES_RELEVANT_CASES_TOPIC": f"{prefix}-cases-{root.name}",
    }
    settings = Settings(
        kafka_bootstrap=kafka.bootstrap,
        attentions_topic=topics["ATENCIONES_ATTENTIONS_TOPIC"],
        dlq_topic=topics["ATENCIONES_DLQ_TOPIC"],
        relevant_cases_topic=topics["ATENCIONES_RELEVANT_CASES_TOPIC"],
    )
    ensure_topics(kafka.bootstrap, project_topics(settings))
    env = {
        **topics,
        **clickhouse_env(clickhouse),
        "ATENCIONES_WORKER_WEB_PORT": str(free_port()),
    }
    return RunningPipeline(clickhouse, settings, env, start_worker(kafka, root / "worker", **env))
