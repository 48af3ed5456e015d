"""The Faust application: exactly-once processing, RocksDB tables, web page on loopback."""

from __future__ import annotations

import faust

from agents.faust_bridge import bounded_stop_wait
from foundation.settings import Settings

# RocksDB per table partition: Faust's defaults (64 MiB write buffers x 3, a 2 GiB block cache,
# for each of the 12 databases) let memory grow with what is written, not with what is kept.
# The journal is read once per assignment and written in order: small buffers and caches do.
TABLE_STORE_OPTIONS = {
    "write_buffer_size": 8 * 2**20,
    "max_write_buffer_number": 2,
    "block_cache_size": 16 * 2**20,
    "block_cache_compressed_size": 4 * 2**20,
}


def create_app(settings: Settings) -> faust.App:
    """A Faust app configured from settings (one per worker process)."""
    brokers = [f"kafka://{server.strip()}" for server in settings.kafka_bootstrap.split(",")]
    settings.worker_dir.mkdir(parents=True, exist_ok=True)
    app = faust.App(
        settings.worker_app_id,
        broker=brokers,
        store="rocksdb://",
        datadir=str(settings.worker_dir / "faust"),
        # Exactly-once counts come from idempotence, not Kafka transactions (agents/pipeline.py):
        # the state journals the last offset it covers, ClickHouse rows are versioned by offset.
        # Faust's transactions fenced workers on a rebalance and aborted on a slow sink.
        processing_guarantee="at_least_once",
        topic_partitions=settings.topic_partitions,
        topic_replication_factor=1,
        topic_allow_declare=True,
        web_host="127.0.0.1",
        web_port=settings.worker_web_port,
        web_bind="127.0.0.1",
        consumer_auto_offset_reset="earliest",
        broker_commit_every=settings.worker_batch_size,
        # A crashed worker's partitions move after 10 s of silence, not Faust's default 60 s.
        broker_session_timeout=10.0,
        broker_heartbeat_interval=3.0,
        # A batch waits twice for the broker (incident signals, then the journal): 1 ms of linger
        # instead of 10 took ~20 ms off a batch at 1,000 events/s; a year replay's rate did not
        # move (agents/README.md, latency).
        producer_linger=0.001,
        producer_max_batch_size=1024 * 1024,
        # zstd: aiokafka compresses lz4 at level 9 (LZ4HC), which cost 5 % of the worker's CPU;
        # zstd at the broker's default level 3 is faster here and packs the journal twice as tight.
        producer_compression_type="zstd",
        # Set on purpose (the broker's and the topics' max.message.bytes are the same): journal
        # entries are chunked and dead letters bounded (schemas/dead_letter.py) to stay below it.
        producer_max_request_size=1024 * 1024,
        stream_buffer_maxsize=max(4096, settings.worker_batch_size * 2),
        # A fetch hands over at most a batch of records: aiokafka unpacks the rest of what it
        # fetched (a compressed megabyte per partition) only when asked, so records wait as bytes.
        broker_max_poll_records=settings.worker_batch_size,
    )
    # A stop must not wait forever for a batch held while ClickHouse is down.
    bounded_stop_wait(app, settings.worker_stop_grace_s)
    return app


def byte_topic(app: faust.App, name: str, partitions: int | None = None) -> faust.TopicT:
    """A topic whose keys and values are bytes as on the wire (the agents decode them)."""
    return app.topic(
        name, key_type=bytes, value_type=bytes, key_serializer="raw", value_serializer="raw",
        partitions=partitions,
    )  # fmt: skip
