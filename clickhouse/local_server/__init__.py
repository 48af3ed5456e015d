"""A real ClickHouse server on loopback, run from the chdb-core wheel (ClickHouse's own code)."""

from clickhouse.local_server.server import ClickHouseServer

__all__ = ["ClickHouseServer"]
