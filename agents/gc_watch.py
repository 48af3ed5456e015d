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
_started: list[float] = []


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
    if _on_gc not in gc.callbacks:
        gc.callbacks.append(_on_gc)
