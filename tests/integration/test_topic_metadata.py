"""A topic the worker creates at start is counted as soon as the broker shows it: partition_count
waits for the metadata (a fresh deployment's first start refused to run: "does not exist")."""

from __future__ import annotations

import time
import uuid

import pytest

from local_stack.kafka import KafkaServer
from streams.topics import TopicSpec, ensure_topics, partition_count


def test_a_topic_just_created_is_counted(kafka: KafkaServer) -> None:
    name = f"fresh-{uuid.uuid4().hex[:8]}"
    ensure_topics(kafka.bootstrap, [TopicSpec(name, 6, {})])
    assert partition_count(kafka.bootstrap, name, wait_s=15) == 6


def test_a_missing_topic_is_refused_after_the_wait(kafka: KafkaServer) -> None:
    began = time.monotonic()
    with pytest.raises(RuntimeError, match="does not exist"):
        partition_count(kafka.bootstrap, f"missing-{uuid.uuid4().hex[:8]}", wait_s=1)
    assert 1 <= time.monotonic() - began < 10
