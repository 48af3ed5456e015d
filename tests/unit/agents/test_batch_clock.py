from __future__ import annotations

import logging
import time

import pytest

from agents import batch_clock
from agents.batch_clock import BatchClock


def test_a_slow_batch_is_logged_with_each_stage(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(batch_clock, "SLOW_BATCH_S", 0.05)
    clock = BatchClock()
    clock.lap("decode")
    time.sleep(0.06)
    clock.lap("kafka_acks")
    with caplog.at_level(logging.WARNING, logger="agents.batch_clock"):
        total = clock.done(records=12)
    assert total >= 0.06
    assert clock.stages["kafka_acks"] >= 0.06 > clock.stages["decode"]
    assert "slow batch: 12 records" in caplog.text and "kafka_acks 0.0" in caplog.text


def test_a_quick_batch_is_not_logged(caplog: pytest.LogCaptureFixture) -> None:
    clock = BatchClock()
    clock.lap("decode")
    with caplog.at_level(logging.WARNING, logger="agents.batch_clock"):
        clock.done(records=1)
    assert "slow batch" not in caplog.text
