"""The worker process: `atenciones worker` (or `faust -A agents.worker worker`)."""

from __future__ import annotations

import sys

from agents.app import create_app
from agents.cases import register_case_agent
from agents.pipeline import register_agents
from agents.web import register_pages
from atenciones.settings import get_settings
from clickhouse.client import connect
from clickhouse.writer import SinkWriter
from streams.topics import ensure_topics, worker_changelogs

settings = get_settings()
app = create_app(settings)
pipeline = register_agents(app, settings, lambda: SinkWriter(connect(settings)))
cases = register_case_agent(app, settings, lambda: SinkWriter(connect(settings)))
register_pages(app, settings.attentions_topic)


def run(log_level: str = "info") -> None:
    """Run the worker in the foreground until stopped (SIGTERM/SIGINT)."""
    tables = (pipeline.journal.name, cases.revisions.name)
    ensure_topics(settings.kafka_bootstrap, worker_changelogs(settings, tables))
    sys.argv = ["atenciones-worker", "worker", "--loglevel", log_level]
    app.main()
