"""`python -m local_stack.kafka start|stop|status`: the local broker used by `make up`."""

from __future__ import annotations

import argparse
import sys

from foundation.processes import ServiceError, private_state_dir
from foundation.settings import get_settings
from local_stack.kafka.jars import kafka_libs
from local_stack.kafka.server import KafkaServer


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local_stack.kafka", description=__doc__)
    parser.add_argument("action", choices=["start", "stop", "status", "fetch"])
    args = parser.parse_args(argv)
    settings = get_settings()
    private_state_dir(settings.state_dir)
    server = KafkaServer(
        state_dir=settings.state_dir / "kafka",
        port=settings.kafka_port,
        controller_port=settings.kafka_controller_port,
        version=settings.kafka_version,
        cache_dir=settings.cache_dir,
        heap=settings.kafka_heap,
    )
    try:
        if args.action == "fetch":
            print(f"Kafka {server.version} jars in {kafka_libs(server.cache_dir, server.version)}")
        elif args.action == "start":
            if server.process.running_pid():
                where = server.process.recorded_endpoint(server.bootstrap)
                print(f"Kafka already running on {where}")
                return 0
            server.start()
            server.process.record_endpoint(server.bootstrap)
            print(f"Kafka {server.version} started on {server.bootstrap}")
            print(f"  logs: {server.process.log_file}")
        elif args.action == "stop":
            print("Kafka stopped" if server.stop() else "Kafka was not running")
        else:
            pid = server.process.running_pid()
            where = server.process.recorded_endpoint(server.bootstrap)
            print(f"Kafka running, pid {pid}, {where}" if pid else "Kafka not running")
    except ServiceError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
