"""Formats a single-node KRaft log dir and starts/stops the broker on 127.0.0.1 by PID."""

from __future__ import annotations

import base64
import os
import shutil
import socket
import subprocess
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from kafka import KafkaAdminClient

from foundation.processes import BackgroundProcess, ServiceError, ensure_ports_free, start_and_wait
from local_stack.kafka.jars import kafka_libs

LOG4J_CONFIG = Path(__file__).with_name("log4j2.yaml")

# Single node: every internal topic has one replica; topics are created by the project, never
# on first use, so their partition count is always the one we chose.
BROKER_PROPERTIES = """\
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:{controller_port}
listeners=PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller_port}
advertised.listeners=PLAINTEXT://127.0.0.1:{port}
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs={log_dir}
num.partitions=1
default.replication.factor=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=6
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=6
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
auto.create.topics.enable=false
group.initial.rebalance.delay.ms=0
log.retention.hours=-1
log.retention.bytes=-1
"""


@dataclass
class KafkaServer:
    """One local broker whose data, logs and PID file live under state_dir."""

    state_dir: Path
    port: int = 9092
    controller_port: int = 9093
    version: str = "4.4.0"
    cache_dir: Path = field(default_factory=lambda: Path.home() / ".cache" / "atenciones")
    heap: str = "512m"

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def process(self) -> BackgroundProcess:
        return BackgroundProcess(
            name="kafka",
            pid_file=self.state_dir / "kafka.pid",
            log_file=self.state_dir / "kafka.log",
        )

    @property
    def log_dir(self) -> Path:
        return self.state_dir / "data"

    def is_running(self) -> bool:
        return self.process.running_pid() is not None

    def start(self, timeout: float = 60.0) -> bool:
        """Start the broker and wait until it answers; False when it was already running."""
        proc = self.process
        if proc.running_pid() is not None:
            return False
        ensure_ports_free(self.port, self.controller_port)
        libs = kafka_libs(self.cache_dir, self.version)
        java = shutil.which("java")
        if java is None:
            raise ServiceError("Java (17+) is needed to run the local Kafka broker")
        properties = self._write_properties()
        self._format_once(java, libs, properties)
        argv = [
            java,
            f"-Xmx{self.heap}",
            f"-Xms{self.heap}",
            "-XX:+UseG1GC",
            f"-Dlog4j2.configurationFile={LOG4J_CONFIG}",
            "-Djava.awt.headless=true",
            "-cp",
            f"{libs}/*",
            "kafka.Kafka",
            str(properties),
        ]
        what = f"Kafka on {self.bootstrap}"
        start_and_wait(
            proc,
            argv,
            cwd=self.state_dir,
            env=dict(os.environ),
            ready=self._answers,
            timeout=timeout,
            what=what,
        )
        return True

    def stop(self, timeout: float = 30.0) -> bool:
        """Stop the broker by PID (SIGTERM, then SIGKILL). False if it was not running."""
        return self.process.stop(timeout=timeout)

    def kill(self) -> None:
        self.process.kill()

    def _write_properties(self) -> Path:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        path = self.state_dir / "server.properties"
        path.write_text(
            BROKER_PROPERTIES.format(
                port=self.port, controller_port=self.controller_port, log_dir=self.log_dir
            )
        )
        return path

    def _format_once(self, java: str, libs: Path, properties: Path) -> None:
        if (self.log_dir / "meta.properties").exists():
            return
        cluster_id = _kafka_cluster_id()
        cmd = [java, "-cp", f"{libs}/*", "kafka.tools.StorageTool", "format",
               "-t", cluster_id, "-c", str(properties)]  # fmt: skip
        result = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise ServiceError(
                f"formatting the KRaft log dir failed:\n{result.stdout}{result.stderr}"
            )

    def _answers(self) -> bool:
        with socket.create_connection(("127.0.0.1", self.port), timeout=1):
            pass
        admin = KafkaAdminClient(bootstrap_servers=self.bootstrap, request_timeout_ms=3000)
        try:
            admin.list_topics()
            return True
        finally:
            admin.close()


def _kafka_cluster_id() -> str:
    """A Kafka cluster id: 16 random bytes, URL-safe base64 without padding (22 chars), never
    starting with "-" (the storage tool would read it as an option; Kafka's own
    Uuid.randomUuid() draws again for the same reason)."""
    while True:
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not cluster_id.startswith("-"):
            return cluster_id
