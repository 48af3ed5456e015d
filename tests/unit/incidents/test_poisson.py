"""The Poisson tail against exact sums (fractions), and the improbable count."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest

from incidents.poisson import improbable_count, upper_tail


def exact_tail(count: int, expected: float) -> float:
    mu = Fraction(expected)
    term, below = Fraction(1), Fraction(0)
    for i in range(count):
        if i:
            term = term * mu / i
        below += term
    return float(1 - below * Fraction(math.exp(-expected)))


@pytest.mark.parametrize(
    ("count", "expected"),
    [(0, 1.0), (1, 1.0), (3, 2.5), (10, 3.0), (30, 36.0), (40, 36.0), (8, 0.1), (60, 12.0)],
)
def test_the_tail_is_the_exact_sum(count: int, expected: float) -> None:
    assert upper_tail(count, expected) == pytest.approx(exact_tail(count, expected), rel=1e-9)


def test_edges() -> None:
    assert upper_tail(0, 0.0) == 1.0
    assert upper_tail(1, 0.0) == 0.0
    assert upper_tail(200, 150.0) == pytest.approx(5.7e-5, rel=0.01)


def test_the_improbable_count_is_the_first_count_at_or_below_alpha() -> None:
    for expected in (0.05, 0.5, 3.0, 12.0, 90.0):
        count = improbable_count(expected, 1e-6, 4)
        assert upper_tail(count, expected) <= 1e-6
        assert count == 4 or upper_tail(count - 1, expected) > 1e-6
    assert improbable_count(0.01, 1e-6, 4) == 4  # the minimum holds where Poisson alone says 2
