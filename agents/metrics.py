"""Prometheus metrics of the worker, served on its web page (/metrics)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

REGISTRY = CollectorRegistry()

EVENTS_IN = Counter(
    "atenciones_events_in", "Records read from the attentions topic", registry=REGISTRY
)
EVENTS_VALID = Counter(
    "atenciones_events_valid", "Records that passed validation", registry=REGISTRY
)
EVENTS_DLQ = Counter(
    "atenciones_events_dead_letter", "Records sent to the dead-letter topic", ["reason"],
    registry=REGISTRY,
)  # fmt: skip
OUTCOMES = Counter(
    "atenciones_revision_outcomes", "Valid records by revision outcome", ["outcome"],
    registry=REGISTRY,
)  # fmt: skip
SINK_BATCHES = Counter(
    "atenciones_sink_batches", "Batches written to ClickHouse", registry=REGISTRY
)
SINK_ROWS = Counter("atenciones_sink_rows", "Rows written to ClickHouse", registry=REGISTRY)
SINK_FAILURES = Counter(
    "atenciones_sink_failures", "Failed ClickHouse writes (retried)", registry=REGISTRY
)
SINK_SECONDS = Histogram(
    "atenciones_sink_seconds", "Duration of one ClickHouse batch write",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10), registry=REGISTRY,
)  # fmt: skip
LAG = Gauge(
    "atenciones_consumer_lag", "Records not yet committed, per partition", ["partition"],
    registry=REGISTRY,
)  # fmt: skip
TRANSIENT_FAILURES = Counter(
    "atenciones_transient_failures", "Transient failures retried with backoff, by component",
    ["component"], registry=REGISTRY,
)  # fmt: skip
PERMANENT_REJECTS = Counter(
    "atenciones_permanent_rejects",
    "Valid records that ClickHouse refused alone (dead-lettered as sink_rejected)",
    registry=REGISTRY,
)  # fmt: skip
LAST_SINK_SUCCESS = Gauge(
    "atenciones_last_sink_success_timestamp", "Unix time of the last successful ClickHouse write",
    registry=REGISTRY,
)  # fmt: skip
REROUTED = Counter(
    "atenciones_rerouted",
    "Records found on another partition than their key's murmur2 partition, forwarded there",
    registry=REGISTRY,
)  # fmt: skip
REWINDS = Counter(
    "atenciones_rewinds",
    "Partitions read again from their state's next offset: the consumer had moved past records "
    "no batch held (agents/continuity.py)",
    registry=REGISTRY,
)  # fmt: skip
SKIPPED_REPLAYS = Counter(
    "atenciones_skipped_replays",
    "Records seen again after a restart whose effects the state already held",
    registry=REGISTRY,
)  # fmt: skip
STATE_ATTENTIONS = Gauge(
    "atenciones_state_attentions", "Attentions remembered in memory (within the horizon), per "
    "source partition", ["partition"], registry=REGISTRY,
)  # fmt: skip
SNAPSHOTS = Counter(
    "atenciones_state_snapshots", "Partition states written whole to the journal (older entries "
    "deleted)", registry=REGISTRY,
)  # fmt: skip
GC_PAUSE = Histogram(
    "atenciones_gc_pause_seconds", "Python garbage-collector pauses, by generation",
    ["generation"], buckets=(0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5), registry=REGISTRY,
)  # fmt: skip
BATCH_STAGE_SECONDS = Histogram(
    "atenciones_batch_stage_seconds", "Time of each stage of an attention batch",
    ["stage"], buckets=(0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5), registry=REGISTRY,
)  # fmt: skip
REPORT_DELIVERIES = Counter(
    "atenciones_report_deliveries", "Looks at a daily report due, by kind and outcome (sent, "
    "archived, failed, waiting, gave_up, already, skipped, busy)", ["kind", "outcome"],
    registry=REGISTRY,
)  # fmt: skip
REPORT_CHECKS = Gauge(
    "atenciones_report_last_check_timestamp", "Unix time the leader last looked for reports due",
    registry=REGISTRY,
)  # fmt: skip
ALERTS_OPENED = Counter(
    "atenciones_alerts_opened", "Incident alerts opened (incidents/README.md)", registry=REGISTRY
)
SIGNALS_SENT = Counter(
    "atenciones_incident_signals",
    "First-seen service-failure attentions sent to the incident detector",
    registry=REGISTRY,
)  # fmt: skip
INCIDENT_LATE = Counter(
    "atenciones_incident_late_signals",
    "Service-failure attentions too late to judge (behind the detector's lateness, or inside a "
    "closed alert)",
    registry=REGISTRY,
)  # fmt: skip
