"""The local ClickHouse server: real SQL through clickhouse-connect, data kept across restarts."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from foundation.processes import ServiceError, pid_alive
from local_stack.clickhouse import ClickHouseServer
from tests.fixtures.pipeline import new_clickhouse_server


def client_for(server: ClickHouseServer):  # type: ignore[no-untyped-def]
    return server.admin_client()


def test_version_is_clickhouse_26_9(clickhouse_server: ClickHouseServer) -> None:
    version = client_for(clickhouse_server).query("SELECT version()").result_rows[0][0]
    assert version.startswith("26.9.")


def test_data_survives_a_restart(tmp_path: Path) -> None:
    server = new_clickhouse_server(tmp_path / "ch")
    server.start()
    pid = server.process.running_pid()
    try:
        client = client_for(server)
        client.command("CREATE DATABASE IF NOT EXISTS atenciones")
        client.command(
            "CREATE TABLE atenciones.probe_items (id UInt32, label String) "
            "ENGINE = MergeTree ORDER BY id"
        )
        rows = [[i, f"item {i}"] for i in range(1000)]
        client.insert("atenciones.probe_items", rows, column_names=["id", "label"])
        assert client.query("SELECT count(), sum(id) FROM atenciones.probe_items").result_rows == [
            (1000, sum(range(1000)))
        ]
        client.close()
    finally:
        assert server.stop() is True
    assert pid is not None and not pid_alive(pid)

    server.start()
    try:
        client = client_for(server)
        result = client.query(
            "SELECT count(), sum(id), any(label) LIKE 'item %' FROM atenciones.probe_items"
        )
        assert result.result_rows == [(1000, sum(range(1000)), True)]
        client.close()
    finally:
        server.stop()


def test_taken_port_gives_a_clear_error(tmp_path: Path) -> None:
    server = new_clickhouse_server(tmp_path / "ch")
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", server.http_port))
        squatter.listen()
        with pytest.raises(
            ServiceError, match=f"port 127.0.0.1:{server.http_port} is already in use"
        ):
            server.start()
    assert server.process.running_pid() is None


def test_data_dir_used_by_a_running_server_is_refused(
    clickhouse_server: ClickHouseServer, tmp_path: Path
) -> None:
    intruder = new_clickhouse_server(tmp_path / "other")
    intruder.data_path = clickhouse_server.data_dir
    with pytest.raises(ServiceError, match="is used by another ClickHouse server"):
        intruder.start()
    assert intruder.process.running_pid() is None
    assert clickhouse_server.answers()
