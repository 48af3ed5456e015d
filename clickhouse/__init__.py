"""ClickHouse: migrations, the sink writer, the shared queries and the local server launcher."""
