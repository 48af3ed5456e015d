"""The publish, simulate and dead-letter examples of schemas/README.md, run as written against a
real pipeline (the case examples run in test_relevant_cases.py)."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest
from clickhouse_connect.driver.client import Client
from kafka import KafkaProducer

from local_stack.kafka import KafkaServer
from streams.dead_letters import read_dead_letters
from tests.fixtures.pipeline import start_pipeline, wait_for, worker_env
from tests.readme_examples import readme_examples

pytestmark = pytest.mark.timeout(300)

EXPORTED = 5


def export_records(now: datetime) -> list[dict[str, object]]:
    return [
        {
            "attention_id": f"readme-{number}",
            "occurred_at": (now - timedelta(minutes=number)).isoformat(),
            "office": "piura",
            "channel": "telefonico",
            "case_type": "informacion_general",
            "provider_scope": "rural",
        }
        for number in range(EXPORTED)
    ]


def test_the_readme_publish_simulate_and_dlq_examples_run_as_written(
    kafka: KafkaServer, tmp_path: Path
) -> None:
    examples = [e.argv for e in readme_examples() if e.argv[0] in {"publish", "simulate", "dlq"}]
    assert [argv[:2] for argv in examples] == [
        ("publish", "export.jsonl"), ("simulate", "--rate"),
        ("dlq", "stats"), ("dlq", "show"), ("dlq", "replay"),
    ]  # fmt: skip
    pipeline = start_pipeline(kafka, tmp_path, "readme")
    env = worker_env(kafka, tmp_path / "cli", **pipeline.env)
    admin = pipeline.clickhouse.admin_client()
    workdir = tmp_path / "work"
    workdir.mkdir()
    now = datetime.now(UTC)
    (workdir / "export.jsonl").write_bytes(b"\n".join(map(orjson.dumps, export_records(now))))
    # a producer other than the CLI sends a record the catalogs refuse (the README's example
    # of a dead letter); the worker must dead-letter it
    unknown = {**export_records(now)[0], "attention_id": "readme-x", "office": "atlantida"}
    producer = KafkaProducer(bootstrap_servers=kafka.bootstrap, acks="all")
    producer.send(pipeline.settings.attentions_topic, key=b"readme-x", value=orjson.dumps(unknown))
    producer.close()

    outputs = {}
    try:
        for argv in examples:
            result = subprocess.run(
                [sys.executable, "-m", "atenciones.cli", *argv], cwd=workdir, env=env,
                capture_output=True, text=True, timeout=120, check=False,
            )  # fmt: skip
            assert result.returncode == 0, (argv, result.stdout, result.stderr)
            assert "Traceback" not in result.stderr
            outputs[argv[:2]] = result.stdout
            if argv[0] == "publish":
                wait_for(lambda: dead_letters(pipeline.settings.dlq_topic, kafka) == 1)
        simulated = int(outputs[("simulate", "--rate")].split()[1])
        assert simulated > 0
        wait_for(lambda: counted(admin) == EXPORTED + simulated, timeout=90)
        assert "unknown_office: 1" in outputs[("dlq", "stats")]
        assert "readme-x" in outputs[("dlq", "show")]
        assert "kept back, still unknown_office: 1" in outputs[("dlq", "replay")]
    finally:
        pipeline.stop()


def counted(client: Client) -> int:
    return int(client.command("SELECT sum(attentions) FROM atenciones.daily_counts"))  # type: ignore[arg-type]


def dead_letters(topic: str, kafka: KafkaServer) -> int:
    return len(list(read_dead_letters(kafka.bootstrap, topic)))
