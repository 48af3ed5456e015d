"""The provisioned Grafana alert rule on the incident alerts: the file is what the code writes,
its query chain is whole (A: ClickHouse, B: reduce A, C: threshold on B), its contact point is
routed and set from the environment, docker-compose mounts it, and its SQL, run on an embedded
ClickHouse, gives one labelled instance per open alert and none once they close."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import yaml

from clickhouse.writer import AlertRow
from foundation.settings import REPO_ROOT
from grafana import alerting
from grafana.boards import FOLDER_TITLE
from grafana.clickhouse_query import DATASOURCE_UID
from grafana.generate import ALERTING_FILE, GRAFANA_DIR
from tests.fixtures.in_process_clickhouse import InProcessClickHouse


def committed() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((GRAFANA_DIR / ALERTING_FILE).read_text("utf-8"))
    return document


def test_the_rule_chain_reads_clickhouse_and_fires_on_any_open_alert() -> None:
    document = committed()
    (group,) = document["groups"]
    (rule,) = group["rules"]
    assert group["folder"] == FOLDER_TITLE
    assert rule["uid"] == alerting.RULE_UID and rule["condition"] == "C"
    steps = {step["refId"]: step for step in rule["data"]}
    assert steps["A"]["datasourceUid"] == DATASOURCE_UID
    assert steps["A"]["model"]["rawSql"] == " ".join(alerting.OPEN_ALERTS_SQL.split())
    assert (steps["B"]["model"]["type"], steps["B"]["model"]["expression"]) == ("reduce", "A")
    threshold = steps["C"]["model"]
    assert (threshold["type"], threshold["expression"]) == ("threshold", "B")
    assert threshold["conditions"][0]["evaluator"] == {"type": "gt", "params": [0]}
    assert (rule["noDataState"], rule["execErrState"]) == ("OK", "Error")
    assert "$" not in json_text(rule["labels"])  # labels are env-interpolated by Grafana


def test_the_contact_point_is_a_routed_placeholder_from_the_environment() -> None:
    document = committed()
    (contact,) = document["contactPoints"]
    (policy,) = document["policies"]
    assert policy["receiver"] == contact["name"]
    (receiver,) = contact["receivers"]
    assert receiver["settings"]["addresses"] == "$ATENCIONES_ALERT_EMAILS"
    compose = yaml.safe_load((REPO_ROOT / "docker-compose.yml").read_text("utf-8"))
    grafana = compose["services"]["grafana"]
    assert "ATENCIONES_ALERT_EMAILS" in grafana["environment"]
    mount = f"./grafana/{ALERTING_FILE.parent}:/etc/grafana/{ALERTING_FILE.parent}:ro"
    assert mount in grafana["volumes"]


def json_text(value: object) -> str:
    return yaml.safe_dump(value)


@pytest.fixture
def alerts(in_process_clickhouse: InProcessClickHouse) -> Iterator[InProcessClickHouse]:
    in_process_clickhouse.command("TRUNCATE TABLE atenciones.alerts")
    yield in_process_clickhouse
    in_process_clickhouse.command("TRUNCATE TABLE atenciones.alerts")


def version(place: str, status: str, attentions: int, number: int) -> AlertRow:
    start = datetime(2024, 11, 8, 13, tzinfo=UTC)
    return AlertRow(
        f"eps_grau|{place}|{start.isoformat()}", "eps_grau", place, status, date(2024, 11, 8),
        start, start + timedelta(minutes=15), start + timedelta(minutes=20 * number),
        start + timedelta(hours=2) if status == "closed" else None, attentions, 60, 0.3,
        attentions, {"falta_agua_zona": attentions}, {"telefonico": attentions}, number,
    )  # fmt: skip


def instances(database: InProcessClickHouse) -> list[tuple[str, str, float]]:
    result = database.query(alerting.OPEN_ALERTS_SQL)
    assert result.column_names == ["alert_id", "provider", "place", "value"]
    return sorted((row[1], row[2], row[3]) for row in result.result_rows)


def test_one_instance_per_open_alert_at_its_latest_version(alerts: InProcessClickHouse) -> None:
    columns = list(AlertRow._fields)
    alerts.insert("atenciones.alerts", [version("200701", "open", 6, 1)], columns)
    alerts.insert("atenciones.alerts", [version("200701", "open", 9, 2)], columns)
    alerts.insert("atenciones.alerts", [version("200702", "open", 5, 1)], columns)
    assert instances(alerts) == [("eps_grau", "200701", 9.0), ("eps_grau", "200702", 5.0)]
    alerts.insert("atenciones.alerts", [version("200701", "closed", 11, 3)], columns)
    assert instances(alerts) == [("eps_grau", "200702", 5.0)]
