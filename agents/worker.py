"""The worker process: `atenciones worker` (or `faust -A agents.worker worker`)."""

from __future__ import annotations

import sys

from agents.app import create_app
from agents.cases import register_case_agent
from agents.gc_watch import watch_gc
from agents.health import WorkerHealth
from agents.incidents import register_incident_agent
from agents.pipeline import register_agents
from agents.report_timer import register_report_timer
from agents.sink import Sink
from agents.stall_exit import register_stall_exit
from agents.watchdog import BatchWatchdog
from agents.web import register_pages
from clickhouse.client import connect
from clickhouse.writer import SinkWriter
from foundation.settings import get_settings
from streams.topics import ensure_topics, incident_topics, partition_count, worker_changelogs

# A topic the worker has just created may take a moment to show in the broker's metadata (the
# first start of a fresh deployment refused to run: "topic … does not exist").
TOPIC_METADATA_WAIT_S = 15.0

settings = get_settings()
app = create_app(settings)
health = WorkerHealth(settings.health_sink_failing_s, settings.health_stall_s)
sink = Sink(lambda: SinkWriter(connect(settings)), health, settings.sink_retry_s)
pipeline = register_agents(app, settings, sink, health)
cases = register_case_agent(app, settings, sink, health)
incidents = (
    register_incident_agent(app, settings, sink, health) if settings.incidents_enabled else None
)
if incidents is not None:
    pipeline.send_signals = incidents.send_signals
register_pages(app, settings.attentions_topic, health)
register_report_timer(app, settings, health)
register_stall_exit(app, settings.attentions_topic, health, settings.worker_stall_exit_s)
watchdog = BatchWatchdog(health, settings.worker_batch_timeout_s)


@app.task
async def start_watchdog() -> None:
    watchdog.start()
    watch_gc()


def run(log_level: str = "info") -> None:
    """Run the worker in the foreground until stopped (SIGTERM/SIGINT)."""
    tables: tuple[str, ...] = (pipeline.journal.name, cases.states.name)
    if incidents is not None:
        tables += (incidents.states.name,)
    ensure_topics(settings.kafka_bootstrap, worker_changelogs(settings, tables))
    if incidents is not None:
        # created here, not by the broker on first use (with its default single partition)
        ensure_topics(settings.kafka_bootstrap, incident_topics(settings))
        signals = partition_count(
            settings.kafka_bootstrap, settings.incident_signals_topic, wait_s=TOPIC_METADATA_WAIT_S
        )
        if signals != settings.topic_partitions:
            raise RuntimeError(
                f"topic {settings.incident_signals_topic} has {signals} partitions, "
                f"ATENCIONES_TOPIC_PARTITIONS is {settings.topic_partitions}: they must match"
            )
    # Records are forwarded to their key's partition among the topic's real partitions.
    pipeline.source_partitions = partition_count(
        settings.kafka_bootstrap, settings.attentions_topic
    )
    sys.argv = ["atenciones-worker", "worker", "--loglevel", log_level]
    app.main()
