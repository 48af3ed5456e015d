"""Migrations apply once; the pipeline's users can do what they need and nothing more."""

from __future__ import annotations

import re
import socket
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import clickhouse_connect
import pytest
from clickhouse_connect.driver.exceptions import DatabaseError

from clickhouse.migrate import discover, migrate
from clickhouse.writer import (
    AttentionRow,
    BucketRow,
    DayCountRow,
    DeadLetterRow,
    QualityRow,
    SinkBatch,
    SinkWriter,
)
from local_stack.clickhouse import ClickHouseServer
from schemas.classification import CLASSIFICATION_FIELDS, Classification
from schemas.timestamps import lima_day_number
from tests.fixtures.pipeline import (
    ANALYST_PASSWORD,
    GRAFANA_PASSWORD,
    WRITER_PASSWORD,
    start_pipeline_clickhouse,
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ClickHouseServer]:
    instance = start_pipeline_clickhouse(tmp_path_factory.mktemp("ch-schema"))
    yield instance
    instance.stop()


def client(server: ClickHouseServer, user: str = "", password: str = ""):  # type: ignore[no-untyped-def]
    if not user:
        return server.admin_client()
    return clickhouse_connect.get_client(
        host="127.0.0.1", port=server.http_port, username=user, password=password
    )


def test_migrations_are_recorded_and_idempotent(server: ClickHouseServer) -> None:
    admin = client(server)
    assert migrate(admin) == []
    versions = [
        r[0]
        for r in admin.query(
            "SELECT version FROM atenciones.schema_migrations ORDER BY version"
        ).result_rows
    ]
    assert versions == [m.version for m in discover()]
    tables = {r[0] for r in admin.query("SHOW TABLES FROM atenciones").result_rows}
    assert {"attentions", "daily_counts", "last_hour", "attention_revisions"} <= tables


@pytest.mark.parametrize(
    "table", ["attention_revisions", "daily_count_parts", "attentions", "daily_counts"]
)
def test_the_classification_columns_are_the_contracts_in_its_order(
    server: ClickHouseServer, table: str
) -> None:
    """schemas/classification.py is the one definition: the migrations follow it."""
    columns = [
        row[0]
        for row in client(server)
        .query(
            "SELECT name FROM system.columns WHERE database = 'atenciones' AND table = {t:String}"
            " ORDER BY position",
            parameters={"t": table},
        )
        .result_rows
    ]
    first = columns.index(CLASSIFICATION_FIELDS[0])
    assert tuple(columns[first : first + len(CLASSIFICATION_FIELDS)]) == CLASSIFICATION_FIELDS


def test_rewriting_a_batch_changes_nothing_and_higher_versions_win(
    server: ClickHouseServer,
) -> None:
    writer = SinkWriter(client(server, "writer", WRITER_PASSWORD))
    classification: Classification = (
        "ica", "correo", "comercial", "pedido_medidor", "eps", "emapica", "ica", "",
    )  # fmt: skip
    day = date(2023, 5, 4)
    stamp = datetime(2023, 5, 4, 15, tzinfo=UTC)
    row = AttentionRow("w-1", 0, False, stamp, day, *classification, "", "test")
    first = SinkBatch(attentions=[row], day_counts=[DayCountRow(day, *classification, 3, 1, 10)])
    writer.write(first)
    writer.write(first)  # a replay
    writer.write(SinkBatch(day_counts=[DayCountRow(day, *classification, 3, 0, 9)]))  # older
    analyst = client(server, "analyst", ANALYST_PASSWORD)
    where = "day = '2023-05-04'"
    assert analyst.query(
        f"SELECT sum(attentions) FROM atenciones.daily_counts WHERE {where}"
    ).result_rows == [(1,)]
    assert analyst.query(
        f"SELECT count() FROM atenciones.attentions WHERE {where}"
    ).result_rows == [(1,)]
    voided = row._replace(revision=1, voided=True)
    newer = DayCountRow(day, *classification, 3, 0, 11)
    writer.write(SinkBatch(attentions=[voided], day_counts=[newer]))
    assert analyst.query(
        f"SELECT count() FROM atenciones.attentions WHERE {where}"
    ).result_rows == [(0,)]
    assert analyst.query(
        f"SELECT count() FROM atenciones.daily_counts WHERE {where}"
    ).result_rows == [(0,)]


