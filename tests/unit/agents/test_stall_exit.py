"""The stall exit: only a stall with no batch in hand, held for the whole delay, stops the
worker; a batch in hand (the batch watchdog's) or a stall that clears resets it."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from agents.health import WorkerHealth
from agents.stall_exit import StallExit
from agents.watchdog import STUCK_EXIT_CODE
from foundation.settings import Settings

STALL = ["partition 3: 120 records waiting, nothing committed for 60 s"]


def stall_exit(exit_after_s: float = 100.0) -> tuple[StallExit, list[int], WorkerHealth]:
    codes: list[int] = []
    health = WorkerHealth(sink_failing_after_s=30, stall_after_s=60)
    return StallExit(health, exit_after_s, codes.append), codes, health


def test_a_stall_held_for_the_whole_delay_stops_the_worker_with_code_75() -> None:
    checker, codes, _ = stall_exit()
    assert not checker.check(STALL, now=1000.0)
    assert not checker.check(STALL, now=1099.0)
    assert checker.check(STALL, now=1100.0, tasks=lambda: "task x: waiting")
    assert codes == [STUCK_EXIT_CODE]


def test_a_stall_that_clears_starts_over() -> None:
    checker, codes, _ = stall_exit()
    checker.check(STALL, now=1000.0)
    checker.check([], now=1050.0)
    assert not checker.check(STALL, now=1120.0)
    assert not checker.check(STALL, now=1219.0)
    assert codes == []


def test_a_batch_in_hand_is_the_batch_watchdogs_not_this() -> None:
    checker, codes, health = stall_exit()
    health.batch_started("attentions")
    assert not checker.check(STALL, now=1000.0)
    assert not checker.check(STALL, now=5000.0)
    health.batch_ended("attentions", completed=False)
    assert not checker.check(STALL, now=5001.0)
    assert codes == []


def test_another_agents_batches_do_not_hide_the_stall() -> None:
    """The incident agent works every few seconds (its ticks) while the attention agent's
    records do not come: the stall still ends the worker."""
    checker, codes, health = stall_exit()
    assert not checker.check(STALL, now=1000.0)
    health.batch_started("incidents")
    assert not checker.check(STALL, now=1050.0)
    health.batch_ended("incidents")
    assert checker.check(STALL, now=1100.0)
    assert codes == [STUCK_EXIT_CODE]


def test_zero_turns_it_off() -> None:
    checker, codes, _ = stall_exit(exit_after_s=0)
    assert not checker.check(STALL, now=0.0)
    assert not checker.check(STALL, now=1e9)
    assert codes == []


def test_the_stall_exit_must_come_after_health_says_so() -> None:
    with pytest.raises(ValidationError, match="STALL_EXIT_S must exceed"):
        Settings(worker_stall_exit_s=30, health_stall_s=60)
    assert Settings(worker_stall_exit_s=0, health_stall_s=60).worker_stall_exit_s == 0
