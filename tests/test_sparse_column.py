"""CsrColumn: the same rows, Arrow structs and dense matrix as the dense VectorColumn form."""

from __future__ import annotations

import numpy as np
import pytest

from servelib.sparse_column import CsrColumn
from servelib.vectors import SparseVector, VectorColumn


def _random(seed: int, n: int = 30, size: int = 9, null: bool = False) -> CsrColumn:
    rng = np.random.default_rng(seed)
    dense = np.where(rng.random((n, size)) < 0.3, rng.normal(size=(n, size)), 0.0)
    if n:
        dense[0] = 0.0  # an empty row
    rows, cols = np.nonzero(dense)
    col = CsrColumn.of_entries(rows, cols, dense[rows, cols], n, size)
    if null:
        mask = rng.random(n) < 0.2
        keep = ~mask[col.row_of_entries()]
        counts = np.bincount(col.row_of_entries()[keep], minlength=n)
        offsets = np.concatenate([[0], np.cumsum(counts)])
        col = CsrColumn(offsets, col.indices[keep], col.values[keep], size, mask)
    return col


def _dense_form(col: CsrColumn) -> VectorColumn:
    return VectorColumn(col.dense, np.ones(len(col), dtype=bool), col.null)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("null", [False, True])
def test_arrow_rows_and_take_match_the_dense_form(seed, null):
    col = _random(seed, null=null)
    dense = _dense_form(col)
    assert col.to_arrow().equals(dense.to_arrow())
    for i in range(len(col)):
        assert col.row(i) == dense.row(i)
        assert type(col.row(i)) is type(dense.row(i))
    index = np.array([3, 0, 3, 7])
    taken = col.take(index)
    assert isinstance(taken, CsrColumn)
    assert taken.to_arrow().equals(dense.take(index).to_arrow())


def test_empty_column():
    col = CsrColumn.of_entries(np.zeros(0, int), np.zeros(0, int), np.zeros(0), 0, 5)
    assert len(col) == 0 and col.size == 5 and col.dense.shape == (0, 5)
    assert len(col.to_arrow()) == 0


def test_entries_are_sorted_and_zeros_dropped():
    col = CsrColumn.of_entries(np.array([1, 0, 1, 1]), np.array([4, 2, 0, 3]),
                               np.array([1.0, 2.0, 0.0, -0.0]), 3, 5)
    assert col.offsets.tolist() == [0, 1, 2, 2]
    assert col.indices.tolist() == [2, 4]
    assert col.row(1) == SparseVector(5, [4], [1.0])


def test_with_values_drops_the_zeros_it_makes():
    col = _random(7)
    scaled = col.with_values(np.where(col.indices % 2 == 0, 0.0, col.values * 2.0))
    want = col.dense * 2.0
    want[:, ::2] = 0.0
    np.testing.assert_array_equal(scaled.dense, want)
    assert np.all(scaled.values != 0.0)
    assert scaled.to_arrow().equals(_dense_form(scaled).to_arrow())
