"""Starts and stops the local ClickHouse server (HTTP + native) on 127.0.0.1, by PID."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import sys
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape

from atenciones.processes import (
    BackgroundProcess,
    ServiceError,
    ensure_ports_free,
    pid_alive,
    start_and_wait,
)

CONFIG_XML = """\
<clickhouse>
  <listen_host>127.0.0.1</listen_host>
  <http_port>{http_port}</http_port>
  <tcp_port>{tcp_port}</tcp_port>
  <users_config>users.xml</users_config>
  <max_server_memory_usage_to_ram_ratio>0.5</max_server_memory_usage_to_ram_ratio>
  <!-- idle keep-alive HTTP connections must not hold a stop for long -->
  <keep_alive_timeout>3</keep_alive_timeout>
  <shutdown_wait_unfinished>2</shutdown_wait_unfinished>
</clickhouse>
"""

# The built-in `default` user stays passwordless but answers on loopback only; the pipeline's
# own users (writer, analyst, grafana) are added with hashed passwords.
USERS_XML = """\
<clickhouse>
  <profiles>
    <default/>
    <readonly_limited>
      <readonly>2</readonly>
      <max_execution_time>{max_execution_time}</max_execution_time>
      <timeout_overflow_mode>throw</timeout_overflow_mode>
    </readonly_limited>
  </profiles>
  <quotas><default/></quotas>
  <users>
    <default>
      <password></password>
      <networks><ip>127.0.0.1</ip><ip>::1</ip></networks>
      <profile>default</profile>
      <quota>default</quota>
      <access_management>1</access_management>
    </default>
{extra_users}  </users>
</clickhouse>
"""

USER_XML = """\
    <{name}>
      <password_sha256_hex>{sha256}</password_sha256_hex>
      <networks><ip>127.0.0.1</ip><ip>::1</ip></networks>
      <profile>{profile}</profile>
      <quota>default</quota>
      <grants>{grants}</grants>
    </{name}>
"""


@dataclass(frozen=True)
class ServerUser:
    """An extra user of the local server, allowed only the grants listed (SQL GRANT texts).

    read_only users also get the limited profile (readonly, execution-time limit).
    """

    name: str
    password: str
    grants: tuple[str, ...] = ()
    read_only: bool = True


@dataclass
class ClickHouseServer:
    """One local ClickHouse server whose data, logs and PID file live under state_dir."""

    state_dir: Path
    http_port: int = 8123
    tcp_port: int = 9000
    users: list[ServerUser] = field(default_factory=list)
    max_execution_time_s: int = 30
    data_path: Path | None = None  # default: state_dir/data

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def data_dir(self) -> Path:
        return self.data_path or self.state_dir / "data"

    @property
    def run_dir(self) -> Path:
        return self.state_dir / "run"

    @property
    def stop_fifo(self) -> Path:
        return self.run_dir / "stop.fifo"

    @property
    def process(self) -> BackgroundProcess:
        return BackgroundProcess(
            name="clickhouse",
            pid_file=self.state_dir / "clickhouse.pid",
            log_file=self.state_dir / "clickhouse.log",
        )

    def is_running(self) -> bool:
        return self.process.running_pid() is not None

    def start(self, timeout: float = 60.0) -> bool:
        """Start the server and wait until /ping answers; False when it was already running."""
        proc = self.process
        if proc.running_pid() is not None:
            return False
        ensure_ports_free(self.http_port, self.tcp_port)
        self._check_data_dir_free()
        self._write_config()
        argv = [
            sys.executable, "-m", "clickhouse.local_server.serve",
            "--run-dir", str(self.run_dir),
            "--data-dir", str(self.data_dir),
            "--stop-fifo", str(self.stop_fifo),
        ]  # fmt: skip
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [_repo_root(), env.get("PYTHONPATH")]))
        what = f"ClickHouse on {self.url}"
        start_and_wait(
            proc, argv, cwd=self.run_dir, env=env, ready=self.answers, timeout=timeout, what=what
        )
        (self.data_dir / ".owner.pid").write_text(f"{proc.running_pid()}\n")
        return True

    def stop(self, timeout: float = 30.0) -> bool:
        """Release the blocking query (clean stop), then make sure the PID is gone."""
        proc = self.process
        if proc.running_pid() is None:
            proc.stop()
            return False
        if self._release_fifo():
            proc.wait_exit(timeout)
        proc.stop(timeout=5)
        (self.data_dir / ".owner.pid").unlink(missing_ok=True)
        return True

    def kill(self) -> None:
        self.process.kill()
        (self.data_dir / ".owner.pid").unlink(missing_ok=True)

    def answers(self) -> bool:
        with urllib.request.urlopen(f"{self.url}/ping", timeout=1) as response:
            return bool(response.read().strip() == b"Ok.")

    def _release_fifo(self) -> bool:
        try:
            fd = os.open(self.stop_fifo, os.O_WRONLY | os.O_NONBLOCK)
        except OSError as exc:
            if exc.errno in (errno.ENXIO, errno.ENOENT):
                return False
            raise
        try:
            os.write(fd, b"stop\n")
        finally:
            os.close(fd)
        return True

    def _check_data_dir_free(self) -> None:
        owner = self.data_dir / ".owner.pid"
        with contextlib.suppress(OSError, ValueError):
            pid = int(owner.read_text())
            if pid_alive(pid):
                raise ServiceError(
                    f"data dir {self.data_dir} is used by another ClickHouse server (pid {pid})"
                )

    def _write_config(self) -> None:
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        (self.run_dir / "config.xml").write_text(
            CONFIG_XML.format(http_port=self.http_port, tcp_port=self.tcp_port)
        )
        extra = "".join(
            USER_XML.format(
                name=escape(user.name),
                sha256=hashlib.sha256(user.password.encode()).hexdigest(),
                profile="readonly_limited" if user.read_only else "default",
                grants="".join(f"<query>{escape(grant)}</query>" for grant in user.grants),
            )
            for user in self.users
        )
        (self.run_dir / "users.xml").write_text(
            USERS_XML.format(max_execution_time=self.max_execution_time_s, extra_users=extra)
        )
        if not self.stop_fifo.exists():
            os.mkfifo(self.stop_fifo)


def pipeline_users(
    writer_password: str, analyst_password: str, grafana_password: str
) -> list[ServerUser]:
    """The worker's writer and the two read-only users (analysts, Grafana) of `atenciones`."""
    return [
        ServerUser("writer", writer_password, ("GRANT SELECT, INSERT ON atenciones.*",), False),
        ServerUser("analyst", analyst_password, ("GRANT SELECT ON atenciones.*",)),
        ServerUser("grafana", grafana_password, ("GRANT SELECT ON atenciones.*",)),
    ]


def _repo_root() -> str:
    return str(Path(__file__).resolve().parents[2])
