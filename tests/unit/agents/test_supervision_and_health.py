"""Pure pieces of the worker's failure handling: backoff, crash loops, health verdicts."""

from __future__ import annotations

import random

from kafka.partitioner.default import murmur2 as kafka_murmur2

from agents.admission import key_partition
from agents.health import WorkerHealth
from agents.watchdog import STUCK_EXIT_CODE, BatchWatchdog
from agents.web import partition_lag
from local_stack.worker.supervisor import CRASH_LOOP_EXITS, in_crash_loop, next_backoff


def test_backoff_doubles_up_to_a_minute_and_resets_after_a_healthy_run() -> None:
    delays = [1.0]
    for _ in range(8):
        delays.append(next_backoff(delays[-1], ran_for=2))
    assert delays[:5] == [1, 2, 4, 8, 16] and delays[-1] == 60
    assert next_backoff(60, ran_for=61) == 1


def test_crash_loop_is_five_exits_in_five_minutes() -> None:
    assert in_crash_loop([100.0 + i for i in range(CRASH_LOOP_EXITS)], now=110)
    assert not in_crash_loop([100.0 + i for i in range(CRASH_LOOP_EXITS - 1)], now=110)
    assert not in_crash_loop([0.0] * CRASH_LOOP_EXITS, now=1000)


def test_health_reports_sink_failure_only_past_the_threshold_and_recovers() -> None:
    health = WorkerHealth(sink_failing_after_s=30, stall_after_s=60)
    health.sink_failed(ConnectionRefusedError("refused"))
    since = health.sink_failing_since
    assert since is not None
    assert health.problems(lag=0, now=since + 10) == []
    problems = health.problems(lag=0, now=since + 31)
    assert len(problems) == 1 and "ConnectionRefusedError" in problems[0]
    health.sink_succeeded()
    assert health.problems(lag=0, now=since + 31) == []


def test_health_reports_a_stall_only_with_lag_and_a_crash_always() -> None:
    health = WorkerHealth(sink_failing_after_s=30, stall_after_s=60)
    start = health.last_progress
    assert health.problems(lag=0, now=start + 600) == []
    assert "no batch completed" in health.problems(lag=5, now=start + 61)[0]
    health.batch_started("attentions")
    health.batch_ended("attentions")
    assert health.problems(lag=5, now=health.last_progress + 1) == []
    health.agent_crashed("attentions", RuntimeError("boom"))
    assert health.problems(lag=0) == ["agent attentions crashed: RuntimeError: boom"]


def test_key_partition_is_the_java_clients_murmur2() -> None:
    # murmur2 values from Apache Kafka's UtilsTest.testMurmur2 (the Java default partitioner).
    java = {b"21": -973932308, b"foobar": -790332482, b"abc": 479470107,
            b"a-little-bit-long-string": -985981536}  # fmt: skip
    for key, value in java.items():
        assert key_partition(key, 6) == (value & 0x7FFFFFFF) % 6
        assert key_partition(key, 7) == (value & 0x7FFFFFFF) % 7
    # and kafka-python's partitioner (its producers') on keys of every length
    rng = random.Random(13)
    for length in range(64):
        key = rng.randbytes(length)
        assert key_partition(key, 6) == (kafka_murmur2(key) & 0x7FFFFFFF) % 6


def test_a_batch_running_past_the_stall_limit_fails_health_even_without_lag() -> None:
    health = WorkerHealth(sink_failing_after_s=30, stall_after_s=60)
    health.batch_started("attentions")
    began = health.running["attentions"]
    assert health.problems(lag=0, now=began + 59) == []
    assert health.problems(lag=0, now=began + 61) == [
        "a batch of agent attentions has been running for 61 s"
    ]
    health.batch_ended("attentions", completed=False)  # cancelled: no progress recorded
    assert health.last_progress < began
    assert health.problems(lag=0, now=began + 61) == []


