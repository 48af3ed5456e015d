"""Starts and stops the local ClickHouse server (HTTP + native) on 127.0.0.1, by PID."""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import sys
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape

import clickhouse_connect
from clickhouse_connect.driver.client import Client

from foundation.processes import (
    BackgroundProcess,
    ServiceError,
    ensure_ports_free,
    pid_alive,
    start_and_wait,
)
from local_stack.clickhouse.serve import CONTROL_BATCH, CONTROL_MARKER

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

# The built-in `default` user is what the server's own control query runs as: clickhouse-local
# always logs in as `default`, without a password, from loopback, and ClickHouse cannot tell
# that session from a client's. So `default` may start the listeners and run a table function
# (the control query), nothing else: no database, no file, no user management (tested).
# Everyone else logs in with a password: `admin` (the migrations and the stop; no file, url or
# remote access), the writer and the read-only users, whose limits are settings constraints
# (a query cannot lift them).
USERS_XML = """\
<clickhouse>
  <profiles>
    <default/>
    <readonly_limited>
      <readonly>2</readonly>
      <max_execution_time>{max_execution_time}</max_execution_time>
      <timeout_overflow_mode>throw</timeout_overflow_mode>
      <max_memory_usage>{max_memory_usage}</max_memory_usage>
      <constraints>
        <max_execution_time><readonly/></max_execution_time>
        <timeout_overflow_mode><readonly/></timeout_overflow_mode>
        <max_memory_usage><readonly/></max_memory_usage>
        <max_memory_usage_for_user><readonly/></max_memory_usage_for_user>
      </constraints>
    </readonly_limited>
  </profiles>
  <quotas>
    <default/>
    <control_batch_only>
      <interval><duration>2000000000</duration><queries>{control_statements}</queries></interval>
    </control_batch_only>
  </quotas>
  <users>
    <default>
      <password></password>
      <networks><ip>127.0.0.1</ip><ip>::1</ip></networks>
      <profile>default</profile>
      <quota>control_batch_only</quota>
      <grants>
        <query>GRANT SYSTEM LISTEN ON *.*</query>
        <query>GRANT CREATE TEMPORARY TABLE ON *.*</query>
      </grants>
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
    admin_password: str = field(default_factory=lambda: secrets.token_urlsafe(18))
    admin_user: str = "admin"
    max_memory_usage_bytes: int = 2 * 2**30  # per query of a read-only user

    def admin_client(self) -> Client:
        """A clickhouse-connect client as the admin user (migrations, tests)."""
        return clickhouse_connect.get_client(
            host="127.0.0.1",
            port=self.http_port,
            username=self.admin_user,
            password=self.admin_password,
        )

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
            sys.executable, "-m", "local_stack.clickhouse.serve",
            "--run-dir", str(self.run_dir),
            "--data-dir", str(self.data_dir),
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
        if self._cancel_control_query():
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

    def _cancel_control_query(self) -> bool:
        """Cancel the control query (the server then stops by itself); False if that failed."""
        try:
            client = self.admin_client()
            try:
                client.command(
                    "KILL QUERY WHERE query LIKE {marker:String} AND query NOT LIKE '%KILL%' SYNC",
                    parameters={"marker": f"%{CONTROL_MARKER}%"},
                )
            finally:
                client.close()
        except Exception:
            return False
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
        for folder in (self.state_dir, self.run_dir, self.data_dir):
            folder.mkdir(parents=True, exist_ok=True)
            folder.chmod(0o700)  # data, configs and logs: the owner only
        (self.run_dir / "config.xml").write_text(
            CONFIG_XML.format(http_port=self.http_port, tcp_port=self.tcp_port)
        )
        admin_grants = (
            "GRANT ALL ON atenciones.*",
            "GRANT TABLE ENGINE ON *",  # the migrations' MergeTree tables
            "GRANT KILL QUERY ON *.*",  # the stop: cancel the control query
            "GRANT SELECT ON system.processes",
        )
        admin = ServerUser(self.admin_user, self.admin_password, admin_grants, read_only=False)
        extra = "".join(
            USER_XML.format(
                name=escape(user.name),
                sha256=hashlib.sha256(user.password.encode()).hexdigest(),
                profile="readonly_limited" if user.read_only else "default",
                grants="".join(f"<query>{escape(grant)}</query>" for grant in user.grants),
            )
            for user in [admin, *self.users]
        )
        users_xml = self.run_dir / "users.xml"
        users_xml.touch(mode=0o600)
        users_xml.chmod(0o600)  # password hashes: the owner only (XML users are unsalted SHA-256)
        users_xml.write_text(
            USERS_XML.format(
                max_execution_time=self.max_execution_time_s,
                max_memory_usage=self.max_memory_usage_bytes,
                control_statements=len(CONTROL_BATCH),
                extra_users=extra,
            )
        )


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
