"""A Faust worker (exactly-once, RocksDB tables) connects to the real broker and its agent runs."""

from __future__ import annotations

import sys
from pathlib import Path

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from kafka.admin import NewTopic

from foundation.processes import BackgroundProcess, free_port
from foundation.settings import REPO_ROOT
from local_stack.kafka import KafkaServer


def test_worker_starts_and_agent_receives_a_record(kafka: KafkaServer, tmp_path: Path) -> None:
    admin = KafkaAdminClient(bootstrap_servers=kafka.bootstrap)
    admin.create_topics([NewTopic(t, 1, 1) for t in ("probe-in", "probe-out")])
    admin.close()
    worker = BackgroundProcess("faust-probe", tmp_path / "w.pid", tmp_path / "w.log")
    env = {
        "PROBE_BOOTSTRAP": kafka.bootstrap,
        "PROBE_DATADIR": str(tmp_path / "faust-data"),
        "PROBE_WEB_PORT": str(free_port()),
        "PATH": "/usr/bin:/bin",
    }
    argv = [
        sys.executable,
        "-m",
        "faust",
        "-A",
        "tests.integration.faust_probe",
        "worker",
        "-l",
        "info",
    ]
    worker.start(argv, cwd=REPO_ROOT, env=env)
    try:
        producer = KafkaProducer(bootstrap_servers=kafka.bootstrap, acks="all")
        producer.send("probe-in", key=b"k1", value=b"hola").get(timeout=10)
        producer.close()
        consumer = KafkaConsumer(
            "probe-out",
            bootstrap_servers=kafka.bootstrap,
            auto_offset_reset="earliest",
            isolation_level="read_committed",
            consumer_timeout_ms=60_000,
        )
        first = next(iter(consumer))
        consumer.close()
        assert (first.key, first.value) == (b"k1", b"echo:hola")
    finally:
        worker.stop(timeout=20)
    log = worker.log_tail(400)
    assert "Traceback" not in log, log
