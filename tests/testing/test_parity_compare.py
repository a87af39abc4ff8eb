"""The parity comparison itself must not accept wrong answers."""

from __future__ import annotations

import math

from servelib.testing.parity import same
from servelib.vectors import DenseVector, SparseVector


def test_floats_relative_tolerance():
    assert same(1.0, 1.0 + 1e-12)
    assert not same(1.0, 1.0 + 1e-6)
    assert not same(0.0, 1e-300 * 1e10)


def test_infinities_and_nan_are_exact():
    inf = math.inf
    assert same(inf, inf) and same(-inf, -inf) and same(math.nan, math.nan)
    assert not same(inf, 5.0) and not same(5.0, inf) and not same(inf, -inf)
    assert not same(math.nan, 1.0) and not same(1.0, math.nan)


def test_vectors_compare_type_and_values():
    assert same(DenseVector([1.0, 0.0]), DenseVector([1.0, 0.0]))
    assert not same(DenseVector([1.0, 0.0]), SparseVector(2, [0], [1.0]))
    assert not same(DenseVector([1.0, math.inf]), DenseVector([1.0, 3.0]))


def test_types_are_not_confused():
    assert not same("1", 1.0) and not same(True, 1.0) and not same(None, 0.0)
