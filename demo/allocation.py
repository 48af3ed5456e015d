"""Integer allocations with exact totals: apportioning and two-way tables with fixed margins."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import TypeVar

K = TypeVar("K", bound=Hashable)
R = TypeVar("R", bound=Hashable)
C = TypeVar("C", bound=Hashable)


def apportion(total: int, weights: Mapping[K, float]) -> dict[K, int]:
    """Split total into integers proportional to weights (largest remainder; ties by key order)."""
    if total < 0:
        raise ValueError("total must be >= 0")
    positive = {k: w for k, w in weights.items() if w > 0}
    if not positive:
        if total:
            raise ValueError("cannot apportion a positive total over no positive weight")
        return {k: 0 for k in weights}
    scale = total / sum(positive.values())
    exact = {k: w * scale for k, w in positive.items()}
    shares = {k: int(v) for k, v in exact.items()}
    rest = total - sum(shares.values())
    order = sorted(exact, key=lambda k: exact[k] - shares[k], reverse=True)
    for key in order[:rest]:
        shares[key] += 1
    return {k: shares.get(k, 0) for k in weights}


def fit_table(
    rows: Mapping[R, int], cols: Mapping[C, int], prior: Mapping[tuple[R, C], float]
) -> dict[tuple[R, C], int]:
    """An integer table with exactly these row and column sums, close to prior.

    Iterative proportional fitting of the prior, then rounding that keeps both margins: cells
    are floored, and the missing units go, largest fraction first, to cells whose row and column
    still lack units; a final greedy pass places whatever is left anywhere feasible.
    """
    if sum(rows.values()) != sum(cols.values()):
        raise ValueError(f"margins differ: rows {sum(rows.values())}, cols {sum(cols.values())}")
    floor = 1e-9
    table = {(r, c): max(prior.get((r, c), 0.0), floor) for r in rows for c in cols}
    for _ in range(200):
        for r, target in rows.items():
            current = sum(table[(r, c)] for c in cols)
            for c in cols:
                table[(r, c)] *= target / current if current else 0.0
        for c, target in cols.items():
            current = sum(table[(r, c)] for r in rows)
            for r in rows:
                table[(r, c)] *= target / current if current else 0.0
    result = {key: int(value) for key, value in table.items()}
    row_left = {r: rows[r] - sum(result[(r, c)] for c in cols) for r in rows}
    col_left = {c: cols[c] - sum(result[(r, c)] for r in rows) for c in cols}
    # When fitting has not fully converged a floored row or column can overshoot: take back.
    for r in rows:
        for c in sorted(cols, key=lambda c: -result[(r, c)]):
            take = min(-row_left[r], result[(r, c)])
            if take > 0:
                result[(r, c)] -= take
                row_left[r] += take
                col_left[c] += take
    for c in cols:
        for r in sorted(rows, key=lambda r: -result[(r, c)]):
            take = min(-col_left[c], result[(r, c)])
            if take > 0:
                result[(r, c)] -= take
                col_left[c] += take
                row_left[r] += take
    by_fraction = sorted(table, key=lambda k: table[k] - result[k], reverse=True)
    for r, c in by_fraction:
        if row_left[r] > 0 and col_left[c] > 0:
            result[(r, c)] += 1
            row_left[r] -= 1
            col_left[c] -= 1
    for r in rows:
        for c in cols:
            if row_left[r] <= 0:
                break
            move = min(row_left[r], col_left[c])
            if move > 0:
                result[(r, c)] += move
                row_left[r] -= move
                col_left[c] -= move
    assert not any(row_left.values()) and not any(col_left.values())
    return result
