"""The local broker is a real Kafka: topics, kafka-python produce and consume, PID stop."""

from __future__ import annotations

import uuid

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from kafka.admin import NewTopic

from local_stack.kafka import KafkaServer
from tests.fixtures.pipeline import wait_for


def test_produce_and_consume_back(kafka: KafkaServer) -> None:
    topic = f"roundtrip-{uuid.uuid4().hex[:8]}"
    admin = KafkaAdminClient(bootstrap_servers=kafka.bootstrap)
    admin.create_topics([NewTopic(topic, num_partitions=3, replication_factor=1)])
    # the metadata a broker answers with can lag its controller by a moment (KRaft)
    wait_for(lambda: topic in admin.list_topics(), 30, f"topic {topic} listed")
    admin.close()

    producer = KafkaProducer(bootstrap_servers=kafka.bootstrap, acks="all")
    sent = {f"key-{i}".encode(): f"value-{i}".encode() for i in range(50)}
    for key, value in sent.items():
        producer.send(topic, key=key, value=value)
    producer.flush()
    producer.close()

    consumer = KafkaConsumer(
        topic,
        bootstrap_servers=kafka.bootstrap,
        auto_offset_reset="earliest",
        consumer_timeout_ms=10_000,
        group_id=f"g-{topic}",
    )
    received = {}
    for record in consumer:
        received[record.key] = record.value
        if len(received) == len(sent):
            break
    consumer.close()
    assert received == sent


def test_topics_are_not_created_on_first_use(kafka: KafkaServer) -> None:
    consumer = KafkaConsumer(bootstrap_servers=kafka.bootstrap)
    assert not consumer.partitions_for_topic("never-created-topic")
    consumer.close()
    admin = KafkaAdminClient(bootstrap_servers=kafka.bootstrap)
    assert "never-created-topic" not in admin.list_topics()
    admin.close()


def test_start_twice_is_harmless_and_stop_leaves_no_process(kafka: KafkaServer) -> None:
    pid = kafka.process.running_pid()
    assert pid is not None
    assert kafka.start() is False
    assert kafka.process.running_pid() == pid
