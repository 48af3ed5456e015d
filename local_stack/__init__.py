"""Launchers of the local stack (`make up`/`make down`/`make status`): Kafka, ClickHouse and the
supervised worker, apart from production code (docker-compose runs the real services)."""
