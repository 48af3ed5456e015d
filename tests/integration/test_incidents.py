"""Incident alerts through the real broker and ClickHouse: a cluster of "no water" calls from one
district opens exactly one alert, which grows, survives a kill -9 without doubling, ignores
commercial calls and re-sent attentions, and closes once time moves on without reopening for
late calls."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from kafka import KafkaConsumer

from clickhouse import queries
from local_stack.kafka import KafkaServer
from schemas.alert import AlertEvent
from streams.producer import AttentionProducer
from tests.fixtures.pipeline import (
    RunningPipeline,
    start_pipeline,
    start_worker,
    wait_for,
)

pytestmark = pytest.mark.timeout(300)
START = datetime.now(tz=UTC).replace(second=0, microsecond=0) - timedelta(hours=3)


def call(
    number: int, minutes: float, subtype: str = "falta_agua_zona", **extra: str
) -> dict[str, Any]:
    return {
        "attention_id": f"sjl-{number}",
        "occurred_at": (START + timedelta(minutes=minutes)).isoformat(),
        "office": "lima_callao",
        "channel": "telefonico",
        "case_type": "operacional" if subtype != "consumo_elevado" else "comercial",
        "case_subtype": subtype,
        "provider_scope": "eps",
        "provider": "sedapal",
        "provider_region": "lima",
        "district": "150132",
        **extra,
    }


def publish(running: RunningPipeline, events: list[dict[str, Any]]) -> None:
    with AttentionProducer(
        running.settings.kafka_bootstrap, running.settings.attentions_topic
    ) as producer:
        producer.publish(events)


def alerts(running: RunningPipeline) -> list[dict[str, Any]]:
    result = running.clickhouse.admin_client().query(
        "SELECT alert_id, status, peak_count, attentions, subtypes, version, opened_at "
        "FROM atenciones.alerts FINAL ORDER BY alert_id"
    )
    return [dict(zip(result.column_names, row, strict=True)) for row in result.result_rows]


def alert_events(running: RunningPipeline) -> list[dict[str, Any]]:
    consumer = KafkaConsumer(
        running.settings.alerts_topic,
        bootstrap_servers=running.settings.kafka_bootstrap,
        auto_offset_reset="earliest",
        consumer_timeout_ms=3000,
    )
    try:
        return [json.loads(record.value) for record in consumer]
    finally:
        consumer.close()


def test_a_cluster_of_no_water_calls_opens_one_alert_that_survives_a_kill(
    kafka: KafkaServer, tmp_path: Path
) -> None:
    running = start_pipeline(kafka, tmp_path, "incident")
    try:
        # two calls: nobody is paged; commercial calls never count
        publish(
            running,
            [call(1, 0), call(2, 3), *(call(90 + i, 4, "consumo_elevado") for i in range(6))],
        )
        # two more within ten minutes: improbable for a district expected at 0.1 calls an hour
        publish(running, [call(3, 6), call(4, 8), call(1, 0)])  # sjl-1 again: a re-send
        [opened] = wait_for(
            lambda: alerts(running), 90, "the alert", until=lambda rows: len(rows) == 1
        )
        assert opened["status"] == "open" and opened["attentions"] == 4
        # said within the delay target: 15 minutes of event time after the first call
        assert opened["opened_at"].replace(tzinfo=UTC) - START <= timedelta(minutes=15)
        assert opened["subtypes"] == {"falta_agua_zona": 4}
        running.worker.kill()
        running.worker = start_worker(kafka, tmp_path / "worker", **running.env)
        publish(running, [call(5, 9, "baja_presion"), call(6, 11)])
        [grown] = wait_for(lambda: alerts(running), 120, "the grown alert",
                           until=lambda rows: rows and rows[0]["attentions"] == 6)  # fmt: skip
        assert grown["alert_id"] == opened["alert_id"] and grown["status"] == "open"
        # another district, two hours later: the clock moves on, the quiet alert closes
        publish(running, [call(50, 130, district="150110")])
        [closed] = wait_for(lambda: alerts(running), 90, "the closed alert",
                            until=lambda rows: rows and rows[0]["status"] == "closed")  # fmt: skip
        assert closed["alert_id"] == opened["alert_id"]
        # late calls inside the closed alert's span neither reopen it nor open another; the
        # incident's calls published again (a replay) change nothing
        publish(running, [call(7, 12), call(8, 13), call(9, 14), call(10, 15)])
        publish(running, [call(1, 0), call(2, 3), call(3, 6), call(4, 8), call(6, 11)])
        wait_for(lambda: late_signals(running), 60, "the late calls judged", until=lambda n: n >= 4)
        # (the five republished calls, counted as duplicates by the restarted worker)
        wait_for(lambda: metric(running, 'atenciones_revision_outcomes_total{outcome="duplicate"}'),
                 60, "the replayed calls seen", until=lambda n: n >= 5)  # fmt: skip
        [after] = alerts(running)
        assert (after["alert_id"], after["attentions"]) == (opened["alert_id"], 6)
        events = [AlertEvent.model_validate(e) for e in alert_events(running)]  # the contract
        assert {e.alert_id for e in events} == {opened["alert_id"]}
        last = max(events, key=lambda e: e.version)
        assert last.status == "closed" and last.closed_at is not None and last.attentions == 6
        listed = cli(running, "alerts", "list", "--date", last.day.isoformat())
        assert listed.returncode == 0 and f"{last.alert_id}  closed" in listed.stdout
        shown = cli(running, "alerts", "show", last.alert_id)
        assert json.loads(shown.stdout)["attentions"] == 6
        missing = cli(running, "alerts", "show", "sedapal|150132|nope")
        assert missing.returncode == 1
        assert missing.stderr.strip() == "error: no alert 'sedapal|150132|nope' in ClickHouse"
        action = "La ODS pidió a Sedapal la causa del corte."
        opened_case = cli(running, "case", "open", "ODS-LIM-2024-0777",
                          "--from-alert", last.alert_id, "--action", action)  # fmt: skip
        assert opened_case.returncode == 0, opened_case.stderr
        client = running.clickhouse.admin_client()
        case = wait_for(lambda: queries.case_state(client, "ODS-LIM-2024-0777"), 60, "the case")
        assert (case["office"], case["region"], case["district"], case["ubigeo"]) == (
            "lima_callao", "lima", "San Juan De Lurigancho", "150132",
        )  # fmt: skip
        assert case["summary"].startswith("Alerta automática: 6 atenciones de falta de agua")
        assert last.alert_id in case["source"]
        # an outage injected into simulated traffic, at the district's floor times 200,000
        simulated = cli(running, "simulate", "--count", "40", "--rate", "40",
                        "--incident", "sedapal,150110,200000,60", "--seed", "3")  # fmt: skip
        assert simulated.returncode == 0, simulated.stderr
        said = re.search(r"incident sedapal\|150110: baseline ([0-9.]+)/h at this hour, "
                         r"injecting ([0-9.]+)/h for 60 min", simulated.stdout)  # fmt: skip
        assert said, simulated.stdout
        baseline, rate = float(said[1]), float(said[2])  # the floor, unless the week just began
        assert baseline >= 0.1 and rate == pytest.approx(200000 * baseline, rel=0.06)  # rounding
        injected = int(simulated.stdout.split(" of the incident")[0].rsplit("(", 1)[1])
        assert injected > 0
        wait_for(lambda: incident_rows(client), 60, "the injected attentions counted",
                 until=lambda n: n == injected)  # fmt: skip
    finally:
        running.stop()


def cli(running: RunningPipeline, *argv: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        **running.env,
        "ATENCIONES_KAFKA_BOOTSTRAP": running.settings.kafka_bootstrap,
    }
    return subprocess.run(
        [sys.executable, "-m", "atenciones.cli", *argv],
        env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


def incident_rows(client: Any) -> int:
    result = client.query(
        "SELECT count() FROM atenciones.attentions WHERE source = 'simulator' "
        "AND district = '150110' AND startsWith(attention_id, 'incident-')"
    )
    return int(result.result_rows[0][0])


def late_signals(running: RunningPipeline) -> float:
    """The worker's count of service-failure attentions too late to judge (/metrics)."""
    return metric(running, "atenciones_incident_late_signals_total")


def metric(running: RunningPipeline, name: str) -> float:
    """A counter of the worker's /metrics (its lines starting with `name`, summed)."""
    port = running.env["ATENCIONES_WORKER_WEB_PORT"]
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        text = response.read().decode()
    return sum(float(line.split()[-1]) for line in text.splitlines() if line.startswith(name))
