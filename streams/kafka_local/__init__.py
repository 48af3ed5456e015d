"""A local Apache Kafka broker (KRaft, single node) run from Maven Central jars, no Docker."""

from streams.kafka_local.server import KafkaServer

__all__ = ["KafkaServer"]
