"""`python -m agents start|stop|status`: the worker in the background (`make up`, `make down`)."""

from __future__ import annotations

import argparse
import sys
import time

from atenciones.processes import BackgroundProcess
from atenciones.settings import REPO_ROOT, get_settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m agents", description=__doc__)
    parser.add_argument("action", choices=["start", "stop", "status"])
    args = parser.parse_args(argv)
    settings = get_settings()
    worker = BackgroundProcess(
        "worker", settings.worker_dir / "worker.pid", settings.worker_dir / "worker.log"
    )
    if args.action == "start":
        if worker.running_pid():
            print(f"worker already running (pid {worker.running_pid()})")
            return 0
        pid = worker.start([sys.executable, "-m", "atenciones.cli", "worker"], cwd=REPO_ROOT)
        time.sleep(2)
        if worker.running_pid() is None:
            print(f"error: the worker stopped at once:\n{worker.log_tail()}", file=sys.stderr)
            return 1
        print(f"worker started (pid {pid}, logs: {worker.log_file})")
    elif args.action == "stop":
        print("worker stopped" if worker.stop(timeout=30) else "worker was not running")
    else:
        running = worker.running_pid()
        print(f"worker running, pid {running}" if running else "worker not running")
    return 0


if __name__ == "__main__":
    sys.exit(main())
