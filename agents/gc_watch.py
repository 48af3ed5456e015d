"""Garbage-collector pauses, measured: the worker holds hundreds of thousands of long-lived
objects (one state per attention), and a full collection walks them all while every batch
waits. Each pause goes to `atenciones_gc_pause_seconds`; a long one is logged."""

from __future__ import annotations

import gc
import logging
import time
from typing import Any

from agents import metrics

log = logging.getLogger(__name__)
LONG_PAUSE_S = 0.2
SETTLE_EVERY_S = 600.0
# What a batch keeps (new attention states, count keys) is walked by young collections, then
# middle and full ones, before after_batch freezes it. At Python's default (a young collection
# every 700 allocations) a 200,000-record backlog ran ~6,000 young, ~500 middle and ~40 full
# collections: ~2 s, ~12 % of the worker's time. At 100,000, a batch of 5,000 records meets a
# few: steady drain 9,994 / 9,622 / 6,507 -> 10,568 / 12,310 / 12,318 events/s in interleaved
# runs (bench-peers' worker on this noisy 2-core box). The cost: cyclic garbage waits longer.
YOUNG_THRESHOLD = 100_000
_started: list[float] = []
_settled: list[float] = []


def _on_gc(phase: str, info: dict[str, Any]) -> None:
    if phase == "start":
        _started[:] = [time.perf_counter()]
        return
    if not _started:
        return
    pause = time.perf_counter() - _started[0]
    generation = int(info.get("generation", -1))
    metrics.GC_PAUSE.labels(str(generation)).observe(pause)
    if pause >= LONG_PAUSE_S:
        log.warning("garbage collection of generation %d took %.2f s", generation, pause)


def watch_gc() -> None:
    """Measure every collection; collect the young generation every YOUNG_THRESHOLD
    allocations instead of Python's 700."""
    gc.set_threshold(YOUNG_THRESHOLD, *gc.get_threshold()[1:])
    if _on_gc not in gc.callbacks:
        gc.callbacks.append(_on_gc)


def settle_long_lived() -> float:
    """Collect everything once, then move what survives out of the collector's reach
    (`gc.freeze`): the attention states live long and hold no cycles, and full collections that
    walk a million of them every few seconds are what stalls batches. The previous freeze is
    undone first, so cyclic garbage is never kept for good. Returns the pause, in seconds."""
    began = time.perf_counter()
    gc.unfreeze()
    gc.collect()
    gc.freeze()
    _settled[:] = [time.monotonic()]
    return time.perf_counter() - began


def after_batch() -> None:
    """What survived a batch is mostly state that lives long: freeze it (cheap: the collector's
    lists are moved, not walked), so that full collections walk only the young objects. Every
    SETTLE_EVERY_S, a full settle instead, which frees the cycles a freeze kept alive."""
    if not _settled or time.monotonic() - _settled[0] >= SETTLE_EVERY_S:
        pause = settle_long_lived()
        log.info("long-lived objects settled in %.2f s", pause)
    else:
        gc.freeze()
