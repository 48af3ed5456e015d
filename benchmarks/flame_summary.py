"""Summarise py-spy's collapsed stacks (`--format raw`): where the samples are, by function.

`python -m benchmarks.flame_summary FILE [--top N]` prints the share of samples whose stack
contains each of a few named stages of the worker, then the top functions by own time.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

STAGES = {
    "Faust consumer/stream per message": ("faust/streams.py", "faust/transport/consumer.py",
                                          "faust/transport/conductor.py", "faust/channels.py",
                                          "faust/topics.py", "faust/sensors",
                                          "agents/faust_bridge.py"),
    "decode + validate": (
        "schemas/decode.py", "schemas/plain_attention.py", "schemas/timestamps.py", "pydantic"
    ),
    "revision rules + plan": (
        "agents/batch.py", "agents/revisions.py", "_plan_partition", "_by_partition"
    ),
    "ClickHouse insert (serialise + HTTP)": ("clickhouse_connect",),
    "journal (table writes, changelog)": ("write_journal", "faust/tables", "faust/stores"),
    "aiokafka fetch/produce": ("aiokafka",),
    "idle (event loop select)": ("select (selectors.py", "epoll"),
}  # fmt: skip
# Leaves of threads that wait, not work (py-spy counts a thread blocked in C as active).
WAITING_LEAVES = ("_worker (concurrent/futures/thread.py:81)", "readinto (socket.py")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.flame_summary")
    parser.add_argument("file", type=Path)
    parser.add_argument("--top", type=int, default=15)
    args = parser.parse_args(argv)
    stacks: Counter[str] = Counter()
    for line in args.file.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            stacks[stack] += int(count)
    waiting = sum(n for s, n in stacks.items() if s.split(";")[-1].startswith(WAITING_LEAVES))
    stacks = Counter(
        {s: n for s, n in stacks.items() if not s.split(";")[-1].startswith(WAITING_LEAVES)}
    )
    total = sum(stacks.values())
    if not total:
        print(f"error: no samples in {args.file}", file=sys.stderr)
        return 1
    print(
        f"{total:,} busy samples (shares below are of these; {waiting:,} more were threads "
        "waiting: the insert thread's pool queue, its socket read of ClickHouse's answer)"
    )
    for stage, needles in STAGES.items():
        hit = sum(n for s, n in stacks.items() if any(needle in s for needle in needles))
        print(f"  {hit / total:6.1%}  {stage}")
    own: Counter[str] = Counter()
    for stack, count in stacks.items():
        own[stack.split(";")[-1]] += count
    print("top functions by own samples:")
    for frame, count in own.most_common(args.top):
        print(f"  {count / total:6.1%}  {frame[:110]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
