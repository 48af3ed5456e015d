"""Kafka -> Faust -> ClickHouse: exact counts through duplicates, revisions, voids, late records,
Lima midnight, several workers and SIGKILL."""

from __future__ import annotations

import functools
import re
import threading
import time
import urllib.request
import warnings
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from kafka import KafkaConsumer, TopicPartition
from kafka.structs import OffsetAndMetadata

from agents.admission import key_partition
from foundation.processes import BackgroundProcess, free_port, http_json, wait_until
from foundation.settings import Settings
from local_stack.clickhouse import ClickHouseServer
from local_stack.kafka import KafkaServer
from streams.producer import AttentionProducer
from streams.topics import ensure_topics, project_topics
from tests.fixtures.pipeline import (
    clickhouse_counts,
    clickhouse_env,
    clickhouse_grouped_rows,
    clickhouse_partition_totals,
    expected_counts,
    expected_final,
    scenario,
    start_pipeline_clickhouse,
    start_worker,
    unique_topics,
    wait_for_counts,
    wait_for_group_caught_up,
    where_it_waits,
    worker_app_id,
)


@pytest.fixture
def clickhouse(tmp_path: Path) -> Iterator[ClickHouseServer]:
    server = start_pipeline_clickhouse(tmp_path / "clickhouse")
    yield server
    server.stop()


def _topics(kafka: KafkaServer, prefix: str) -> dict[str, str]:
    topics = unique_topics(prefix)
    settings = Settings(
        attentions_topic=topics["ATENCIONES_ATTENTIONS_TOPIC"],
        dlq_topic=topics["ATENCIONES_DLQ_TOPIC"],
    )
    ensure_topics(kafka.bootstrap, project_topics(settings))
    return topics


def _publish(kafka: KafkaServer, topic: str, stream: list[dict]) -> None:  # type: ignore[type-arg]
    with AttentionProducer(kafka.bootstrap, topic) as producer:
        report = producer.publish(stream)
    assert not report.rejected, report.rejected[:3]


@pytest.mark.timeout(300)
def test_counts_are_exact_through_revisions_and_lima_midnight(
    kafka: KafkaServer, clickhouse: ClickHouseServer, tmp_path: Path
) -> None:
    topics = _topics(kafka, "exact")
    stream = scenario(1500, seed=21)
    expected = expected_counts(stream)
    days = {key[0] for key in expected}
    assert {"2024-11-07", "2024-11-08", "2024-11-09", "2024-09-29"} <= days
    _publish(kafka, topics["ATENCIONES_ATTENTIONS_TOPIC"], stream)
    web = str(free_port())
    worker = start_worker(
        kafka,
        tmp_path / "w1",
        **topics,
        **clickhouse_env(clickhouse),
        ATENCIONES_WORKER_WEB_PORT=web,
    )
    try:
        seen = wait_for_counts(clickhouse, expected)
        health = orjson.loads(urllib.request.urlopen(f"http://127.0.0.1:{web}/health").read())
        page = urllib.request.urlopen(f"http://127.0.0.1:{web}/metrics").read().decode()
    finally:
        worker.stop(timeout=30)
    assert seen == expected, worker.log_tail(40)
    assert health["status"] == "ok" and health["partitions"] == list(range(6))
    assert f"atenciones_events_valid_total {float(len(stream))}" in page
    duplicates = len(stream) - len({orjson.dumps(r) for r in stream})
    outcomes = {
        line.split('"')[1]: float(line.rsplit(" ", 1)[1])
        for line in page.splitlines()
        if line.startswith("atenciones_revision_outcomes_total{")
    }
    assert sum(outcomes.values()) == len(stream)
    assert outcomes["new"] == len({r["attention_id"] for r in stream})
    assert outcomes["duplicate"] >= duplicates > 0
    assert outcomes["replace"] > 0 and outcomes["void"] > 0 and outcomes["stale"] > 0
    assert "atenciones_sink_batches_total" in page and "atenciones_consumer_lag" in page
    assert sum(seen.values()) == len(expected_final(stream))
    # A replay of the whole topic by a fresh consumer group changes nothing.
    replayer = start_worker(
        kafka,
        tmp_path / "w2",
        **topics,
        **clickhouse_env(clickhouse),
        ATENCIONES_WORKER_APP_ID="replay-group",
    )
    try:
        topic = topics["ATENCIONES_ATTENTIONS_TOPIC"]
        wait_for_group_caught_up(kafka.bootstrap, "replay-group", topic)
        assert wait_for_counts(clickhouse, expected, timeout=30) == expected
    finally:
        replayer.stop(timeout=30)


