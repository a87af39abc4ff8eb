"""VectorAssembler's batch output (servelib/transformers/feature/assembly.py): the compiled CSR
assembly against the NumPy one, row by row and bit for bit, on numbers (0, -0.0, NaN),
one-hot-like CSR inputs with null rows and dense vector inputs, in one block of rows or many."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from servelib import vectors
from servelib.sparse_column import CsrColumn
from servelib.transformers.feature import assembly
from servelib.transformers.feature.assembly import assemble
from servelib.vectors import VectorColumn

SPECIAL = st.sampled_from([0.0, -0.0, 1.0, -2.5, np.nan, np.inf, 7.0])



@pytest.fixture(autouse=True, scope="module")
def every_column_compiled():
    """The compiled passes for the short columns drawn here too (not only from 64 rows)."""
    rows, vectors.COMPILED_ROWS = vectors.COMPILED_ROWS, 0
    yield
    vectors.COMPILED_ROWS = rows


@st.composite
def inputs(draw: st.DrawFn) -> tuple[list, list[int], int]:
    n = draw(st.integers(0, 9))
    columns, widths = [], []
    for _ in range(draw(st.integers(1, 5))):
        kind = draw(st.sampled_from(["number", "csr", "dense"]))
        if kind == "number":
            columns.append(draw(hnp.arrays(np.float64, n, elements=SPECIAL)))
            widths.append(1)
            continue
        width = draw(st.integers(0, 4))
        dense = draw(hnp.arrays(np.float64, (n, width), elements=SPECIAL))
        null = draw(st.none() | hnp.arrays(np.bool_, n))
        if kind == "dense":
            columns.append(VectorColumn(dense, draw(hnp.arrays(np.bool_, n)), null))
        else:
            if null is not None:
                dense[null] = 0.0
            rows, slots = np.nonzero(dense != 0)
            col = CsrColumn.of_entries(rows, slots.astype(np.int32), dense[rows, slots], n, width)
            columns.append(CsrColumn(col.offsets, col.indices, col.values, width, null))
        widths.append(width)
    return columns, widths, n


def _rows(col: VectorColumn) -> list:
    out = []
    for item in col.to_arrow().to_pylist():
        if item is not None:
            item["values"] = np.array(item["values"], dtype=np.float64).view(np.uint64).tolist()
        out.append(item)
    return out


@settings(max_examples=150, deadline=None)
@given(inputs(), st.booleans())
def test_compiled_assembly_matches_numpy(given_inputs, spark4):
    columns, widths, n = given_inputs
    offsets = tuple(np.concatenate([[0], np.cumsum(widths)]).tolist())
    fast = assemble(columns, widths, offsets, n, spark4)
    vectors.ENGINE = "numpy"
    try:
        slow = assemble(columns, widths, offsets, n, spark4)
    finally:
        vectors.ENGINE = "numba"
    assert type(slow) is VectorColumn
    if all(isinstance(c, CsrColumn) or not isinstance(c, VectorColumn) for c in columns) and (
            any(isinstance(c, CsrColumn) for c in columns) and slow.sparse.all()):
        assert isinstance(fast, CsrColumn)  # every row sparse: entries, no matrix
    np.testing.assert_array_equal(fast.sparse, slow.sparse)
    assert fast.null is None
    assert _rows(fast) == _rows(slow)
    stored = slow.dense != 0  # what a row holds (-0.0 is not an entry)
    np.testing.assert_array_equal(fast.dense[stored].view(np.uint64),
                                  slow.dense[stored].view(np.uint64))
    block, assembly._ENTRY_BLOCK = assembly._ENTRY_BLOCK, 2  # rows written a block at a time
    try:
        assert _rows(assemble(columns, widths, offsets, n, spark4)) == _rows(slow)
    finally:
        assembly._ENTRY_BLOCK = block


def test_entries_written_block_by_block_are_one_blocks_entries(monkeypatch):
    """Rows assembled a few at a time (each block from where the last one ended) give the
    entries one block gives: numbers with zeros, one-hot columns, null rows among them."""
    n = 11
    numbers = np.array([1.0, 0.0, np.nan, -2.0, 0.0, 3.0, 0.0, 0.0, 5.0, -0.0, 7.0])
    rows = np.array([0, 2, 3, 5, 6, 8, 10])
    small = CsrColumn.of_entries(rows, (rows % 3).astype(np.int32), np.ones(rows.size), n, 3)
    null = np.zeros(n, dtype=bool)
    null[[1, 4]] = True  # rows with no entry: null vectors, NaN in every slot
    wide = CsrColumn.of_entries(np.arange(n), (np.arange(n) * 7 % 30).astype(np.int32),
                                np.arange(n) - 4.0, n, 30)  # a 0.0 value: no entry
    columns = [numbers, CsrColumn(small.offsets, small.indices, small.values, 3, null), wide,
               numbers]
    widths, offsets = [1, 3, 30, 1], (0, 1, 4, 34, 35)
    one = assemble(columns, widths, offsets, n, True)
    monkeypatch.setattr(assembly, "_ENTRY_BLOCK", 3)
    blocks = assemble(columns, widths, offsets, n, True)
    assert isinstance(one, CsrColumn) and isinstance(blocks, CsrColumn)
    assert _rows(blocks) == _rows(one)
