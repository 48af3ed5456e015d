"""Pure helpers of the service launchers: ports, PID files, readiness waits."""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path

import pytest

from foundation.processes import (
    BackgroundProcess,
    ServiceError,
    free_port,
    pid_alive,
    port_is_taken,
    read_pid,
    wait_until,
)


def test_free_port_is_free_and_a_listening_port_is_taken() -> None:
    port = free_port()
    assert not port_is_taken(port)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))
        sock.listen()
        assert port_is_taken(port)


def test_read_pid_ignores_dead_and_garbage(tmp_path: Path) -> None:
    pid_file = tmp_path / "x.pid"
    assert read_pid(pid_file) is None
    pid_file.write_text("not a number")
    assert read_pid(pid_file) is None
    pid_file.write_text(f"{os.getpid()}\n")
    assert read_pid(pid_file) == os.getpid()


def test_wait_until_names_what_timed_out() -> None:
    with pytest.raises(ServiceError, match="the moon did not become ready"):
        wait_until(lambda: False, 0.2, "the moon", interval=0.05)
    calls = iter([False, RuntimeError("not yet"), True])

    def check() -> bool:
        value = next(calls)
        if isinstance(value, Exception):
            raise value
        return value

    wait_until(check, 2, "flaky", interval=0.01)


def test_background_process_stops_by_pid(tmp_path: Path) -> None:
    proc = BackgroundProcess("sleeper", tmp_path / "s.pid", tmp_path / "s.log")
    pid = proc.start(
        [sys.executable, "-c", "import time; print('up', flush=True); time.sleep(60)"], cwd=tmp_path
    )
    assert proc.running_pid() == pid
    assert proc.stop(timeout=5) is True
    assert not pid_alive(pid)
    assert not (tmp_path / "s.pid").exists()
    assert proc.stop() is False


def test_background_process_escalates_to_sigkill(tmp_path: Path) -> None:
    stubborn = (
        "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
        "print('ignoring', flush=True); time.sleep(60)"
    )
    proc = BackgroundProcess("stubborn", tmp_path / "s.pid", tmp_path / "s.log")
    pid = proc.start([sys.executable, "-c", stubborn], cwd=tmp_path)
    wait_until(lambda: "ignoring" in proc.log_tail(), 10, "stubborn child")
    assert proc.stop(timeout=0.5) is True
    assert not pid_alive(pid)


def test_wait_exit_waits_for_every_thread_not_just_the_leader(tmp_path: Path) -> None:
    # The leader thread ends first (it shows as a zombie in /proc) while another thread keeps
    # the process alive 1.5 s more, then exits 3: the shape of a worker whose threads wind down.
    leader_first = (
        "import ctypes, os, threading, time\n"
        "def later():\n"
        "    time.sleep(1.5)\n"
        "    os._exit(3)\n"
        "threading.Thread(target=later).start()\n"
        "print('leader leaving', flush=True)\n"
        "ctypes.CDLL(None).pthread_exit(None)\n"
    )
    proc = BackgroundProcess("leader", tmp_path / "l.pid", tmp_path / "l.log")
    proc.start([sys.executable, "-c", leader_first], cwd=tmp_path)
    wait_until(lambda: "leader leaving" in proc.log_tail(), 10, "leader thread")
    assert proc.wait_exit(10) is True
    assert proc.exited_early() == 3
