"""The worker's failure semantics through the real broker and ClickHouse (issue "Never lose an
event, never stall"): poison values, refused rows, oversize records, a stop while the sink is
stalled, producers with other partitioners, a health page that tells the truth, supervision."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from foundation.processes import free_port, http_json
from foundation.settings import REPO_ROOT
from local_stack.clickhouse import ClickHouseServer
from local_stack.kafka import KafkaServer
from schemas.dead_letter import MAX_LETTER_VALUE_BYTES
from streams.dead_letters import read_dead_letters
from streams.producer import AttentionProducer
from tests.fixtures.pipeline import (
    Crc32Partitioner,
    RunningPipeline,
    clickhouse_counts,
    clickhouse_grouped_rows,
    crc32_partition,
    expected_counts,
    scenario,
    start_pipeline,
    start_worker,
    wait_for,
    wait_for_counts,
    worker_env,
)

pytestmark = pytest.mark.timeout(300)


@pytest.fixture
def pipeline(kafka: KafkaServer, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Any]:
    running = start_pipeline(kafka, tmp_path, request.node.name[:20].replace("_", "-"))
    yield running
    running.stop()


def _admin(server: ClickHouseServer) -> Any:
    return server.admin_client()


def _dead_letter_rows(server: ClickHouseServer) -> list[tuple[Any, ...]]:
    client = _admin(server)
    try:
        return [
            tuple(row)
            for row in client.query(
                "SELECT topic, partition, offset, reason "
                "FROM atenciones.dead_letters ORDER BY offset"
            ).result_rows
        ]
    finally:
        client.close()


def _run(argv: list[str], env: dict[str, str], timeout: float) -> Any:
    return subprocess.run(
        argv, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


def _publish(bootstrap: str, topic: str, events: list[dict[str, Any]], **overrides: Any) -> None:
    with AttentionProducer(bootstrap, topic, **overrides) as producer:
        report = producer.publish(events)
    assert not report.rejected, report.rejected[:3]


def test_poison_numbers_and_refused_rows_are_dead_lettered_and_the_rest_flows(
    kafka: KafkaServer, pipeline: RunningPipeline
) -> None:
    settings = pipeline.settings
    stream = scenario(300, seed=12)
    # ClickHouse refuses one valid attention (a constraint stands for any value it cannot hold):
    # that record alone must be dead-lettered, every other record of its batch counted.
    admin = _admin(pipeline.clickhouse)
    admin.command(
        "ALTER TABLE atenciones.attention_revisions "
        "ADD CONSTRAINT refuse_one CHECK attention_id != 's12-7'"
    )
    admin.close()
    poison = [
        {**stream[1], "attention_id": "poison-rev", "revision": 2**32},
        {**stream[2], "attention_id": "poison-rev-huge", "revision": 10**30},
    ]
    case = {
        "case_id": "POISON-1", "revision": 1, "reported_at": "2024-11-08T10:00:00-05:00",
        "office": "piura", "region": "piura", "province": "Talara", "district": "Pariñas",
        "summary": "Corte de agua.", "source": "ODS Piura", "action": "Se coordinó.",
        "status": "PENDIENTE", "affected_users": 2**32,
    }  # fmt: skip
    with AttentionProducer(kafka.bootstrap, settings.attentions_topic) as producer:
        producer.publish(stream[:150])
        for record in poison:
            producer.send_raw(record["attention_id"].encode(), json.dumps(record).encode())
        producer.publish(stream[150:])
        producer.flush()
    with AttentionProducer(kafka.bootstrap, settings.relevant_cases_topic) as producer:
        producer.send_raw(b"POISON-1", orjson.dumps(case))
        producer.flush()

    expected = expected_counts([r for r in stream if r["attention_id"] != "s12-7"])
    seen = wait_for_counts(pipeline.clickhouse, expected)
    assert seen == expected, pipeline.worker.log_tail(60)
    rows = wait_for(
        lambda: _dead_letter_rows(pipeline.clickhouse),
        60,
        "four dead letters in ClickHouse",
        until=lambda found: len(found) >= 4,
    )
    reasons = sorted(row[3] for row in rows)
    # 2**32 does not fit UInt32; 10**30 is read as a float by the JSON parser (wrong type).
    assert reasons == ["out_of_range", "out_of_range", "sink_rejected", "wrong_type"], rows
    assert len(rows) == 4  # each once
    letters = list(read_dead_letters(kafka.bootstrap, settings.dlq_topic, timeout_s=3))
    assert sorted(letter.reason.value for letter in letters) == reasons
    refused = next(letter for letter in letters if letter.reason.value == "sink_rejected")
    assert refused.key == b"s12-7" and "refuse_one" in refused.message
    code, body = http_json(pipeline.health_url)
    assert code == 200 and body["status"] == "ok", body


def test_oversize_records_keep_a_bounded_prefix_and_valid_neighbours_count(
    kafka: KafkaServer, pipeline: RunningPipeline
) -> None:
    settings = pipeline.settings
    stream = scenario(100, seed=13)
    sizes = [800_000, 1_048_576, 5_000_000, 10_000_000]
    # lz4 shrinks the padding far below the broker's 1 MiB limit, so the records reach the topic
    # whole, as a careless producer with compression would send them.
    big = AttentionProducer(
        kafka.bootstrap, settings.attentions_topic, max_request_size=32 * 1024 * 1024
    )
    with big:
        for i, size in enumerate(sizes):
            big.publish(stream[i * 20 : (i + 1) * 20])
            head = orjson.dumps({**stream[0], "attention_id": f"big-{i}"})[:-1] + b', "pad": "'
            big.send_raw(f"big-{i}".encode(), head + b"x" * (size - len(head) - 2) + b'"}')
        big.publish(stream[80:])
        big.flush()
    expected = expected_counts(stream)
    assert wait_for_counts(pipeline.clickhouse, expected) == expected, pipeline.worker.log_tail(60)
    letters = wait_for(
        lambda: list(read_dead_letters(kafka.bootstrap, settings.dlq_topic, 3)),
        60,
        "four dead letters",
        until=lambda found: len(found) >= 4,
    )
    assert len(letters) == 4
    by_key = {letter.key: letter for letter in letters}
    for i, size in enumerate(sizes):
        letter = by_key[f"big-{i}".encode()]
        assert letter.reason.value == "oversized_payload"
        assert letter.value_size == size
        assert letter.value is not None and len(letter.value) == MAX_LETTER_VALUE_BYTES
    assert len(_dead_letter_rows(pipeline.clickhouse)) == 4


def test_a_stop_while_clickhouse_is_down_loses_nothing(
    kafka: KafkaServer, pipeline: RunningPipeline, tmp_path: Path
) -> None:
    """A graceful stop while a batch waits on ClickHouse: the stop ends by itself after its grace
    (it used to wait for the batch until SIGKILL), and the batch in hand is not committed (Faust's
    take_events acked it on the way out, and the stop committed it)."""
    settings = pipeline.settings
    first, second = scenario(200, seed=14), scenario(100, seed=15)
    _publish(kafka.bootstrap, settings.attentions_topic, first)
    assert wait_for_counts(pipeline.clickhouse, expected_counts(first)) == expected_counts(first)
    pipeline.clickhouse.stop()
    _publish(kafka.bootstrap, settings.attentions_topic, second)
    log = pipeline.worker.log_file
    wait_for(lambda: "ClickHouse write failed" in log.read_text(errors="replace"), 60, "a retry")
    assert pipeline.worker.stop(timeout=45)
    assert pipeline.worker.exited_early() == 0, pipeline.worker.log_tail(40)  # not SIGKILLed
    assert "are not committed; they are read again" in log.read_text(errors="replace")
    pipeline.clickhouse.start()
    pipeline.worker = start_worker(kafka, tmp_path / "worker", **pipeline.env)
    expected = expected_counts(first + second)
    assert wait_for_counts(pipeline.clickhouse, expected) == expected, pipeline.worker.log_tail(60)


def test_counts_do_not_depend_on_the_producers_partitioner(
    kafka: KafkaServer, pipeline: RunningPipeline
) -> None:
    settings = pipeline.settings
    stream = scenario(300, seed=16)
    originals, revisions = stream[:300], stream[300:]
    moved = sum(
        1
        for r in originals
        if crc32_partition(r["attention_id"].encode(), 6)
        != _murmur_partition(r["attention_id"].encode())
    )
    assert moved > 100  # most keys land elsewhere under CRC32
    _publish(kafka.bootstrap, settings.attentions_topic, originals, partitioner=Crc32Partitioner())
    _publish(kafka.bootstrap, settings.attentions_topic, revisions[::2])  # murmur2
    _publish(
        kafka.bootstrap, settings.attentions_topic, revisions[1::2], partitioner=Crc32Partitioner()
    )
    expected = expected_counts(stream)
    assert wait_for_counts(pipeline.clickhouse, expected) == expected, pipeline.worker.log_tail(60)
    assert clickhouse_grouped_rows(pipeline.clickhouse) == clickhouse_counts(pipeline.clickhouse)


def _murmur_partition(key: bytes) -> int:
    from agents.admission import key_partition  # noqa: PLC0415

    return key_partition(key, 6)


def test_health_fails_while_the_sink_fails_and_the_worker_exits_after_the_retry_limit(
    kafka: KafkaServer, tmp_path: Path
) -> None:
    running = start_pipeline(kafka, tmp_path, "health")
    try:
        worker_log = running.worker.log_file
        running.worker.stop(timeout=30)
        port = free_port()
        extra = {
            **running.env,
            "ATENCIONES_WORKER_WEB_PORT": str(port),
            "ATENCIONES_HEALTH_SINK_FAILING_S": "2",
            "ATENCIONES_SINK_RETRY_S": "6",
        }
        running.worker = start_worker(kafka, tmp_path / "worker", **extra)
        url = f"http://127.0.0.1:{port}/health"
        wait_for(lambda: http_json(url)[0] == 200, 90, "a healthy worker")
        running.clickhouse.stop()
        _publish(kafka.bootstrap, running.settings.attentions_topic, scenario(20, seed=17))
        _, body = wait_for(lambda: http_json(url), 30, "health 503", until=lambda r: r[0] == 503)
        assert any("ClickHouse writes failing" in p for p in body["problems"]), body
        # After the retry limit the worker stops by itself (its supervisor would restart it),
        # with a non-zero exit and the reason in its log.
        assert running.worker.wait_exit(60), worker_log.read_text()[-2000:]
        assert running.worker.exited_early() not in (None, 0)
        assert "SinkUnavailable" in worker_log.read_text(errors="replace")
    finally:
        running.stop()


class Blackhole:
    """A server that accepts connections and never answers (a hung ClickHouse)."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.held: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                self.held.append(self.listener.accept()[0])
            except OSError:
                return

    def close(self) -> None:
        self.listener.close()
        for held in self.held:
            held.close()


