"""Relevant cases through the real broker and ClickHouse: open, update twice, finalize, reopen;
state and history right; a replay changes nothing; a copied summary is flagged."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import orjson
import pytest
from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from atenciones.case_commands import open_case, update_case
from clickhouse import queries
from foundation.settings import REPO_ROOT
from local_stack.kafka import KafkaServer
from streams.dead_letters import read_dead_letters, replay
from streams.producer import AttentionProducer
from tests.integration.conftest import start_pipeline, start_worker, worker_env
from tests.integration.pipeline_helpers import wait_for_group_caught_up
from tests.readme_examples import readme_examples

FIELDS: dict[str, Any] = {
    "case_id": "ODS-ICA-2024-0999",
    "office": "ica",
    "region": "ica",
    "province": "Nasca",
    "district": "Nasca",
    "summary": "Aniego de aguas servidas en la calle José María Mejía.",
    "source": "Nasca Informa",
    "action": "La ODS Ica se comunicó con la EPS para atender el aniego.",
}


def wait_for(check: Any, timeout: float = 60) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.5)
    raise AssertionError("timed out")


@pytest.mark.timeout(300)
def test_case_lifecycle_and_replay(kafka: KafkaServer, tmp_path: Path) -> None:
    pipeline = start_pipeline(kafka, tmp_path, "cases")
    clickhouse, settings, worker = pipeline.clickhouse, pipeline.settings, pipeline.worker
    client = clickhouse.admin_client()
    producer = KafkaProducer(bootstrap_servers=kafka.bootstrap, acks="all")
    topic = settings.relevant_cases_topic

    def updates() -> int:
        state = queries.case_state(client, FIELDS["case_id"])
        return int(state["updates"]) if state else 0

    try:
        open_case(client, producer, topic, FIELDS)
        wait_for(lambda: updates() == 1)
        statuses = [None, "FINALIZADO", "PENDIENTE"]
        actions = [
            "Se verificó el desatoro.",
            "Se confirmó la limpieza.",
            "Nuevo aniego: se reabre el caso.",
        ]
        update_case(
            client,
            producer,
            topic,
            FIELDS["case_id"],
            {"action": "La EPS inició el desatoro de la red."},
        )
        wait_for(lambda: updates() == 2)
        for expected, (status, action) in enumerate(zip(statuses, actions, strict=True), start=3):
            update_case(
                client, producer, topic, FIELDS["case_id"], {"action": action, "status": status}
            )
            wait_for(lambda expected=expected: updates() == expected)
        state = queries.case_state(client, FIELDS["case_id"])
        assert state is not None
        assert state["status"] == "PENDIENTE" and state["action"] == actions[-1]
        history = client.query(
            "SELECT status FROM atenciones.relevant_case_updates FINAL "
            "WHERE case_id = {c:String} ORDER BY revision",
            parameters={"c": FIELDS["case_id"]},
        ).result_rows
        assert [row[0] for row in history] == [
            "PENDIENTE",
            "PENDIENTE",
            "PENDIENTE",
            "FINALIZADO",
            "PENDIENTE",
        ]
        # Another case with the same summary is flagged (the seed's Loreto/Nasca copy).
        copy = {**FIELDS, "case_id": "ODS-LOR-2024-0999", "office": "loreto", "region": "loreto"}
        result = open_case(client, producer, topic, copy)
        assert result.same_summary == [FIELDS["case_id"]]
        wait_for(lambda: queries.duplicated_summaries(client))
        # An invalid update goes to the dead-letter topic with its reason; the worker goes on.
        producer.send(topic, key=b"ODS-X", value=b'{"case_id": "ODS-X", "status": "CERRADO"}').get(
            10
        )
        letters = wait_for(
            lambda: [
                letter
                for letter in read_dead_letters(kafka.bootstrap, settings.dlq_topic, timeout_s=2)
                if letter.topic == topic
            ]
        )
        assert letters[0].reason.value == "missing_field" and letters[0].key == b"ODS-X"
        assert worker.running_pid() is not None
        # A case-only reason, to tell a case validation from an attention one in the replay.
        bad_region = {**FIELDS, "case_id": "ODS-Y", "region": "atlantida", "status": "PENDIENTE",
                      "reported_at": "2024-11-08T10:00:00-05:00"}  # fmt: skip
        producer.send(topic, key=b"ODS-Y", value=orjson.dumps(bad_region)).get(10)
        letters = wait_for(
            lambda: (
                found
                if len(
                    found := [
                        letter
                        for letter in read_dead_letters(kafka.bootstrap, settings.dlq_topic, 2)
                        if letter.topic == topic
                    ]
                )
                == 2
                else None
            )
        )
        _replay_goes_back_to_the_cases_topic(kafka, settings, letters)
    finally:
        worker.stop(timeout=30)
    # A replay of the whole topic by another consumer group changes nothing.
    replayer = start_worker(kafka, tmp_path / "replay", **pipeline.env)
    group = worker_env(kafka, tmp_path / "replay", **pipeline.env)["ATENCIONES_WORKER_APP_ID"]
    try:
        wait_for_group_caught_up(kafka.bootstrap, group, topic)
        count = client.query(
            "SELECT count() FROM atenciones.relevant_case_updates FINAL"
        ).result_rows[0][0]
        assert count == 6
        assert queries.case_state(client, FIELDS["case_id"])["status"] == "PENDIENTE"  # type: ignore[index]
    finally:
        replayer.stop(timeout=30)
        producer.close()
        clickhouse.stop()


def _end_offset(bootstrap: str, topic: str) -> int:
    consumer = KafkaConsumer(bootstrap_servers=bootstrap)
    try:
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or []]
        return sum(consumer.end_offsets(partitions).values())
    finally:
        consumer.close()


def _replay_goes_back_to_the_cases_topic(kafka: KafkaServer, settings: Any, letters: Any) -> None:
    """Case letters are validated as cases and replayed into the cases topic, never attentions."""
    with AttentionProducer(kafka.bootstrap, settings.attentions_topic) as producer:
        kept = replay(letters, producer, cases_topic=settings.relevant_cases_topic)
    assert kept.replayed == 0
    assert dict(kept.still_invalid) == {"missing_field": 1, "unknown_region": 1}
    before = {
        t: _end_offset(kafka.bootstrap, t)
        for t in (settings.attentions_topic, settings.relevant_cases_topic)
    }
    with AttentionProducer(kafka.bootstrap, settings.attentions_topic) as producer:
        forced = replay(letters, producer, force=True, cases_topic=settings.relevant_cases_topic)
    assert forced.replayed == 2
    assert (
        _end_offset(kafka.bootstrap, settings.attentions_topic) == before[settings.attentions_topic]
    )
    assert (
        _end_offset(kafka.bootstrap, settings.relevant_cases_topic)
        == before[settings.relevant_cases_topic] + 2
    )


def test_the_readme_case_example_runs_as_written(kafka: KafkaServer, tmp_path: Path) -> None:
    pipeline = start_pipeline(kafka, tmp_path, "readme-cases")
    env = worker_env(kafka, tmp_path / "cli", **pipeline.env)
    client = pipeline.clickhouse.admin_client()
    commands = [["atenciones", *e.argv] for e in readme_examples() if e.argv[0] == "case"]
    assert [c[:3] for c in commands] == [["atenciones", "case", "open"],
                                         ["atenciones", "case", "update"]]  # fmt: skip
    case_id = commands[0][3]
    try:
        for number, argv in enumerate(commands, start=1):
            result = subprocess.run(
                [sys.executable, "-m", "atenciones.cli", *argv[1:]], cwd=REPO_ROOT, env=env,
                capture_output=True, text=True, timeout=120, check=False,
            )  # fmt: skip
            assert result.returncode == 0, result.stderr
            wait_for(
                lambda n=number: (
                    (s := queries.case_state(client, case_id)) is not None
                    and int(s["updates"]) == n
                )
            )
        state = queries.case_state(client, case_id)
        assert state is not None and state["status"] == "FINALIZADO"
    finally:
        pipeline.stop()
