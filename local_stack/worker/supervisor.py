"""Keep the worker running: restart it with backoff when it dies, report a crash loop.

`python -m local_stack.worker supervise` (started by `make up` through `python -m
local_stack.worker start`) runs the worker as its child. A worker that exits is started again
after 1, 2, 4 … 60 s (back to 1 s once it has run for a minute); five exits within five minutes
are a crash loop, written to the status file (`<state>/worker/supervisor.json`) that `make
status` and `python -m local_stack.worker start` read.
SIGTERM/SIGINT stop the worker (SIGKILL after 30 s) and then the supervisor.
"""

from __future__ import annotations

import contextlib
import json
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import FrameType

MAX_BACKOFF_S = 60.0
HEALTHY_RUN_S = 60.0  # a worker that ran this long resets the backoff
CRASH_LOOP_EXITS = 5
CRASH_LOOP_WINDOW_S = 300.0
STOP_TIMEOUT_S = 30.0


@dataclass
class SupervisorStatus:
    worker_pid: int | None = None
    restarts: int = 0
    last_exit_code: int | None = None
    crash_loop: bool = False
    exits: list[float] = field(default_factory=list)  # wall-clock times of recent exits

    def write(self, path: Path) -> None:
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(self)))
        tmp.replace(path)

    @classmethod
    def read(cls, path: Path) -> SupervisorStatus | None:
        try:
            return cls(**json.loads(path.read_text()))
        except (OSError, ValueError, TypeError):
            return None


def next_backoff(previous: float, ran_for: float) -> float:
    """Seconds to wait before the next start."""
    if ran_for >= HEALTHY_RUN_S:
        return 1.0
    return min(MAX_BACKOFF_S, max(1.0, previous * 2))


def in_crash_loop(exits: Sequence[float], now: float) -> bool:
    recent = [t for t in exits if now - t <= CRASH_LOOP_WINDOW_S]
    return len(recent) >= CRASH_LOOP_EXITS


class Supervisor:
    def __init__(self, argv: Sequence[str], status_file: Path) -> None:
        self.argv = list(argv)
        self.status_file = status_file
        self.status = SupervisorStatus()
        self.stopping = False
        self.child: subprocess.Popen[bytes] | None = None

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        self.stopping = True
        if self.child is not None and self.child.poll() is None:
            self.child.send_signal(signal.SIGTERM)

    def run(self) -> int:
        signal.signal(signal.SIGTERM, self._on_signal)
        signal.signal(signal.SIGINT, self._on_signal)
        backoff = 0.5
        while not self.stopping:
            started = time.monotonic()
            self.child = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL)
            self.status.worker_pid = self.child.pid
            self.status.write(self.status_file)
            code = self._wait_child()
            if self.stopping:
                break
            now = time.time()
            self.status.exits = [t for t in self.status.exits if now - t <= CRASH_LOOP_WINDOW_S]
            self.status.exits.append(now)
            self.status.restarts += 1
            self.status.last_exit_code = code
            self.status.crash_loop = in_crash_loop(self.status.exits, now)
            self.status.worker_pid = None
            self.status.write(self.status_file)
            backoff = next_backoff(backoff, time.monotonic() - started)
            state = "crash loop: " if self.status.crash_loop else ""
            print(
                f"supervisor: {state}worker exited with code {code}; restart "
                f"{self.status.restarts} in {backoff:.0f} s",
                file=sys.stderr,
                flush=True,
            )
            self._sleep(backoff)
        self.status.worker_pid = None
        self.status.write(self.status_file)
        return 0

    def _wait_child(self) -> int:
        assert self.child is not None
        while True:
            try:
                return self.child.wait(timeout=0.5)
            except subprocess.TimeoutExpired:
                if self.stopping:
                    try:
                        return self.child.wait(timeout=STOP_TIMEOUT_S)
                    except subprocess.TimeoutExpired:
                        self.child.kill()
                        return self.child.wait()

    def _sleep(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while not self.stopping and time.monotonic() < deadline:
            with contextlib.suppress(InterruptedError):
                time.sleep(0.2)