def test_a_batch_stuck_past_its_deadline_stops_the_worker_and_says_where(
    kafka: KafkaServer, tmp_path: Path
) -> None:
    running = start_pipeline(kafka, tmp_path, "stuck")
    blackhole = Blackhole()
    try:
        running.worker.stop(timeout=30)
        extra = {
            **running.env,
            "ATENCIONES_CLICKHOUSE_HTTP_PORT": str(blackhole.port),
            "ATENCIONES_SINK_RETRY_S": "1",
            "ATENCIONES_WORKER_BATCH_TIMEOUT_S": "3",
        }
        running.worker = start_worker(kafka, tmp_path / "worker", **extra)
        _publish(kafka.bootstrap, running.settings.attentions_topic, scenario(20, seed=5))
        # The ClickHouse write waits for an answer that never comes (the driver's own read
        # timeout is a minute): the watchdog stops the worker at 3 s with exit code 75 and
        # logs where the batch was waiting.
        assert running.worker.wait_exit(90), running.worker.log_file.read_text()[-2000:]
        assert running.worker.exited_early() == 75
        log = running.worker.log_file.read_text(errors="replace")
        assert "batch past its 3 s deadline: attentions" in log
        assert "agents/sink.py" in log and "process_batch" in log
    finally:
        blackhole.close()
        running.stop()


