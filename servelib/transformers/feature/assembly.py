"""VectorAssembler's batch output from its checked input columns (vector_assembler.py checks
them and applies handleInvalid): numbers and vectors side by side in one row per input row,
as Spark's ``Vectors.sparse(...).compressed``.

Inputs that are CsrColumns (one-hot vectors) with numbers beside them, the common shape, are
assembled straight into CSR entries by one compiled pass (vector_kernels.assemble_entries),
with no rows x size matrix when every row comes out sparse; otherwise the dense matrix is
written by blocks of rows, and Spark's per-row sparse/dense choice made on it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from servelib.sparse_column import CsrColumn, compressed_column
from servelib.vectors import VectorColumn, compiled

_BLOCK = 4096  # rows assembled at a time


def assemble(columns: Sequence[Any], widths: Sequence[int], offsets: Sequence[int], n: int,
             spark4: bool) -> VectorColumn:
    """The assembled column: ``columns`` holds a float64 array (nulls as NaN) per number input
    and a VectorColumn per vector input of ``widths[j]`` slots from ``offsets[j]`` (a null
    vector row gives NaNs)."""
    kernels = compiled()
    vectors = [c for c in columns if isinstance(c, VectorColumn)]
    sparse = None
    if kernels is not None and vectors and all(isinstance(c, CsrColumn) for c in vectors):
        sparse, entries = _entries(kernels, columns, widths, offsets, n, spark4)
        if entries is not None:
            return entries
    out = _dense(columns, widths, offsets, n)
    if sparse is None:
        return compressed_column(out, spark4)
    return VectorColumn(out, sparse)


def _entries(kernels: Any, columns: Sequence[Any], widths: Sequence[int],
             offsets: Sequence[int], n: int,
             spark4: bool) -> tuple[np.ndarray, CsrColumn | None]:
    numbers = [c for c in columns if not isinstance(c, VectorColumn)]
    csr: list[CsrColumn] = [c for c in columns if isinstance(c, CsrColumn)]
    stacked = np.empty((n, len(numbers)))  # a row's numbers side by side
    for r, col in enumerate(numbers):
        stacked[:, r] = col
    plan, number_slots, starts, spans, r, c = [], [], [], [], 0, 0
    for j, col in enumerate(columns):
        if isinstance(col, CsrColumn):
            plan.append(-c - 1)
            starts.append(offsets[j])
            spans.append(widths[j])
            c += 1
        else:
            plan.append(r)
            number_slots.append(offsets[j])
            r += 1
    bases = np.cumsum([0] + [col.values.size for col in csr[:-1]])
    entry_offsets = np.stack([col.offsets + base for col, base in zip(csr, bases)])
    null = np.zeros((len(csr), n), dtype=bool)
    for c, col in enumerate(csr):
        if col.null is not None:
            null[c] = col.null
    sparse, row_offsets, indices, values = kernels.assemble_entries(
        stacked, np.array(number_slots, dtype=np.int64), entry_offsets,
        np.concatenate([col.indices for col in csr]).astype(np.int32, copy=False),
        np.concatenate([col.values for col in csr]), null, np.array(starts, dtype=np.int64),
        np.array(spans, dtype=np.int64), np.array(plan, dtype=np.int64), int(offsets[-1]),
        spark4)
    if row_offsets.size != n + 1:  # some row is dense
        return sparse, None
    return sparse, CsrColumn(row_offsets, indices, values, int(offsets[-1]))


def _dense(columns: Sequence[Any], widths: Sequence[int], offsets: Sequence[int],
           n: int) -> np.ndarray:
    entries = [j for j, col in enumerate(columns)
               if isinstance(col, CsrColumn) and col.size == widths[j]]
    out = (np.zeros if entries else np.empty)((n, offsets[-1]), dtype=np.float64)
    for a in range(0, n, _BLOCK):  # by blocks of rows: the block written stays in cache
        b = a + _BLOCK
        for j, col in enumerate(columns):
            start = offsets[j]
            if not isinstance(col, VectorColumn):
                out[a:b, start] = col[a:b]
            elif col.size == widths[j] and j not in entries:
                out[a:b, start : start + widths[j]] = col.dense[a:b]
    for j in entries:  # sparse inputs (one-hot vectors): their entries, no dense matrix
        columns[j].scatter_into(out, offsets[j])
    for j, col in enumerate(columns):
        if isinstance(col, VectorColumn) and col.null is not None and col.null.any():
            out[col.null, offsets[j] : offsets[j] + widths[j]] = np.nan
    return out
