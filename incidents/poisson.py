"""The Poisson upper tail, and the smallest count that an expected rate makes improbable."""

from __future__ import annotations

import math


def upper_tail(count: int, expected: float) -> float:
    """P(X >= count) for X ~ Poisson(expected), summed from `count` up in floating point
    (the terms fall geometrically past the mean, so the sum stops after a few dozen)."""
    if count <= 0:
        return 1.0
    if expected <= 0.0:
        return 0.0
    if count <= expected:  # the upper tail is large: take the complement of the lower sum
        return max(0.0, 1.0 - _lower_sum(count, expected))
    term = math.exp(-expected + count * math.log(expected) - math.lgamma(count + 1))
    total, i = 0.0, count
    while term > total * 1e-16:
        total += term
        i += 1
        term *= expected / i
    return min(1.0, total)


def _lower_sum(count: int, expected: float) -> float:
    """P(X < count)."""
    term = math.exp(-expected)
    total = 0.0
    for i in range(count):
        if i:
            term *= expected / i
        total += term
    return total


def improbable_count(expected: float, alpha: float, at_least: int) -> int:
    """The smallest count >= at_least whose upper tail is at most alpha."""
    count = max(at_least, math.floor(expected))
    while upper_tail(count, expected) > alpha:
        count += 1
    return count