def test_supervised_worker_comes_back_after_kill_and_start_refuses_a_taken_port(
    kafka: KafkaServer, tmp_path: Path
) -> None:
    running = start_pipeline(kafka, tmp_path, "supervised")
    running.worker.stop(timeout=30)
    port = free_port()
    state = tmp_path / "supervised-state"
    env_on_port = {**running.env, "ATENCIONES_WORKER_WEB_PORT": str(port)}
    env = worker_env(kafka, state, **env_on_port)
    agents = [sys.executable, "-m", "local_stack.worker"]
    try:
        started = _run([*agents, "start"], env, timeout=180)
        assert started.returncode == 0, started.stdout + started.stderr
        status = orjson.loads((state / "worker" / "supervisor.json").read_bytes())
        os.kill(status["worker_pid"], signal.SIGKILL)
        url = f"http://127.0.0.1:{port}/health"
        wait_for(
            lambda: orjson.loads((state / "worker" / "supervisor.json").read_bytes())["restarts"],
            30,
            "a restart",
        )
        wait_for(lambda: http_json(url)[0] == 200, 120, "the restarted worker's health")
        shown = _run([*agents, "status"], env, timeout=30)
        assert "1 restarts" in shown.stdout and "health ok" in shown.stdout, shown.stdout
        # A second stack on the same web port: a one-line error and exit 1, not "started".
        other = worker_env(kafka, tmp_path / "other", **env_on_port)
        refused = _run([*agents, "start"], other, timeout=60)
        assert refused.returncode == 1
        assert f"port 127.0.0.1:{port} is already in use" in refused.stderr
    finally:
        _run([*agents, "stop"], env, timeout=120)
        running.clickhouse.stop()
