"""`atenciones publish`: valid records reach the topic keyed by id; rejects are reported, exit 1."""

from __future__ import annotations

import csv
import random
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest
from kafka import KafkaConsumer

from atenciones.cli import main
from foundation.settings import Settings, get_settings
from local_stack.kafka import KafkaServer
from streams.topics import ensure_topics, project_topics
from streams.traffic_mix import TrafficMix
from tests.fixtures.pipeline import unique_topics


@pytest.fixture
def topic_env(kafka: KafkaServer, monkeypatch: pytest.MonkeyPatch) -> Settings:
    topics = unique_topics("pub")
    monkeypatch.setenv("ATENCIONES_KAFKA_BOOTSTRAP", kafka.bootstrap)
    for name, value in topics.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    settings = get_settings()
    ensure_topics(kafka.bootstrap, project_topics(settings))
    yield settings
    get_settings.cache_clear()


def _consume(settings: Settings, expected: int) -> dict[bytes, dict]:  # type: ignore[type-arg]
    consumer = KafkaConsumer(
        settings.attentions_topic,
        bootstrap_servers=settings.kafka_bootstrap,
        auto_offset_reset="earliest",
        consumer_timeout_ms=5000,
    )
    seen = {}
    for record in consumer:
        seen[record.key] = orjson.loads(record.value)
        if len(seen) >= expected:
            break
    consumer.close()
    return seen


def test_jsonl_with_bad_lines_reports_and_exits_1(
    topic_env: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mix = TrafficMix(random.Random(3))
    events = [mix.event(datetime(2024, 11, 8, 15, tzinfo=UTC)) for _ in range(200)]
    lines = [orjson.dumps(e) for e in events]
    lines.insert(10, b"{not json")
    lines.insert(50, orjson.dumps({**events[0], "attention_id": "x", "office": "nowhere"}))
    source = tmp_path / "export.jsonl"
    source.write_bytes(b"\n".join(lines) + b"\n")

    assert main(["publish", str(source)]) == 1
    out = capsys.readouterr().out
    assert "sent: 200" in out and "rejected: 2" in out
    assert "invalid_json: 1" in out and "unknown_office: 1" in out
    seen = _consume(topic_env, 200)
    assert set(seen) == {e["attention_id"].encode() for e in events}
    assert all(seen[e["attention_id"].encode()]["office"] == e["office"] for e in events)


def test_csv_all_valid_exits_0(
    topic_env: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mix = TrafficMix(random.Random(4))
    events = [mix.event(datetime(2024, 11, 8, 15, tzinfo=UTC)) for _ in range(50)]
    columns = sorted({k for e in events for k in e} | {"revision", "voided"})
    source = tmp_path / "export.csv"
    with source.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        for event in events:
            writer.writerow({**event, "revision": "0", "voided": "false"})
    assert main(["publish", str(source)]) == 0
    assert "sent: 50" in capsys.readouterr().out
    assert len(_consume(topic_env, 50)) == 50


def test_bad_arguments_say_what_is_wrong(
    topic_env: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["publish", str(tmp_path / "missing.jsonl")]) == 2
    assert "no such file" in capsys.readouterr().err
    odd = tmp_path / "data.txt"
    odd.write_text("x")
    assert main(["publish", str(odd)]) == 2
    assert "--format" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["simulate", "--rate", "-3", "--count", "1"])
    assert "must be greater than 0" in capsys.readouterr().err
