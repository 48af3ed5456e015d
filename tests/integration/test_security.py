"""Hostile use: personal data smuggled into events never lands in ClickHouse; SQL-injection
strings given to the CLI and the shared queries are rejected or inert. (The ClickHouse users'
restrictions are in test_clickhouse_schema.py, the compose checks in tests/test_docker_compose.py.)
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import orjson
import pytest
from clickhouse_connect.driver.client import Client
from kafka import KafkaProducer

from atenciones.cli import main
from clickhouse import queries
from foundation.settings import Settings, get_settings
from local_stack.kafka import KafkaServer
from schemas.timestamps import LIMA, format_rfc3339
from tests.fixtures.pipeline import start_pipeline, wait_for

PERSONAL = {
    "name": "Rosa María Quispe",
    "dni": "45678912",
    "mobile": "987654321",
    "mobile_spaced": "912 345 678",
    "landline": "(01) 234-5678",
    "email": "rosa.quispe@correo.pe",
}
SNEAKY = ["Rosa María Quispe", "Quispe", "45678912", "987654321", "912 345 678", "234-5678",
          "rosa.quispe", "correo.pe"]  # fmt: skip


@pytest.fixture(scope="module")
def pipeline(
    kafka: KafkaServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Any]]:
    root = tmp_path_factory.mktemp("security")
    pipeline = start_pipeline(kafka, root, "sec")
    admin = pipeline.clickhouse.admin_client()
    try:
        yield {"settings": pipeline.settings, "admin": admin, "env": pipeline.env, "kafka": kafka}
    finally:
        pipeline.stop()


def _case(case_id: str, **changes: Any) -> dict[str, Any]:
    return {
        "case_id": case_id, "revision": 0,
        "reported_at": format_rfc3339(datetime(2024, 11, 8, 10, tzinfo=LIMA)),
        "office": "piura", "region": "piura", "province": "Piura", "district": "Castilla",
        "summary": "Desabastecimiento en el sector norte por rotura de tubería matriz.",
        "source": "Redes Sociales",
        "action": "SUNASS, a través de su ODS Piura, tomó conocimiento y monitorea el caso.",
        "status": "PENDIENTE", **changes,
    }  # fmt: skip


def _attention(attention_id: str, **extra: Any) -> dict[str, Any]:
    return {
        "attention_id": attention_id, "occurred_at": "2024-11-08T10:00:00-05:00",
        "office": "piura", "channel": "telefonico", "case_type": "informacion_general",
        "provider_scope": "eps", "provider": "eps_grau", **extra,
    }  # fmt: skip


def _string_columns(admin: Client) -> list[tuple[str, str]]:
    rows = admin.query(
        "SELECT table, name FROM system.columns WHERE database = 'atenciones' "
        "AND type LIKE '%String%' AND table IN (SELECT name FROM system.tables "
        "WHERE database = 'atenciones' AND engine NOT LIKE '%View%')"
    ).result_rows
    return [(str(t), str(c)) for t, c in rows]


def test_personal_data_never_reaches_clickhouse(pipeline: dict[str, Any]) -> None:
    settings: Settings = pipeline["settings"]
    admin: Client = pipeline["admin"]
    p = PERSONAL
    in_text = _case(
        "sec-pii-1",
        summary=f"La usuaria {p['name']} (DNI {p['dni']}) reporta falta de agua en su calle.",
        action=f"Se llamó a la ciudadana al {p['mobile']} y al {p['landline']}; respondió "
        f"desde {p['email']}. El Sr. {p['name']} confirmó.",
        source=f"Llamada del {p['mobile_spaced']}",
        province=f"Piura {p['dni']}",
    )
    unknown_in_case = {**_case("sec-pii-2"), "dni": p["dni"], "contacto": p["email"]}
    unknown_in_attention = _attention(
        "sec-att-1", nombre=p["name"], telefono=p["mobile"], email=p["email"], dni=p["dni"]
    )
    producer = KafkaProducer(bootstrap_servers=settings.kafka_bootstrap, acks="all")
    try:
        for topic, record, key in (
            (settings.relevant_cases_topic, in_text, "sec-pii-1"),
            (settings.relevant_cases_topic, unknown_in_case, "sec-pii-2"),
            (settings.attentions_topic, unknown_in_attention, "sec-att-1"),
            (settings.attentions_topic, _attention("sec-att-2"), "sec-att-2"),
        ):
            producer.send(topic, key=key.encode(), value=orjson.dumps(record))
        producer.flush()
    finally:
        producer.close()

    def landed() -> tuple[int, int, int]:
        """(dead letters, relevant cases, attentions) in ClickHouse."""
        return tuple(  # type: ignore[return-value]
            admin.query(f"SELECT count() FROM atenciones.{table}").result_rows[0][0]
            for table in ("dead_letters", "relevant_cases", "attentions")
        )

    wait_for(landed, 120, "2 dead letters, 1 case, 1 attention", until=lambda n: n == (2, 1, 1))
    stored = admin.query("SELECT summary, action, source, province FROM atenciones.relevant_cases")
    summary, action, source, province = stored.result_rows[0]
    assert "[nombre]" in summary and "[documento]" in summary
    assert action.count("[teléfono]") == 2 and "[correo]" in action
    assert source == "Llamada del [teléfono]" and province == "Piura [documento]"
    columns = _string_columns(admin)
    assert ("relevant_case_updates", "summary") in columns
    for table, column in columns:
        for value in SNEAKY:
            where = f"position(toString({column}), {{v:String}}) > 0"  # Map columns too
            hits = admin.query(
                f"SELECT count() FROM atenciones.{table} WHERE {where}", parameters={"v": value}
            ).result_rows[0][0]
            assert hits == 0, f"{value!r} found in {table}.{column}"


@pytest.mark.parametrize(
    "argv",
    [
        ["report", "--date", "2024-11-08' OR 1=1 --"],
        ["report", "--date", "2024-11-08; DROP TABLE atenciones.attention_revisions"],
        ["report", "--date", "2024-11-08", "--format", "json' OR '1'='1"],
    ],
)
def test_cli_rejects_injection_in_report_arguments(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    assert "error: argument" in capsys.readouterr().err


def test_injection_strings_are_inert_in_cli_and_queries(
    pipeline: dict[str, Any], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    admin: Client = pipeline["admin"]
    tables_before = admin.query("SELECT name FROM system.tables WHERE database = 'atenciones'")
    hostile = [
        "x' OR '1'='1",
        "'; DROP TABLE atenciones.relevant_case_updates; --",
        "x\\' OR 1=1 --",
        "sec-pii-1' UNION SELECT name FROM system.users --",
    ]
    for value in hostile:
        assert queries.case_state(admin, value) is None
        assert queries.cases_with_same_summary(admin, value, value) == []
    for key, value in {
        **pipeline["env"],
        "ATENCIONES_KAFKA_BOOTSTRAP": pipeline["kafka"].bootstrap,
    }.items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()
    try:
        for value in hostile:
            code = main(["case", "update", value, "--action", "Acción de prueba suficiente."])
            assert code == 1
            assert "error: invalid_case_id" in capsys.readouterr().err  # refused, never sent
    finally:
        get_settings.cache_clear()
    tables_after = admin.query("SELECT name FROM system.tables WHERE database = 'atenciones'")
    assert tables_after.result_rows == tables_before.result_rows


def test_shared_queries_only_use_server_side_parameters() -> None:
    placeholder = re.compile(r"\{(\w+):([A-Za-z0-9()]+)\}")
    for name in dir(queries):
        sql = getattr(queries, name)
        if not (name.isupper() and isinstance(sql, str)):
            continue
        assert "{" not in placeholder.sub("", sql), name  # no Python formatting left over
        assert "%s" not in sql and "%(" not in sql, name
