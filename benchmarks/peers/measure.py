"""How bench-peers measures one system's drain: records/s from its start and between its first
and last count, its own CPU and the servers', exactness per key against the generator's truth."""

from __future__ import annotations

import os
import statistics
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import psutil

from benchmarks.peers.dataset import Dataset
from benchmarks.peers.revisions import Key

POLL_S = float(os.environ.get("BENCH_PEERS_POLL_S", "0.5"))
DRAIN_TIMEOUT_S = 900


@dataclass(frozen=True)
class Run:
    system: str
    seconds: float  # process start -> everything counted
    from_start: float  # records/s over `seconds`
    steady: float  # records/s from the first count to the last
    per_cpu_second: float | None  # records per CPU-second of the consumer process
    wrong_keys: int  # keys whose count differs from the truth
    off_by: int  # sum of |difference| over the keys
    servers_cpu_s: float = 0.0  # CPU-seconds the broker and ClickHouse spent during the drain


def difference(found: Counter[Key], truth: Counter[Key]) -> tuple[int, int]:
    keys = set(found) | set(truth)
    off = [abs(found.get(k, 0) - truth.get(k, 0)) for k in keys]
    return sum(1 for d in off if d), sum(off)


def drain(
    system: str,
    dataset: Dataset,
    *,
    start: Callable[[], int | None],  # starts the system, returns the PID to charge CPU to
    total: Callable[[], int],
    target: int,
    per_key: Callable[[], Counter[Key]],
    exact: bool,
    servers_cpu_s: Callable[[], float],
) -> Run:
    """Start the system, poll its total until it reaches the target (and, for an exact system,
    until every key matches), then measure."""
    servers_before = servers_cpu_s()
    began = time.perf_counter()
    pid = start()
    samples: list[tuple[float, int]] = []
    while True:
        now = time.perf_counter()
        if now - began > DRAIN_TIMEOUT_S:
            raise SystemExit(f"{system}: not drained after {DRAIN_TIMEOUT_S} s ({samples[-1:]})")
        seen = total()
        samples.append((now, seen))
        if seen == target if exact else seen >= target:
            found = per_key()
            wrong, off = difference(found, dataset.truth)
            if wrong == 0 or not exact:
                break
        time.sleep(POLL_S)
    done = samples[-1][0]
    servers = servers_cpu_s() - servers_before
    cpu = None
    if pid is not None:
        times = psutil.Process(pid).cpu_times()
        cpu = times.user + times.system
    records = len(dataset.records)
    # steady: from the first count on (start-up and the first batch excluded); counts appear in
    # steps (a batch, a checkpoint), so this is the rate between the first step and the last
    first_time, first_seen = next((t, n) for t, n in samples if n > 0)
    steady = (
        records * (target - first_seen) / target / (done - first_time)
        if done > first_time and first_seen < target
        else records / (done - began)
    )
    return Run(
        system,
        done - began,
        records / (done - began),
        steady,
        records / cpu if cpu else None,
        wrong,
        off,
        servers,
    )


def format_row(run: Run) -> str:
    cpu = f"{run.per_cpu_second:,.0f}" if run.per_cpu_second else "—"
    exact = "yes" if run.wrong_keys == 0 else f"no ({run.wrong_keys} keys off, by {run.off_by})"
    return (
        f"{run.system:<17} {run.from_start:>10,.0f} {run.steady:>10,.0f} {cpu:>10} "
        f"{run.servers_cpu_s:>13.1f} {run.seconds:>8.1f}  {exact}"
    )


def median_run(system: str, found: list[Run]) -> Run:
    cpu = [r.per_cpu_second for r in found if r.per_cpu_second]
    return Run(
        system,
        statistics.median(r.seconds for r in found),
        statistics.median(r.from_start for r in found),
        statistics.median(r.steady for r in found),
        statistics.median(cpu) if cpu else None,
        max(r.wrong_keys for r in found),
        max(r.off_by for r in found),
        statistics.median(r.servers_cpu_s for r in found),
    )
