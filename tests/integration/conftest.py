"""Real services for integration tests: a Kafka broker and a ClickHouse server on free ports."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from atenciones.processes import free_port
from atenciones.settings import get_settings
from clickhouse.local_server import ClickHouseServer
from streams.kafka_local import KafkaServer


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
