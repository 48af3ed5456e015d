"""Every bad-input class reaches the dead-letter topic with its reason, through the real broker,
and the worker keeps running; the DLQ tools count, show and replay them."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from atenciones.cli import main
from foundation.settings import Settings, get_settings
from local_stack.kafka import KafkaServer
from schemas.dead_letter import MAX_LETTER_VALUE_BYTES
from schemas.reasons import ATTENTION_REASONS, Reason
from streams.dead_letters import read_dead_letters, replay, summarize
from streams.invalid_events import break_event
from streams.producer import AttentionProducer
from streams.topics import ensure_topics, project_topics
from tests.fixtures.pipeline import (
    clickhouse_env,
    expected_counts,
    start_pipeline_clickhouse,
    start_worker,
    unique_topics,
    wait_for,
    wait_for_counts,
)

VALID = {
    "attention_id": "dlq-valid-0",
    "occurred_at": "2024-11-08T10:15:00-05:00",
    "office": "piura",
    "channel": "whatsapp",
    "case_type": "comercial",
    "case_subtype": "consumo_elevado",
    "provider_scope": "eps",
    "provider": "eps_grau",
}


def _wait_for_letters(bootstrap: str, topic: str, expected: int, timeout: float = 90.0) -> list:  # type: ignore[type-arg]
    return wait_for(  # type: ignore[no-any-return]
        lambda: list(read_dead_letters(bootstrap, topic, timeout_s=2)),
        timeout, f"{expected} dead letters", until=lambda letters: len(letters) >= expected,
    )  # fmt: skip


@pytest.mark.timeout(240)
def test_every_invalid_class_lands_in_the_dlq_with_its_reason(
    kafka: KafkaServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    topics = unique_topics("att")
    settings = Settings(
        kafka_bootstrap=kafka.bootstrap,
        attentions_topic=topics["ATENCIONES_ATTENTIONS_TOPIC"],
        dlq_topic=topics["ATENCIONES_DLQ_TOPIC"],
    )
    ensure_topics(kafka.bootstrap, project_topics(settings))
    sent: dict[Reason, tuple[bytes | None, bytes]] = {}
    valid = []
    with AttentionProducer(kafka.bootstrap, settings.attentions_topic) as producer:
        for i, reason in enumerate(sorted(ATTENTION_REASONS)):
            event = {**VALID, "attention_id": f"dlq-{i}"}
            sent[reason] = break_event(event, reason)
            producer.send_raw(*sent[reason])
            valid.append({**VALID, "attention_id": f"ok-{i}"})
            producer.publish([valid[-1]])
        producer.flush()

    clickhouse = start_pipeline_clickhouse(tmp_path / "clickhouse")
    worker = start_worker(kafka, tmp_path / "worker", **topics, **clickhouse_env(clickhouse))
    try:
        letters = _wait_for_letters(kafka.bootstrap, settings.dlq_topic, len(sent))
        assert worker.running_pid() is not None, worker.log_tail(80)
        # The valid records around the bad ones were counted.
        expected = expected_counts(valid)
        assert wait_for_counts(clickhouse, expected) == expected
    finally:
        worker.stop(timeout=30)
        clickhouse.stop()

    assert len(letters) == len(sent), worker.log_tail(80)
    by_reason = {letter.reason: letter for letter in letters}
    assert set(by_reason) == ATTENTION_REASONS
    for reason, (key, value) in sent.items():
        letter = by_reason[reason]
        if len(value) > MAX_LETTER_VALUE_BYTES:  # kept as a bounded prefix, with its size
            assert (letter.key, letter.value) == (key, value[:MAX_LETTER_VALUE_BYTES]), reason
            assert letter.value_size == len(value) and letter.truncated
        else:
            assert (letter.key, letter.value) == (key, value), reason
            assert not letter.truncated
        assert letter.topic == settings.attentions_topic
        assert letter.message
    assert len({(lt.partition, lt.offset) for lt in letters}) == len(letters)
    assert summarize(letters) == {reason.value: 1 for reason in ATTENTION_REASONS}

    # Replay: records still invalid are kept back; a fixed one goes back to the attentions topic.
    unknown_office = by_reason[Reason.UNKNOWN_OFFICE]
    fixed = type(unknown_office)(
        **{
            **unknown_office.__dict__,
            "value": orjson.dumps({**orjson.loads(unknown_office.value or b"{}"), "office": "ica"}),
        }
    )
    with AttentionProducer(kafka.bootstrap, settings.attentions_topic) as producer:
        report = replay([*letters, fixed], producer)
    assert report.replayed == 1
    # the oversized record's letter keeps only a prefix: never replayed, even with --force
    assert report.truncated == 1
    assert sum(report.still_invalid.values()) == len(letters) - 1

    # The same through the CLI an operator uses.
    monkeypatch.setenv("ATENCIONES_KAFKA_BOOTSTRAP", kafka.bootstrap)
    for name, value in topics.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    try:
        assert main(["dlq", "stats"]) == 0
        out = capsys.readouterr().out
        assert f"dead letters: {len(ATTENTION_REASONS)}" in out and "unknown_office: 1" in out
        assert main(["dlq", "show", "--reason", "naive_timestamp"]) == 0
        assert "naive_timestamp" in capsys.readouterr().out
        assert main(["dlq", "replay", "--reason", "unknown_office"]) == 0
        assert "kept back, still unknown_office: 1" in capsys.readouterr().out
    finally:
        get_settings.cache_clear()
