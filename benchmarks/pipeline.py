"""Benchmark: Kafka -> Faust (exactly-once) -> ClickHouse, end to end, on loopback.

Prints: one year of Sunass traffic (~124k events) replayed through one worker (events/s and
seconds), worker RSS before and after, and publish -> visible in atenciones.daily_counts latency
(p50/p99, worst second) at a steady 1,000 events/s, once ClickHouse has merged the replay:
BENCH_LATENCY_RUNS runs of 20 s (default 1), and how many kept p99 <= 1 s.
BENCH_ONLY_REPLAY=1 stops after the replay (e.g. BENCH_INCIDENTS=true|false: the incident
detector's cost).
"""

from __future__ import annotations

import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import clickhouse_connect
import psutil

from agents import gc_watch
from benchmarks.scale_out import SCALE_WORKERS, scale_out
from benchmarks.stack import (
    YEAR_EVENTS,
    bench_servers,
    counted_total,
    prepare_pipeline,
    worker_environment,
    year_of_events,
)
from foundation.processes import BackgroundProcess, free_port, wait_until
from foundation.settings import REPO_ROOT, Settings
from local_stack.clickhouse import ClickHouseServer
from local_stack.kafka import KafkaServer
from streams.producer import AttentionProducer
from streams.traffic_mix import TrafficMix

LATENCY_RATE = 1000
LATENCY_SECONDS = 20


def _wait_until_quiet(clickhouse: ClickHouseServer, kafka: KafkaServer, limit: float = 90) -> float:
    """Wait until ClickHouse and the broker use less than a fifth of a core over a second
    (the replay's parts merged): the latency runs measure a steady stream, not the tail of
    the backfill. Returns the seconds waited."""
    began = time.perf_counter()
    servers = [
        psutil.Process(pid)
        for pid in (clickhouse.process.running_pid(), kafka.process.running_pid())
        if pid is not None
    ]
    for server in servers:
        server.cpu_percent()
    while time.perf_counter() - began < limit:
        time.sleep(1)
        if all(server.cpu_percent() < 20 for server in servers):
            break
    return time.perf_counter() - began


def _latency_run(
    kafka: KafkaServer,
    clickhouse: ClickHouseServer,
    settings: Settings,
    day: datetime,
    at_second: dict[int, Callable[[], object]] | None = None,
) -> float:
    """A steady stream for a day of its own; visible = counted in daily_counts. A record is
    visible from the start of the first query that counts it (ClickHouse reads the parts there
    were when a query began); the reader's answer comes a query's duration later, printed
    apart. Prints the run's figures, returns its p99 in seconds. at_second: actions started
    (in a thread) when the run reaches that second, e.g. a worker joining the group."""
    actions = dict(at_second or {})
    mix = TrafficMix(random.Random(day.day))
    day_text = day.date().isoformat()
    sent_at: list[float] = []
    visible_at: list[float] = []
    total = LATENCY_RATE * LATENCY_SECONDS
    stop = threading.Event()
    query_s: list[float] = []

    def poll() -> None:
        client = clickhouse.admin_client()
        while not stop.is_set():
            asked = time.perf_counter()
            seen = counted_total(client, f"day = '{day_text}'")
            now = time.perf_counter()
            query_s.append(now - asked)
            while len(visible_at) < seen:
                visible_at.append(asked)
            time.sleep(0.02)

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    with AttentionProducer(kafka.bootstrap, settings.attentions_topic, linger_ms=0) as producer:
        begin = time.perf_counter()
        for i in range(total):
            for second in [k for k in actions if time.perf_counter() - begin >= k]:
                threading.Thread(target=actions.pop(second), daemon=True).start()
            producer.send_now(mix.event(day, f"lat-{day_text}-{i}"))
            sent_at.append(time.perf_counter())
            ahead = (i + 1) / LATENCY_RATE - (time.perf_counter() - begin)
            if ahead > 0:
                time.sleep(ahead)
    wait_until(lambda: len(visible_at) >= total, 60, "latency events")
    stop.set()
    return _print_latencies(list(zip(sent_at, visible_at, strict=False)), begin, query_s)