@pytest.mark.parametrize("session", [False, True])
def test_a_batch_reaches_every_table_with_or_without_a_session(
    server: ClickHouseServer, session: bool
) -> None:
    """The writer inserts into the tables of a batch concurrently when its client has no
    session (the worker's, clickhouse/client.py), one after another when it has one (a session
    runs one query at a time); the rows are the same. A failed insert raises."""
    writer = SinkWriter(
        clickhouse_connect.get_client(
            host="127.0.0.1", port=server.http_port, username="writer",
            password=WRITER_PASSWORD, autogenerate_session_id=session,
        )
    )  # fmt: skip
    assert writer._concurrent is not session
    classification: Classification = (
        "ica", "correo", "comercial", "pedido_medidor", "eps", "emapica", "ica", "",
    )  # fmt: skip
    day = date(2023, 7, 8) if session else date(2023, 7, 9)
    stamp = datetime(day.year, day.month, day.day, 15, tzinfo=UTC)
    tag = f"s{int(session)}"
    writer.write(SinkBatch(
        attentions=[AttentionRow(f"{tag}-{i}", 0, False, stamp, day, *classification, "", tag)
                    for i in range(3)],
        day_counts=[DayCountRow(day, *classification, 2, 3, 1)],
        buckets=[BucketRow(stamp, "correo", "ica", 2, 3, 1)],
        quality=[QualityRow(day, "counted", 2, 3, 1)],
        dead_letters=[DeadLetterRow(tag, 0, 7, stamp, day, "invalid_json")],
    ))  # fmt: skip
    admin = client(server)
    at = f"'{day.isoformat()}'"
    assert admin.query(f"""
        SELECT (SELECT count() FROM atenciones.attention_revisions FINAL WHERE day = {at}),
               (SELECT sum(partition_count) FROM atenciones.daily_count_parts FINAL
                WHERE day = {at}),
               (SELECT count() FROM atenciones.five_minute_buckets FINAL
                WHERE toDate(bucket_start) = {at}),
               (SELECT count() FROM atenciones.quality_count_parts FINAL WHERE day = {at}),
               (SELECT count() FROM atenciones.dead_letter_records FINAL WHERE topic = '{tag}')
    """).result_rows == [(3, 3, 1, 1, 1)]
    bad_day: date = "not a day"  # type: ignore[assignment]
    with pytest.raises(TypeError):  # the failure of one of the concurrent inserts, raised
        writer.write(SinkBatch(
            day_counts=[DayCountRow(day, *classification, 2, 3, 2)],
            quality=[QualityRow(bad_day, "counted", 2, 3, 2)],
        ))  # fmt: skip


def test_an_attention_row_of_numbers_reads_as_one_of_datetimes(server: ClickHouseServer) -> None:
    """The worker writes occurred_at as Unix milliseconds and day as days since 1970 (no
    datetime per row); ClickHouse reads them as the datetime and the Lima day."""
    writer = SinkWriter(client(server, "writer", WRITER_PASSWORD))
    classification: Classification = (
        "ica", "correo", "comercial", "pedido_medidor", "eps", "emapica", "ica", "",
    )  # fmt: skip
    stamp = datetime(2023, 6, 2, 3, 4, 5, 678000, tzinfo=UTC)  # 1 June in Lima
    ms = round(stamp.timestamp() * 1000)
    writer.write(SinkBatch(attentions=[  # one kind per insert: a column is converted as its first
        AttentionRow("n-1", 0, False, stamp, date(2023, 6, 1), *classification, "", "t"),
    ]))  # fmt: skip
    writer.write(SinkBatch(attentions=[
        AttentionRow("n-2", 0, False, ms, lima_day_number(ms), *classification, "", "t"),
    ]))  # fmt: skip
    analyst = client(server, "analyst", ANALYST_PASSWORD)
    found = analyst.query(
        "SELECT attention_id, toUnixTimestamp64Milli(occurred_at), day FROM atenciones.attentions "
        "WHERE attention_id IN ('n-1', 'n-2') ORDER BY attention_id"
    ).result_rows
    assert [row[1:] for row in found] == [(ms, date(2023, 6, 1))] * 2


