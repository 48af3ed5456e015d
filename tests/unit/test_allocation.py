"""Allocations keep their totals exactly, whatever the weights."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from demo.allocation import apportion, fit_table


def test_apportion_examples() -> None:
    assert apportion(10, {"a": 1, "b": 1, "c": 1}) == {"a": 4, "b": 3, "c": 3}
    assert apportion(0, {"a": 0}) == {"a": 0}
    assert apportion(7, {"a": 0, "b": 2}) == {"a": 0, "b": 7}


@settings(max_examples=200, deadline=None)
@given(
    total=st.integers(0, 10_000),
    weights=st.dictionaries(st.text(max_size=3), st.floats(0.01, 1000), min_size=1, max_size=8),
)
def test_apportion_keeps_the_total(total: int, weights: dict[str, float]) -> None:
    shares = apportion(total, weights)
    assert sum(shares.values()) == total and min(shares.values()) >= 0


@settings(max_examples=100, deadline=None)
@given(
    rows=st.lists(st.integers(0, 300), min_size=1, max_size=6),
    cols=st.lists(st.integers(0, 300), min_size=1, max_size=6),
    seed=st.integers(0, 1000),
)
def test_fit_table_has_exact_margins(rows: list[int], cols: list[int], seed: int) -> None:
    difference = sum(rows) - sum(cols)
    if difference > 0:
        cols[0] += difference
    else:
        rows[0] -= difference
    row_map = {f"r{i}": n for i, n in enumerate(rows)}
    col_map = {f"c{i}": n for i, n in enumerate(cols)}
    prior = {
        (r, c): float((i * 7 + j * 3 + seed) % 5)
        for i, r in enumerate(row_map)
        for j, c in enumerate(col_map)
    }
    table = fit_table(row_map, col_map, prior)
    assert all(v >= 0 for v in table.values())
    for r, n in row_map.items():
        assert sum(table[(r, c)] for c in col_map) == n
    for c, n in col_map.items():
        assert sum(table[(r, c)] for r in row_map) == n


def test_fit_table_reproduces_a_consistent_prior() -> None:
    prior = {("a", "x"): 3.0, ("a", "y"): 1.0, ("b", "x"): 0.0, ("b", "y"): 5.0}
    table = fit_table({"a": 4, "b": 5}, {"x": 3, "y": 6}, prior)
    assert table == {("a", "x"): 3, ("a", "y"): 1, ("b", "x"): 0, ("b", "y"): 5}
