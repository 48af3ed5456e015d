"""`python -m local_stack.worker start|stop|status|supervise`: the supervised worker in the
background (`make up`, `make down`, `make status`)."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from foundation.processes import (
    BackgroundProcess,
    ServiceError,
    ensure_ports_free,
    http_json,
    private_state_dir,
)
from foundation.settings import REPO_ROOT, Settings, get_settings
from local_stack.worker.supervisor import Supervisor, SupervisorStatus

START_TIMEOUT_S = 120.0


def health_url(settings: Settings) -> str:
    return f"http://127.0.0.1:{settings.worker_web_port}/health"


def wait_healthy(settings: Settings, supervisor: BackgroundProcess, timeout: float) -> None:
    """Wait until the worker's /health says ok; ServiceError saying why it does not."""
    status_file = settings.worker_dir / "supervisor.json"
    deadline = time.monotonic() + timeout
    last = "no answer"
    while time.monotonic() < deadline:
        if supervisor.running_pid() is None:
            raise ServiceError(
                f"the worker's supervisor stopped: {supervisor.last_error()} "
                f"(log: {supervisor.log_file})"
            )
        status = SupervisorStatus.read(status_file)
        if status is not None and status.restarts:
            raise ServiceError(
                f"the worker exited (code {status.last_exit_code}) before it was healthy, so "
                f"it was stopped: {supervisor.last_error()} (log: {supervisor.log_file})"
            )
        code, body = http_json(health_url(settings))
        if code == 200:
            return
        if code is not None:
            last = f"{code}: {', '.join(body.get('problems', [])) or body}"
        time.sleep(0.5)
    raise ServiceError(f"the worker was not healthy after {timeout:.0f} s ({last})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local_stack.worker", description=__doc__)
    parser.add_argument("action", choices=["start", "stop", "status", "supervise"])
    args = parser.parse_args(argv)
    settings = get_settings()
    private_state_dir(settings.state_dir)
    status_file = settings.worker_dir / "supervisor.json"
    supervisor = BackgroundProcess(
        "worker", settings.worker_dir / "worker.pid", settings.worker_dir / "worker.log"
    )
    try:
        if args.action == "supervise":
            worker = [sys.executable, "-m", "atenciones.cli", "worker"]
            return Supervisor(worker, status_file).run()
        if args.action == "start":
            if supervisor.running_pid():
                print(describe(settings, supervisor, status_file))
                return 0
            ensure_ports_free(settings.worker_web_port)
            status_file.unlink(missing_ok=True)
            pid = supervisor.start(
                [sys.executable, "-m", "local_stack.worker", "supervise"], cwd=REPO_ROOT
            )
            supervisor.record_endpoint(health_url(settings))
            try:
                wait_healthy(settings, supervisor, START_TIMEOUT_S)
            except ServiceError:
                supervisor.stop(timeout=30)
                raise
            print(f"worker healthy (supervisor pid {pid}, {health_url(settings)}, "
                  f"logs: {supervisor.log_file})")  # fmt: skip
        elif args.action == "stop":
            print("worker stopped" if supervisor.stop(timeout=45) else "worker was not running")
        else:
            print(describe(settings, supervisor, status_file))
    except ServiceError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


def describe(settings: Settings, supervisor: BackgroundProcess, status_file: Path) -> str:
    pid = supervisor.running_pid()
    if pid is None:
        return "worker not running"
    status = SupervisorStatus.read(status_file) or SupervisorStatus()
    url = supervisor.recorded_endpoint(health_url(settings))
    code, body = http_json(url)
    if code is None:
        health = "health page not answering"
    else:
        problems = "; ".join(body.get("problems", []))
        health = f"health {body.get('status', code)}" + (f" ({problems})" if problems else "")
        health += f", lag {body.get('lag')}, partitions {body.get('partitions')}"
    loop = ", CRASH LOOP" if status.crash_loop else ""
    return (
        f"worker running (supervisor pid {pid}, worker pid {status.worker_pid}, "
        f"{status.restarts} restarts{loop}), {url}: {health}"
    )


if __name__ == "__main__":
    sys.exit(main())