def test_the_watchdog_stops_the_process_only_for_a_batch_past_its_deadline() -> None:
    health = WorkerHealth(sink_failing_after_s=30, stall_after_s=60)
    exits: list[int] = []
    watchdog = BatchWatchdog(health, timeout_s=300, exit_process=exits.append)
    health.batch_started("cases")
    began = health.running["cases"]
    assert not watchdog.check(began + 299) and exits == []
    assert watchdog.check(began + 301)
    assert exits == [STUCK_EXIT_CODE]
    health.batch_ended("cases")
    assert not watchdog.check(began + 10_000)


def test_settling_collects_cyclic_garbage_and_freezes_what_lives() -> None:
    import gc  # noqa: PLC0415
    import weakref  # noqa: PLC0415

    from agents.gc_watch import settle_long_lived  # noqa: PLC0415

    class Node:
        other: object = None

    garbage = Node()
    garbage.other = garbage  # a cycle: only the collector frees it
    gone = weakref.ref(garbage)
    del garbage
    try:
        settle_long_lived()
        assert gone() is None  # collected, not frozen for good
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()


def test_a_failing_report_delivery_fails_health_until_a_look_finds_it_delivered() -> None:
    from datetime import date  # noqa: PLC0415

    from agents.report_timer import note_results  # noqa: PLC0415
    from reports.delivery import Outcome, Result  # noqa: PLC0415
    from reports.schedule import DAILY, Due  # noqa: PLC0415

    health = WorkerHealth(sink_failing_after_s=30, stall_after_s=60)
    due = Due(date(2026, 11, 29), DAILY)
    note_results([Result(due, Outcome.FAILED, 1, error="SMTPConnectError: down")], health)
    [problem] = health.problems(lag=0)
    assert problem.startswith("report delivery failing: diario 2026-11-29: failed (attempt 1)")
    assert "SMTPConnectError: down" in problem
    note_results([Result(due, Outcome.WAITING, 1, error="SMTPConnectError: down")], health)
    assert health.problems(lag=0)
    note_results([Result(due, Outcome.SENT, 2, message_id="<m@x>", total=462)], health)
    assert health.problems(lag=0) == []
    assert health.report_checks == 3


def test_a_partition_with_records_waiting_and_no_commit_fails_health_while_others_flow() -> None:
    """The stall seen once after kill -9s: three of six partitions never fetched again while the
    others flowed, batches completed, and /health said ok."""
    health = WorkerHealth(sink_failing_after_s=30, stall_after_s=60)
    health.last_progress = 1000
    flowing = {0: (100, 5), 1: (1728, 2000)}
    assert health.problems(2005, now=1000, partitions=flowing) == []
    health.last_progress = 1070  # batches keep completing (partition 0 flows)
    later = {0: (900, 5), 1: (1728, 2000)}
    assert health.problems(2005, now=1070, partitions=later) == [
        "partition 1: 2000 records waiting, nothing committed for 70 s"
    ]
    moved = {0: (950, 5), 1: (1800, 1928)}
    assert health.problems(1933, now=1075, partitions=moved) == []
    caught_up = {0: (960, 0), 1: (3728, 0)}
    assert health.problems(0, now=2000, partitions=caught_up) == []
    assert health.problems(0, now=3000, partitions={0: (960, 0)}) == []  # 1 moved elsewhere
    assert set(health.committed_since) == {0}


def test_a_partition_never_committed_counts_all_its_records_as_waiting_and_can_stall() -> None:
    """Seen after kill -9s: a partition assigned before anything of it was committed, never
    fetched by the new worker; it had no lag at all, so /health said ok and no stall exit came."""
    assert partition_lag(None, None) is None  # end not known yet: nothing to say
    assert partition_lag(3721, None) == (0, 3721)
    assert partition_lag(3721, 1396) == (1396, 2325)
    assert partition_lag(0, None) == (0, 0)  # an empty partition waits for nothing
    health = WorkerHealth(sink_failing_after_s=30, stall_after_s=60)
    health.last_progress = 1000
    never = {0: (3735, 0), 5: partition_lag(3721, None) or (0, 0)}
    assert health.problems(3721, now=1000, partitions=never) == []
    health.last_progress = 1070  # other partitions' batches completed meanwhile
    assert health.problems(3721, now=1070, partitions=never) == [
        "partition 5: 3721 records waiting, nothing committed for 70 s"
    ]
