"""Fault scenarios (`make faults`): each adds a row to the summary table printed at the end."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

RESULTS: list[FaultResult] = []


@dataclass
class FaultResult:
    scenario: str
    published: int
    counted: int
    expected: int
    dead_letters: int
    recovery_s: str
    peak_rss_mib: float


@pytest.fixture
def record() -> Iterator[list[FaultResult]]:
    yield RESULTS


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/faults/" in str(item.fspath):
            item.add_marker(pytest.mark.faults)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not RESULTS:
        return
    header = ("scenario", "published", "counted", "expected", "DLQ", "recovery s", "peak RSS MiB")
    rows = [
        (r.scenario, str(r.published), str(r.counted), str(r.expected), str(r.dead_letters),
         r.recovery_s, f"{r.peak_rss_mib:.0f}")
        for r in RESULTS
    ]  # fmt: skip
    widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(header)]
    terminalreporter.section("fault scenarios")
    line = " | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))
    terminalreporter.write_line(line)
    terminalreporter.write_line("-" * len(line))
    for row in rows:
        terminalreporter.write_line(
            " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True))
        )