@pytest.mark.timeout(300)
def test_two_workers_sharing_partitions_give_the_same_totals(
    kafka: KafkaServer, clickhouse: ClickHouseServer, tmp_path: Path
) -> None:
    topics = _topics(kafka, "pair")
    stream = scenario(1200, seed=22)
    expected = expected_counts(stream)
    ports = [str(free_port()) for _ in range(2)]
    workers = [
        start_worker(
            kafka,
            tmp_path / f"w{i}",
            **topics,
            **clickhouse_env(clickhouse),
            ATENCIONES_WORKER_APP_ID=f"pair-{tmp_path.name}",
            ATENCIONES_WORKER_WEB_PORT=ports[i],
        )
        for i in range(2)
    ]

    def shared_out() -> bool:  # both members hold partitions: the group has settled
        held = [http_json(f"http://127.0.0.1:{p}/health")[1].get("partitions") for p in ports]
        return all(held) and sorted(held[0] + held[1]) == list(range(6))

    try:
        wait_until(shared_out, 90, "two workers sharing the six partitions")
        _publish(kafka, topics["ATENCIONES_ATTENTIONS_TOPIC"], stream)
        seen = wait_for_counts(clickhouse, expected)
        assert all(w.running_pid() for w in workers)
        shares = [
            orjson.loads(urllib.request.urlopen(f"http://127.0.0.1:{p}/health").read())[
                "partitions"
            ]
            for p in ports
        ]
    finally:
        for worker in workers:
            worker.stop(timeout=30)
    assert seen == expected
    assert clickhouse_grouped_rows(clickhouse) == expected
    # One consumer group: the six partitions are split between the two workers.
    assert sorted(shares[0] + shares[1]) == list(range(6)) and shares[0] and shares[1]


@pytest.mark.timeout(300)
def test_a_worker_keeps_the_states_it_kept_through_a_rebalance_and_rebuilds_the_others(
    kafka: KafkaServer, clickhouse: ClickHouseServer, tmp_path: Path
) -> None:
    """Worker A counts alone; B joins and counts records of its three partitions only (A
    counts nothing meanwhile, so it still holds their old states); B leaves. A keeps the
    states of the partitions it held all along and rebuilds B's from the journal (B wrote to
    it); corrections that span the parts of the stream are counted exactly."""
    topics = _topics(kafka, "keep")
    stream = scenario(1800, seed=41)
    first, rest = stream[:600], stream[600:]
    ports = [str(free_port()) for _ in range(2)]
    env = {**topics, **clickhouse_env(clickhouse)}
    env["ATENCIONES_WORKER_APP_ID"] = f"keep-{tmp_path.name}"

    def worker(i: int) -> BackgroundProcess:
        return start_worker(kafka, tmp_path / f"w{i}", **env, ATENCIONES_WORKER_WEB_PORT=ports[i])

    def held(i: int) -> list[int]:
        return http_json(f"http://127.0.0.1:{ports[i]}/health")[1].get("partitions") or []

    def partition_of(event: dict) -> int:  # type: ignore[type-arg]
        return key_partition(str(event["attention_id"]).encode(), 6)

    a = worker(0)
    b: BackgroundProcess | None = None
    try:
        wait_until(lambda: held(0) == list(range(6)), 90, "worker A holding the six partitions")
        _publish(kafka, topics["ATENCIONES_ATTENTIONS_TOPIC"], first)
        assert wait_for_counts(clickhouse, expected_counts(first)) == expected_counts(first)
        b = worker(1)
        wait_until(lambda: held(0) and held(1), 90, "A and B sharing the partitions")
        kept, moved = held(0), held(1)
        to_b = [e for e in rest[:600] if partition_of(e) in moved]  # each key's in order
        _publish(kafka, topics["ATENCIONES_ATTENTIONS_TOPIC"], to_b)
        assert wait_for_counts(clickhouse, expected_counts(first + to_b)) == expected_counts(
            first + to_b
        )
        b.stop(timeout=30)
        wait_until(lambda: held(0) == list(range(6)), 90, "A holding the six partitions again")
        sent = {id(e) for e in to_b}
        _publish(
            kafka, topics["ATENCIONES_ATTENTIONS_TOPIC"], [e for e in rest if id(e) not in sent]
        )
        seen = wait_for_counts(clickhouse, expected_counts(stream))
        log = a.log_tail(4000)
    finally:
        if b is not None:
            b.stop(timeout=30)
        a.stop(timeout=30)
    assert to_b and len(to_b) < len(rest)
    assert seen == expected_counts(stream)
    assert clickhouse_grouped_rows(clickhouse) == expected_counts(stream)
    # A's first batch after B left: its own three kept, B's three found outdated and rebuilt
    assert f"partitions {kept} kept in memory, {moved} to rebuild" in log, log[-3000:]
    rebuilt = [int(p) for p in re.findall(r"partition (\d+): \d+ attentions, .*rebuilt from", log)]
    assert sorted(rebuilt) == sorted(list(range(6)) + moved), rebuilt  # at start, then B's


