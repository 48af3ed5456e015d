"""`python -m local_stack.clickhouse start|stop|status`: the local server used by `make up`."""

from __future__ import annotations

import argparse
import sys

from foundation.local_secrets import ensure_local_secrets
from foundation.processes import ServiceError, private_state_dir
from foundation.settings import LOCAL_SECRETS_FILE, get_settings
from local_stack.clickhouse.server import ClickHouseServer, pipeline_users


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local_stack.clickhouse", description=__doc__)
    parser.add_argument("action", choices=["start", "stop", "status"])
    args = parser.parse_args(argv)
    if args.action == "start" and ensure_local_secrets(LOCAL_SECRETS_FILE):
        print(f"generated local ClickHouse passwords in {LOCAL_SECRETS_FILE}")
        get_settings.cache_clear()
    settings = get_settings()
    private_state_dir(settings.state_dir)
    server = ClickHouseServer(
        state_dir=settings.state_dir / "clickhouse",
        http_port=settings.clickhouse_http_port,
        tcp_port=settings.clickhouse_tcp_port,
        users=pipeline_users(
            settings.clickhouse_password.get_secret_value(),
            settings.clickhouse_analyst_password.get_secret_value(),
            settings.clickhouse_grafana_password.get_secret_value(),
        ),
        max_execution_time_s=settings.clickhouse_max_execution_s,
        admin_user=settings.clickhouse_admin_user,
    )
    if settings.clickhouse_admin_password.get_secret_value():
        server.admin_password = settings.clickhouse_admin_password.get_secret_value()
    try:
        endpoint = (
            f"HTTP {server.url} (SQL page {server.url}/play), native 127.0.0.1:{server.tcp_port}"
        )
        if args.action == "start":
            if server.process.running_pid():
                print(f"ClickHouse already running: {server.process.recorded_endpoint(endpoint)}")
                return 0
            server.start()
            server.process.record_endpoint(endpoint)
            print(f"ClickHouse started: {endpoint} (logs: {server.process.log_file})")
        elif args.action == "stop":
            print("ClickHouse stopped" if server.stop() else "ClickHouse was not running")
        else:
            pid = server.process.running_pid()
            where = server.process.recorded_endpoint(endpoint)
            print(f"ClickHouse running, pid {pid}, {where}" if pid else "ClickHouse not running")
    except ServiceError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
