"""Pins the Faust behaviour that agents/faust_bridge.py relies on, through the real broker: a
Faust upgrade that changes it fails here, not silently in production."""

from __future__ import annotations

import sys
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import NewTopic

from foundation.processes import BackgroundProcess, free_port
from foundation.settings import REPO_ROOT
from local_stack.kafka import KafkaServer
from tests.fixtures.pipeline import wait_for

RECORDS = 5
MODES = ("take_events", "held", "lane")


def _run_probe(kafka: KafkaServer, tmp_path: Path, mode: str) -> tuple[int, str, str]:
    """Run the probe on a fresh topic with RECORDS records on partition 1; return the group's
    committed offset there, its app id and its log (which ends with how the probe exited)."""
    topic, app_id = f"bridge-{uuid.uuid4().hex[:8]}", f"bridge-{mode}-{uuid.uuid4().hex[:6]}"
    admin = KafkaAdminClient(bootstrap_servers=kafka.bootstrap)
    admin.create_topics(
        [
            NewTopic(topic, 2, 1),
            NewTopic(
                f"{app_id}-marks-changelog", 2, 1, topic_configs={"cleanup.policy": "compact"}
            ),
        ]
    )
    producer = KafkaProducer(bootstrap_servers=kafka.bootstrap, acks="all")
    for i in range(RECORDS):
        producer.send(topic, key=b"k", value=b"v%d" % i, partition=1)
    producer.flush()
    producer.close()
    worker = BackgroundProcess("probe", tmp_path / f"{mode}.pid", tmp_path / f"{mode}.log")
    env = {
        "PROBE_BOOTSTRAP": kafka.bootstrap, "PROBE_DATADIR": str(tmp_path / mode),
        "PROBE_WEB_PORT": str(free_port()), "PROBE_MODE": mode, "PROBE_TOPIC": topic,
        "PROBE_APP_ID": app_id, "PATH": "/usr/bin:/bin",
    }  # fmt: skip
    argv = [sys.executable, "-m", "faust", "-A", "tests.integration.faust_bridge_probe"]
    worker.start([*argv, "worker", "-l", "info"], cwd=REPO_ROOT, env=env)
    marker = {"held_stop": "probe: the batch waits"}.get(
        mode, "probe: released" if mode.endswith("_release") else "probe: the batch failed"
    )
    wait_for(lambda: marker in worker.log_tail(400), 60, f"the probe's {marker!r}")
    # A graceful stop commits whatever is committable; records held (never acked) are waited for
    # 1 s, then let go uncommitted (bounded_stop_wait). (The "lane" probe's agent, restarted by
    # Faust's default supervisor after its failure, does not end on a stop: SIGKILL after 10 s.)
    worker.stop(timeout=10)
    admin.close()
    group = KafkaConsumer(bootstrap_servers=kafka.bootstrap, group_id=app_id)
    committed = group.committed(TopicPartition(topic, 1))
    group.close()
    return committed or 0, app_id, f"{worker.log_tail(400)}\nexit code {worker.exited_early()}"


@pytest.mark.timeout(180)
def test_take_events_commits_a_failed_batch_and_held_batches_does_not(
    kafka: KafkaServer, tmp_path: Path
) -> None:
    # three probes at once: each waits mostly on Faust's start and stop, not on the CPU
    with ThreadPoolExecutor(3) as pool:
        runs = dict(
            zip(MODES, pool.map(lambda m: _run_probe(kafka, tmp_path, m), MODES), strict=True)
        )
    committed, _, log = runs["take_events"]
    assert committed == RECORDS, (
        f"Faust's take_events changed: it no longer acks a failed batch\n{log}"
    )
    committed, _, log = runs["held"]
    assert committed == 0, log
    committed, _, log = runs["lane"]
    assert committed == 0, log


@pytest.mark.timeout(180)
def test_a_stop_lets_go_of_a_held_batch_without_committing_it(
    kafka: KafkaServer, tmp_path: Path
) -> None:
    """A batch waiting on ClickHouse must neither hold a stop until SIGKILL nor be committed."""
    committed, _, log = _run_probe(kafka, tmp_path, "held_stop")
    assert committed == 0, log
    assert "records in flight after 1 s are not committed" in log, log
    assert log.endswith("exit code 0"), log  # it stopped by itself, not by SIGKILL


@pytest.mark.timeout(180)
@pytest.mark.parametrize("mode", ["held_release", "lane_release"])
def test_released_batches_commit_and_table_writes_follow_the_current_event(
    kafka: KafkaServer, tmp_path: Path, mode: str
) -> None:
    committed, app_id, log = _run_probe(kafka, tmp_path, mode)
    assert committed == RECORDS, log
    if mode == "lane_release":  # Faust's fixed 1,500 ms, found and replaced (faust_bridge 6.)
        assert "probe: fetch wait 1500 -> 123 ms" in log, log
    assert f"probe: released {RECORDS}" in log, log
    # flush_durably waited for each table write's own acknowledgement (faust_bridge 3.)
    assert f"probe: table writes acknowledged {RECORDS}" in log, log
    consumer = KafkaConsumer(bootstrap_servers=kafka.bootstrap, consumer_timeout_ms=5000)
    changelog = [TopicPartition(f"{app_id}-marks-changelog", p) for p in (0, 1)]
    consumer.assign(changelog)
    consumer.seek_to_beginning(*changelog)
    keys = {(record.partition, record.key) for record in consumer}
    consumer.close()
    # every mark went to the changelog partition of its event (partition 1), none to 0
    assert {p for p, _ in keys} == {1} and len(keys) == RECORDS, keys