def _print_latencies(pairs: list[tuple[float, float]], begin: float, query_s: list[float]) -> float:
    """Print a latency run's figures from its (sent, visible) pairs; return its p99 (s)."""
    latencies = sorted(v - s for s, v in pairs)
    p50 = statistics.median(latencies)
    p99 = latencies[int(len(latencies) * 0.99) - 1]
    worst: dict[int, float] = {}  # second of the run -> its worst latency
    for s, v in pairs:
        second = int(s - begin)
        worst[second] = max(worst.get(second, 0.0), v - s)
    slowest = max(worst, key=lambda second: worst[second])
    print(
        f"publish -> visible in daily_counts at {LATENCY_RATE}/s for {LATENCY_SECONDS} s: "
        f"p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms (visible: the start of the first "
        f"query that counts it); worst second {slowest} "
        f"({worst[slowest] * 1000:.0f} ms); per second: "
        + " ".join(f"{worst[k] * 1000:.0f}" for k in sorted(worst))
        + f" (the reader's answer a query later: median {statistics.median(query_s) * 1000:.0f}"
        f" ms, max {max(query_s) * 1000:.0f} ms)"
    )
    return p99


def _rebalance_run(  # noqa: PLR0917
    root: Path,
    kafka: KafkaServer,
    clickhouse: ClickHouseServer,
    settings: Settings,
    env: dict[str, str],
    argv: list[str],
) -> None:
    """A latency run during which a second worker joins the group (second 5) and leaves it
    (second 15): two rebalances, each moving partitions and their states."""
    helper = BackgroundProcess("helper", root / "helper.pid", root / "helper.log")
    helper_env = {
        **env,
        "ATENCIONES_STATE_DIR": str(root / "helper"),
        "ATENCIONES_WORKER_WEB_PORT": str(free_port()),
    }
    print("rebalances: a second worker joins at second 5 and leaves at second 15:")
    try:
        _latency_run(
            kafka, clickhouse, settings, datetime(2025, 7, 1, 15, tzinfo=UTC),
            {5: lambda: helper.start(argv, cwd=REPO_ROOT, env=helper_env),
             15: lambda: helper.stop(timeout=30)},
        )  # fmt: skip
    finally:
        helper.stop(timeout=30)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        kafka, clickhouse = bench_servers(root)
        kafka.start()
        clickhouse.start()
        worker = BackgroundProcess("worker", root / "worker.pid", root / "worker.log")
        try:
            admin = clickhouse.admin_client()
            settings = prepare_pipeline(kafka, clickhouse)
            _publish_year(kafka, settings)
            env = worker_environment(kafka, clickhouse, root, free_port())
            level = os.environ.get("BENCH_WORKER_LOGLEVEL", "warn")
            argv = [sys.executable, "-m", "atenciones.cli", "worker", "--loglevel", level]
            worker.start(argv, cwd=REPO_ROOT, env=env)
            _measure_year_replay(worker, admin, int(env["ATENCIONES_WORKER_WEB_PORT"]))
            if os.environ.get("BENCH_ONLY_REPLAY") == "1":  # e.g. the detector's cost, on and off
                return
            quiet_s = _wait_until_quiet(clickhouse, kafka)
            print(f"(waited {quiet_s:.1f} s for ClickHouse's merges of the replay to settle)")
            _latency_runs(kafka, clickhouse, settings)
            if os.environ.get("BENCH_REBALANCE_RUN", "1") == "1":
                _rebalance_run(root, kafka, clickhouse, settings, env, argv)
            _print_gc_pauses(worker)
            worker.stop(timeout=30)
            for count in SCALE_WORKERS:
                scale_out(root, kafka, admin, env, random.Random(2025), count)
        finally:
            worker.stop(timeout=30)
            if keep := os.environ.get("BENCH_WORKER_LOG"):  # the worker's log, kept
                shutil.copy(worker.log_file, keep)
            clickhouse.stop()
            kafka.stop()


