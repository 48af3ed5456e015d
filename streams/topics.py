"""The project's topics, created with their partition counts (broker auto-creation is off)."""

from __future__ import annotations

import time
from dataclasses import dataclass

from kafka import KafkaAdminClient, KafkaConsumer
from kafka.admin import NewTopic
from kafka.errors import TopicAlreadyExistsError

from foundation.settings import Settings

# The largest record batch a topic accepts (compressed). Producers of attentions stay far below
# (an attention is ~400 bytes; the contract refuses values over 16 KiB); dead letters are bounded.
MAX_MESSAGE_BYTES = 1024 * 1024


@dataclass(frozen=True)
class TopicSpec:
    name: str
    partitions: int
    config: dict[str, str]


def keep(days: int) -> dict[str, str]:
    """A topic's config: records kept `days`, whatever their size, each up to the limit."""
    return {
        "retention.ms": str(days * 86_400_000),
        "retention.bytes": "-1",
        "max.message.bytes": str(MAX_MESSAGE_BYTES),
    }


def project_topics(settings: Settings) -> list[TopicSpec]:
    """The raw topics keep producers' bytes as sent, which may carry personal data sent by
    mistake (free text in a case, an unknown field in an attention): each keeps them only as long
    as a replay can need them. ClickHouse, which never stores those bytes, is the record beyond.

    * attentions: ATENCIONES_ATTENTIONS_RETENTION_DAYS (400: a rebuild of the current and the
      previous year from Kafka, and every late correction, fit in it);
    * relevant-cases: ATENCIONES_CASES_RETENTION_DAYS (90; the text is redacted on validation);
    * the DLQ: ATENCIONES_DLQ_RETENTION_DAYS (90: long enough to fix a catalog and replay);
    * incident-signals (7 days: the detector's state is in its table) and alerts (400 days).
    """
    return [
        TopicSpec(
            settings.attentions_topic,
            settings.topic_partitions,
            keep(settings.attentions_retention_days),
        ),
        TopicSpec(settings.dlq_topic, settings.topic_partitions, keep(settings.dlq_retention_days)),
        TopicSpec(
            settings.relevant_cases_topic,
            settings.topic_partitions,
            keep(settings.cases_retention_days),
        ),
        *incident_topics(settings),
    ]


def incident_topics(settings: Settings) -> list[TopicSpec]:
    """The incident detector's input (its state is in its table: 7 days) and its alerts (400
    days); derived, no personal data. Each key of incident-signals lives on one partition of
    `topic_partitions`: the worker refuses to start if the topic has another count."""
    return [
        TopicSpec(settings.incident_signals_topic, settings.topic_partitions, keep(7)),
        TopicSpec(settings.alerts_topic, settings.topic_partitions, keep(400)),
    ]


def worker_changelogs(settings: Settings, tables: tuple[str, ...]) -> list[TopicSpec]:
    """The Faust changelog topics of the worker's tables ("<app id>-<table>-changelog").

    Created before the worker starts: a changelog that Faust creates itself can stay unknown to
    the consumer's metadata for minutes, and Faust then refuses to write the table.
    """
    compact = {"cleanup.policy": "compact"}
    return [
        TopicSpec(f"{settings.worker_app_id}-{table}-changelog", settings.topic_partitions, compact)
        for table in tables
    ]


def ensure_topics(bootstrap: str, topics: list[TopicSpec]) -> list[str]:
    """Create the topics that do not exist yet; return the names created."""
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=15000)
    try:
        existing = set(admin.list_topics())
        missing = [t for t in topics if t.name not in existing]
        created = []
        for topic in missing:
            try:
                admin.create_topics(
                    [NewTopic(topic.name, topic.partitions, 1, topic_configs=topic.config)]
                )
                created.append(topic.name)
            except TopicAlreadyExistsError:
                pass
        return created
    finally:
        admin.close()


def partition_count(bootstrap: str, topic: str, wait_s: float = 0.0) -> int:
    """How many partitions `topic` has (it must exist). wait_s: how long to wait for it to show
    in the broker's metadata (a topic just created may not show at once)."""
    deadline = time.monotonic() + wait_s
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, request_timeout_ms=15000)
    try:
        partitions = consumer.partitions_for_topic(topic)
        while not partitions and time.monotonic() < deadline:
            time.sleep(0.2)
            consumer.topics()  # a metadata refresh
            partitions = consumer.partitions_for_topic(topic)
    finally:
        consumer.close()
    if not partitions:
        raise RuntimeError(f"topic {topic!r} does not exist on {bootstrap}")
    return len(partitions)
