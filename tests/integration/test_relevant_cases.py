"""Relevant cases through the real broker and ClickHouse: open, update twice, finalize, reopen;
state and history right; a replay changes nothing; a copied summary is flagged."""

from __future__ import annotations

import subprocess
import sys
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
from tests.fixtures.pipeline import (
    start_pipeline,
    start_worker,
    wait_for,
    wait_for_group_caught_up,
    worker_env,
)
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
        # Sent back to back, nothing waited for or read: the worker merges each update into
        # the case (an update gives only the action and, here, the status).
        open_case(producer, topic, FIELDS)
        statuses = [None, None, "FINALIZADO", "PENDIENTE"]
        actions = [
            "La EPS inició el desatoro de la red.",
            "Se verificó el desatoro.",
            "Se confirmó la limpieza.",
            "Nuevo aniego: se reabre el caso.",
        ]
        for status, action in zip(statuses, actions, strict=True):
            update_case(producer, topic, FIELDS["case_id"], {"action": action, "status": status})
        wait_for(lambda: updates() == 5)
        state = queries.case_state(client, FIELDS["case_id"])
        assert state is not None
        assert state["status"] == "PENDIENTE" and state["action"] == actions[-1]
        assert (state["summary"], state["district"]) == (FIELDS["summary"], FIELDS["district"])
        history = client.query(
            "SELECT status, summary, province FROM atenciones.relevant_case_updates FINAL "
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
        assert {row[1:] for row in history} == {(FIELDS["summary"], FIELDS["province"])}
        # Another case with the same summary is flagged (the seed's Loreto/Nasca copy).
        copy = {**FIELDS, "case_id": "ODS-LOR-2024-0999", "office": "loreto", "region": "loreto"}
        copied = open_case(producer, topic, copy)
        wait_for(lambda: queries.duplicated_summaries(client))
        assert copied.summary is not None
        assert queries.cases_with_same_summary(client, copied.case_id, copied.summary) == [
            FIELDS["case_id"]
        ]
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


@pytest.mark.timeout(300)
def test_an_update_of_an_unknown_case_and_a_second_open_are_dead_lettered(
    kafka: KafkaServer, tmp_path: Path
) -> None:
    pipeline = start_pipeline(kafka, tmp_path, "case-merge")
    client = pipeline.clickhouse.admin_client()
    producer = KafkaProducer(bootstrap_servers=kafka.bootstrap, acks="all")
    topic, dlq = pipeline.settings.relevant_cases_topic, pipeline.settings.dlq_topic
    try:
        open_case(producer, topic, FIELDS)
        update_case(producer, topic, "ODS-ICA-2024-1000", {"action": "Se revisó la tubería."})
        open_case(producer, topic, {**FIELDS, "summary": "Otro aniego en la misma calle."})
        letters = wait_for(
            lambda: (
                found
                if len(found := [x for x in read_dead_letters(kafka.bootstrap, dlq, 2)]) == 2
                else None
            )
        )
        assert {(x.key, x.reason.value) for x in letters} == {
            (b"ODS-ICA-2024-1000", "unknown_case"),
            (FIELDS["case_id"].encode(), "case_exists"),
        }
        state = queries.case_state(client, FIELDS["case_id"])
        assert state is not None and int(state["updates"]) == 1
        assert state["summary"] == FIELDS["summary"]
        assert queries.case_state(client, "ODS-ICA-2024-1000") is None
        assert pipeline.worker.running_pid() is not None
    finally:
        producer.close()
        pipeline.stop()


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
