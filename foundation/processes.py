"""Background services of the project: free ports, PID files, readiness waits, stop by PID."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any


class ServiceError(RuntimeError):
    """A local service could not be started or stopped; the message says why."""


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that nobody listens on right now (the kernel picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def port_is_taken(port: int, host: str = "127.0.0.1") -> bool:
    """True when something already accepts connections (or holds the bind) on host:port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return True
    return False


def pid_alive(pid: int) -> bool:
    """True while a process with this PID exists and is not a zombie."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    with contextlib.suppress(OSError):
        stat = Path(f"/proc/{pid}/stat").read_text()
        if stat.rsplit(")", 1)[1].split()[0] == "Z":
            return False
    return True


def read_pid(pid_file: Path) -> int | None:
    """The PID recorded in pid_file if that process still runs, else None."""
    try:
        pid = int(pid_file.read_text().strip())
    except (OSError, ValueError):
        return None
    return pid if pid_alive(pid) else None


def wait_until(check: Callable[[], bool], timeout: float, what: str, interval: float = 0.1) -> None:
    """Poll check() until it is True; after timeout seconds raise ServiceError naming `what`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(Exception):
            if check():
                return
        time.sleep(interval)
    raise ServiceError(f"{what} did not become ready within {timeout:.0f} s")


@dataclass
class BackgroundProcess:
    """A detached child process whose PID is kept in a file, so another command can stop it."""

    name: str
    pid_file: Path
    log_file: Path

    def running_pid(self) -> int | None:
        return read_pid(self.pid_file)

    @property
    def endpoint_file(self) -> Path:
        return self.pid_file.with_suffix(".endpoint")

    def record_endpoint(self, endpoint: str) -> None:
        """Where the running process listens, for `status` from another environment."""
        self.endpoint_file.write_text(endpoint + "\n")

    def recorded_endpoint(self, default: str) -> str:
        """The endpoint recorded by the process that runs (default: none recorded)."""
        try:
            return self.endpoint_file.read_text().strip() or default
        except OSError:
            return default

    def start(self, argv: Sequence[str], cwd: Path, env: dict[str, str] | None = None) -> int:
        """Start argv in its own session with output to log_file; record and return its PID."""
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        self.pid_file.parent.mkdir(parents=True, exist_ok=True)
        with self.log_file.open("ab") as log:
            proc = subprocess.Popen(
                list(argv),
                cwd=cwd,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.pid_file.write_text(f"{proc.pid}\n")
        self._proc = proc
        return proc.pid

    def exited_early(self) -> int | None:
        """The exit code if the process we started has already ended, else None."""
        proc: subprocess.Popen[bytes] | None = getattr(self, "_proc", None)
        return None if proc is None else proc.poll()

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def last_error(self) -> str:
        """The log's last `error:` line (our one-line errors), else its last line: why it ended."""
        lines = [line.strip() for line in self.log_tail(200).splitlines() if line.strip()]
        errors = [line[len("error:") :].strip() for line in lines if line.startswith("error:")]
        return (errors or lines or ["(empty log)"])[-1]

    def stop(self, timeout: float = 20.0, sig: signal.Signals = signal.SIGTERM) -> bool:
        """Signal the recorded PID, wait up to timeout, then SIGKILL. False if nothing ran."""
        pid = self.running_pid()
        if pid is None:
            proc: subprocess.Popen[bytes] | None = getattr(self, "_proc", None)
            if proc is not None:
                _wait_child(proc, timeout)  # its leader is gone; let its threads end
            self.pid_file.unlink(missing_ok=True)
            return False
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)
        if not _wait_exit(pid, self, timeout):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            _wait_exit(pid, self, 10.0)
        self.pid_file.unlink(missing_ok=True)
        return True

    def wait_exit(self, timeout: float) -> bool:
        """Wait up to timeout for the recorded process to end by itself."""
        proc: subprocess.Popen[bytes] | None = getattr(self, "_proc", None)
        if proc is not None:
            return _wait_child(proc, timeout)
        pid = self.running_pid()
        return True if pid is None else _wait_exit(pid, self, timeout)

    def kill(self) -> None:
        """SIGKILL at once (crash tests)."""
        self.stop(timeout=0.0, sig=signal.SIGKILL)


def _wait_child(proc: subprocess.Popen[bytes], timeout: float) -> bool:
    # waitpid, not /proc: a dying multi-threaded process shows its leader as a zombie while
    # its other threads still wind down, and only waitpid says when it has really ended.
    try:
        proc.wait(timeout=max(timeout, 0.01))
    except subprocess.TimeoutExpired:
        return False
    return True


def _wait_exit(pid: int, owner: BackgroundProcess, timeout: float) -> bool:
    proc: subprocess.Popen[bytes] | None = getattr(owner, "_proc", None)
    if proc is not None and proc.pid == pid:
        return _wait_child(proc, timeout)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline or timeout == 0.0:
        if not pid_alive(pid):
            return True
        if timeout == 0.0:
            return False
        time.sleep(0.05)
    return not pid_alive(pid)


def ensure_ports_free(*ports: int) -> None:
    """Raise ServiceError naming the first port on 127.0.0.1 that something already holds."""
    for port in ports:
        if port_is_taken(port):
            raise ServiceError(f"port 127.0.0.1:{port} is already in use; choose another")


def start_and_wait(
    proc: BackgroundProcess,
    argv: Sequence[str],
    *,
    cwd: Path,
    env: dict[str, str],
    ready: Callable[[], bool],
    timeout: float,
    what: str,
) -> None:
    """Start proc and wait for ready(); if it never is, stop it and raise with its log's tail."""
    proc.start(argv, cwd=cwd, env=env)
    try:
        wait_until(ready, timeout, what, interval=0.1)
    except ServiceError as exc:
        code = proc.exited_early()
        proc.stop(timeout=5)
        raise ServiceError(
            f"{exc} (exit code {code}): {proc.last_error()} (log: {proc.log_file})"
        ) from exc


def http_json(url: str, timeout: float = 2.0) -> tuple[int | None, dict[str, Any]]:
    """GET a JSON page on loopback: (status, body), or (None, {}) when nothing answers."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, _json_object(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, _json_object(exc.read())
    except (OSError, ValueError):
        return None, {}


def _json_object(data: bytes) -> dict[str, Any]:
    try:
        value = json.loads(data)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def private_state_dir(path: Path) -> None:
    """The local stack's state folder (data, logs, configs, secrets): its owner only. Files
    created inside keep their own modes, but nobody else can reach them through the folder."""
    path.mkdir(parents=True, exist_ok=True)
    path.chmod(0o700)


def require_reachable(servers: str, what: str, timeout: float = 3.0) -> None:
    """ServiceError unless one of the comma-separated host:port answers a TCP connection: a
    command whose service is down says so at once, not after its client's own timeouts."""
    errors = []
    for server in servers.split(","):
        host, _, port = server.strip().rpartition(":")
        try:
            with socket.create_connection((host.strip("[]"), int(port)), timeout=timeout):
                return
        except (OSError, ValueError) as exc:
            errors.append(f"{server.strip()}: {getattr(exc, 'strerror', None) or exc}")
    raise ServiceError(f"{what} is unreachable ({'; '.join(errors)})")
