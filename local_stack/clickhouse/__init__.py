"""A real ClickHouse server on loopback, run from the chdb-core wheel (ClickHouse's own code)."""

from local_stack.clickhouse.server import ClickHouseServer

__all__ = ["ClickHouseServer"]
