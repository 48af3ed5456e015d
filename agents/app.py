"""The Faust application: exactly-once processing, RocksDB tables, web page on loopback."""

from __future__ import annotations

import faust

from atenciones.settings import Settings


def create_app(settings: Settings) -> faust.App:
    """A Faust app configured from settings (one per worker process)."""
    brokers = [f"kafka://{server.strip()}" for server in settings.kafka_bootstrap.split(",")]
    settings.worker_dir.mkdir(parents=True, exist_ok=True)
    return faust.App(
        settings.worker_app_id,
        broker=brokers,
        store="rocksdb://",
        datadir=str(settings.worker_dir / "faust"),
        processing_guarantee="exactly_once",
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
        # Changelog and dead-letter writes: few large produce requests, not many tiny ones.
        producer_linger=0.01,
        producer_max_batch_size=1024 * 1024,
        producer_compression_type="lz4",
        stream_buffer_maxsize=max(4096, settings.worker_batch_size * 2),
    )
