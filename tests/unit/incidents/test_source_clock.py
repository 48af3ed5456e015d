"""The detector's clock in the worker: the slowest source partition still sending; a silent one
stops holding it back; a new worker waits to hear from every partition (at most idle_s)."""

from __future__ import annotations

from incidents.source_clock import SourceClock


def test_the_slowest_partition_sets_the_clock_once_all_are_heard() -> None:
    clock = SourceClock(sources=3, idle_s=30, started=0.0)
    assert clock.now_ms(1.0) is None  # nothing heard
    clock.heard(0, 5_000, 1.0)
    clock.heard(1, 9_000, 1.0)
    assert clock.now_ms(2.0) is None  # partition 2 not heard yet: a backfill may be behind
    clock.heard(2, 7_000, 2.0)
    assert clock.now_ms(3.0) == 5_000
    clock.heard(0, 8_000, 4.0)
    clock.heard(0, 6_000, 4.5)  # an older attention: the partition's progress stays
    assert clock.now_ms(5.0) == 7_000


def test_a_silent_partition_stops_holding_the_clock_back() -> None:
    clock = SourceClock(sources=2, idle_s=30, started=0.0)
    clock.heard(0, 1_000, 0.0)
    clock.heard(1, 50_000, 0.0)
    assert clock.now_ms(10.0) == 1_000
    clock.heard(1, 60_000, 25.0)
    assert clock.now_ms(31.0) == 60_000  # partition 0 silent for 31 s
    assert clock.now_ms(100.0) == 60_000  # all silent: the newest counted anywhere


def test_after_idle_s_a_partition_never_heard_is_not_waited_for() -> None:
    clock = SourceClock(sources=6, idle_s=30, started=0.0)
    clock.heard(3, 42_000, 29.0)
    assert clock.now_ms(29.5) is None
    assert clock.now_ms(30.5) == 42_000
