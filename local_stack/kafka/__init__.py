"""A local Apache Kafka broker (KRaft, single node) run from Maven Central jars, no Docker."""

from local_stack.kafka.server import KafkaServer

__all__ = ["KafkaServer"]