@pytest.mark.timeout(300)
def test_counts_follow_the_state_not_a_committed_offset_past_what_it_holds(
    kafka: KafkaServer, clickhouse: ClickHouseServer, tmp_path: Path
) -> None:
    """The consumer group has committed offsets in the middle of three partitions whose
    records no state holds (what kill -9s once left: a partition committed past records no
    batch ever held; or a state directory lost with its journal behind). The worker reads
    those partitions again from its state's next offset, and the counts are exact."""
    topics = _topics(kafka, "ahead")
    topic = topics["ATENCIONES_ATTENTIONS_TOPIC"]
    stream = scenario(1200, seed=43)
    _publish(kafka, topic, stream)
    env = {**topics, **clickhouse_env(clickhouse)}
    env["ATENCIONES_WORKER_APP_ID"] = group = f"ahead-{tmp_path.name}"
    consumer = KafkaConsumer(
        bootstrap_servers=kafka.bootstrap, group_id=group, enable_auto_commit=False
    )
    ahead = [TopicPartition(topic, p) for p in (1, 3, 4)]
    consumer.assign(ahead)
    ends = consumer.end_offsets(ahead)
    consumer.commit({tp: OffsetAndMetadata(ends[tp] // 2, "", -1) for tp in ahead})
    consumer.close()
    worker = start_worker(kafka, tmp_path / "w", **env)
    try:
        seen = wait_for_counts(clickhouse, expected_counts(stream))
        log = worker.log_tail(4000)
    finally:
        worker.stop(timeout=30)
    assert seen == expected_counts(stream), log[-3000:]
    assert clickhouse_grouped_rows(clickhouse) == expected_counts(stream)
    for tp in ahead:
        assert (
            f"partition {tp.partition}: its state holds the records up to offset -1, "
            f"but the next one read is {ends[tp] // 2}"
        ) in log, log[-3000:]


@pytest.mark.timeout(420)
def test_sigkill_three_times_mid_stream_loses_and_doubles_nothing(
    kafka: KafkaServer, clickhouse: ClickHouseServer, tmp_path: Path
) -> None:
    topics = _topics(kafka, "kill")
    stream = scenario(14000, seed=23)  # ~20k records with duplicates and revisions
    assert len(stream) >= 20000
    expected = expected_counts(stream)
    env = {**topics, **clickhouse_env(clickhouse)}

    def publish_slowly() -> None:
        with AttentionProducer(kafka.bootstrap, topics["ATENCIONES_ATTENTIONS_TOPIC"]) as producer:
            for start in range(0, len(stream), 500):
                producer.publish(stream[start : start + 500])
                time.sleep(0.15)

    publisher = threading.Thread(target=publish_slowly)
    publisher.start()
    # A worker whose counting stalls stops with code 75 after 30 s (agents/stall_exit.py) and,
    # as its supervisor would, the test starts it again: counts must still come out exact.
    env |= {"ATENCIONES_HEALTH_STALL_S": "15", "ATENCIONES_WORKER_STALL_EXIT_S": "30"}
    worker = start_worker(kafka, tmp_path / "w", **env)
    stall_exits = []
    total = sum(expected.values())

    def moved_on(before: int, process: BackgroundProcess) -> bool:
        """Counted more since `before`, or everything, or ended by itself (a stall exit)."""
        now = sum(clickhouse_counts(clickhouse).values())
        return now > before or now == total or process.exited_early() is not None

    try:
        for _ in range(3):
            # each kill lands once the worker has made progress since the last one (mid-stream)
            before = sum(clickhouse_counts(clickhouse).values())
            wait_until(
                functools.partial(moved_on, before, worker), 90,
                "the worker counting more before the kill", interval=0.5,
            )  # fmt: skip
            worker.kill()
            worker = start_worker(kafka, tmp_path / "w", **env)
        publisher.join()
        deadline = time.monotonic() + 180
        while (seen := wait_for_counts(clickhouse, expected, timeout=5)) != expected:
            if time.monotonic() > deadline:
                break
            if worker.exited_early() == 75:
                stall_exits.append(worker.log_tail(400))
                worker = start_worker(kafka, tmp_path / "w", **env)
        stalled = ""
        if seen == expected:
            # the counts of a batch land before its rows: exact counts written by a worker
            # killed before its rows leave the rows to the replay, done once the group is at
            # the end (committed after the whole batch)
            topic = topics["ATENCIONES_ATTENTIONS_TOPIC"]
            wait_for_group_caught_up(kafka.bootstrap, worker_app_id(tmp_path / "w"), topic)
        else:  # what each partition lacks first: a truncated message keeps it
            partitions = Counter(key_partition(str(i).encode(), 6) for i in expected_final(stream))
            stalled = (
                f"counted per partition {clickhouse_partition_totals(clickhouse)}, expected "
                f"{dict(sorted(partitions.items()))}; warnings of the worker's log: "
                f"{[line for line in worker.log_tail(5000).splitlines() if 'WARN' in line][-20:]}"
                f"\n{where_it_waits(worker)}"
            )
    finally:
        publisher.join()
        worker.stop(timeout=30)
    if stall_exits:
        warnings.warn(f"the counting stalled and the worker restarted {len(stall_exits)} times; "
                      f"its log before the first:\n{stall_exits[0]}", stacklevel=1)  # fmt: skip
    assert sum(seen.values()) == sum(expected.values()), stalled
    assert seen == expected
    assert clickhouse_counts(clickhouse) == clickhouse_grouped_rows(clickhouse)