def _publish_year(kafka: KafkaServer, settings: Settings) -> None:
    events = year_of_events(random.Random(2024))
    started = time.perf_counter()
    with AttentionProducer(kafka.bootstrap, settings.attentions_topic) as producer:
        producer.publish(events)
    publish_s = time.perf_counter() - started
    rate = YEAR_EVENTS / publish_s
    print(f"published {YEAR_EVENTS:,} events in {publish_s:.1f} s ({rate:,.0f}/s)")


def _start_profiler(pid: int) -> subprocess.Popen[bytes] | None:
    """py-spy on the worker when BENCH_PYSPY names a file (collapsed stacks of the replay)."""
    profile = os.environ.get("BENCH_PYSPY")
    if not profile:
        return None
    print(f"py-spy profile of the replay: {profile}")
    return subprocess.Popen(
        [str(Path(sys.executable).with_name("py-spy")), "record", "--format", "raw",
         "-r", "100", "-d", os.environ.get("BENCH_PYSPY_S", "20"), "-o", profile,
         "-p", str(pid)],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip


def _measure_year_replay(
    worker: BackgroundProcess, admin: clickhouse_connect.driver.client.Client, web_port: int
) -> None:
    """Wait until the worker has counted the year; print its rate and RSS along the way."""
    pid = worker.running_pid()
    assert pid is not None
    spy = _start_profiler(pid)
    proc = psutil.Process(pid)
    launched = time.perf_counter()
    wait_until(
        lambda: urllib.request.urlopen(f"http://127.0.0.1:{web_port}/health").status == 200,
        60,
        "worker web page",
    )
    rss_start = proc.memory_info().rss
    first_seen: float | None = None
    rss_by_tenth: list[int] = []  # worker RSS as each tenth of the replay is counted
    while (counted := counted_total(admin)) < YEAR_EVENTS:
        if first_seen is None and counted > 0:
            first_seen = time.perf_counter()
        while counted >= (len(rss_by_tenth) + 1) * YEAR_EVENTS / 10:
            rss_by_tenth.append(proc.memory_info().rss)
        if worker.running_pid() is None:
            raise SystemExit(f"worker died:\n{worker.log_tail(40)}")
        time.sleep(0.2)
    done = time.perf_counter()
    rss_after = proc.memory_info().rss
    if spy is not None:
        spy.wait(timeout=120)
    busy = done - (first_seen or launched)
    print(
        f"year replay: {YEAR_EVENTS:,} events counted {done - launched:.1f} s after worker "
        f"start ({busy:.1f} s after the first count): {YEAR_EVENTS / busy:,.0f} events/s"
    )
    mib = 2**20
    print(f"worker RSS: {rss_start / mib:.0f} MiB ready, {rss_after / mib:.0f} MiB after")
    print(
        "worker RSS at each tenth of the replay counted (MiB): "
        + " ".join(f"{rss / mib:.0f}" for rss in rss_by_tenth)
    )


def _latency_runs(kafka: KafkaServer, clickhouse: ClickHouseServer, settings: Settings) -> None:
    runs = int(os.environ.get("BENCH_LATENCY_RUNS", "1"))
    p99s = [
        _latency_run(kafka, clickhouse, settings, datetime(2025, 6, 2 + run, 15, tzinfo=UTC))
        for run in range(runs)
    ]
    within = sum(1 for p99 in p99s if p99 <= 1.0)
    print(f"latency runs with p99 <= 1 s: {within} of {runs}")


def _print_gc_pauses(worker: BackgroundProcess) -> None:
    pauses = [
        line.split("took ")[-1].strip()
        for line in worker.log_file.read_text(errors="replace").splitlines()
        if "garbage collection of generation" in line
    ]
    print(f"worker GC pauses over {gc_watch.LONG_PAUSE_S} s: {len(pauses)} {pauses[:10]}")


if __name__ == "__main__":
    main()