@pytest.mark.parametrize(
    ("user", "password"), [("analyst", ANALYST_PASSWORD), ("grafana", GRAFANA_PASSWORD)]
)
def test_read_only_users_can_read_and_nothing_else(
    server: ClickHouseServer, user: str, password: str
) -> None:
    reader = client(server, user, password)
    assert reader.query("SELECT count() FROM atenciones.daily_counts").result_rows
    forbidden = [
        "INSERT INTO atenciones.attention_revisions (attention_id) VALUES ('x')",
        "ALTER TABLE atenciones.attention_revisions DELETE WHERE 1",
        "DROP TABLE atenciones.attention_revisions",
        "CREATE TABLE atenciones.evil (a UInt8) ENGINE = Memory",
        "CREATE USER intruder IDENTIFIED BY 'x'",
        "SELECT * FROM file('/etc/passwd', 'LineAsString')",
        "SELECT * FROM url('http://127.0.0.1:1/', 'LineAsString')",
        "SELECT * FROM `/etc/passwd`",
    ]
    for statement in forbidden:
        with pytest.raises(DatabaseError):
            reader.command(statement)
    slow = (
        "SELECT count() FROM atenciones.attention_revisions, numbers(100000000000) AS n "
        "WHERE n.number % 7 = 3"
    )
    with pytest.raises(DatabaseError, match=r"TIMEOUT_EXCEEDED|TOO_SLOW|MEMORY_LIMIT_EXCEEDED"):
        reader.query(slow)
    # the limits are constraints: a query cannot lift them
    for lift in ("max_execution_time = 0", "max_memory_usage = 0", "max_execution_time = 600",
                 "timeout_overflow_mode = 'break'", "max_memory_usage_for_user = 1"):  # fmt: skip
        with pytest.raises(DatabaseError, match=r"SETTING_CONSTRAINT_VIOLATION|READONLY"):
            reader.query(f"SELECT 1 SETTINGS {lift}")
    limits = reader.query(
        "SELECT getSetting('max_execution_time'), getSetting('max_memory_usage')"
    ).result_rows[0]
    assert 0 < float(limits[0]) <= 30 and 0 < int(limits[1]) <= 2 * 2**30


def test_default_user_can_start_listeners_and_nothing_else(server: ClickHouseServer) -> None:
    """clickhouse-local's own session is `default` without password: on the listeners it must
    reach no data, no file, no URL, no user management — and, its quota spent by the control
    batch, run nothing at all, not even a stop of a listener."""
    statements = (
        "SELECT count() FROM atenciones.daily_count_parts",
        "SELECT * FROM file('/etc/shadow', 'LineAsString')",
        "SELECT * FROM file('/etc/passwd', 'LineAsString')",
        "SELECT * FROM url('http://127.0.0.1:1/', 'LineAsString')",
        "INSERT INTO FUNCTION file('/tmp/atenciones-intruder.txt', 'LineAsString') VALUES ('x')",
        "SELECT name FROM system.users",
        "CREATE DATABASE intruder",
        "CREATE USER intruder IDENTIFIED BY 'x'",
        "CREATE TEMPORARY TABLE intruder (x UInt8)",
        "SELECT count() FROM numbers(10)",
        "SYSTEM STOP LISTEN TCP",
        "SYSTEM STOP LISTEN HTTP",
        "SYSTEM SHUTDOWN",
    )
    for statement in statements:
        request = urllib.request.Request(
            server.url, data=statement.encode(), headers={"X-ClickHouse-User": "default"}
        )
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=10).close()
        answer = refused.value.read().decode()
        assert re.search(r"QUOTA_EXCEEDED|ACCESS_DENIED|Not enough privileges", answer), (
            statement,
            answer,
        )
    assert not Path("/tmp/atenciones-intruder.txt").exists()
    # both listeners still serve the users with a password
    assert server.admin_client().command("SELECT 1") == 1
    with socket.create_connection(("127.0.0.1", server.tcp_port), timeout=5):
        pass


def test_admin_cannot_read_or_write_host_files(server: ClickHouseServer) -> None:
    admin = server.admin_client()
    for statement in (
        "SELECT * FROM file('/etc/shadow', 'LineAsString')",
        "SELECT * FROM url('http://127.0.0.1:1/', 'LineAsString')",
        "INSERT INTO FUNCTION file('/tmp/atenciones-intruder.txt', 'LineAsString') VALUES ('x')",
    ):
        with pytest.raises(DatabaseError, match=r"ACCESS_DENIED|Not enough privileges"):
            admin.command(statement)


def test_state_files_are_private(server: ClickHouseServer) -> None:
    users = server.run_dir / "users.xml"
    assert users.stat().st_mode & 0o777 == 0o600
    for folder in (server.state_dir, server.run_dir, server.data_dir):
        assert folder.stat().st_mode & 0o777 == 0o700, folder


def test_writer_cannot_change_the_schema(server: ClickHouseServer) -> None:
    writer = client(server, "writer", WRITER_PASSWORD)
    for statement in (
        "DROP TABLE atenciones.attention_revisions",
        "CREATE TABLE atenciones.evil (a UInt8) ENGINE = Memory",
        "SELECT * FROM file('/etc/passwd', 'LineAsString')",
    ):
        with pytest.raises(DatabaseError):
            writer.command(statement)
