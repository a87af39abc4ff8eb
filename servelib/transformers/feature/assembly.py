"""VectorAssembler's batch output from its checked input columns (vector_assembler.py checks
them and applies handleInvalid): numbers and vectors side by side in one row per input row,
as Spark's ``Vectors.sparse(...).compressed``.

Inputs that are CsrColumns (one-hot vectors) with numbers beside them, the common shape, are
assembled straight into CSR entries (vector_kernels.write_assembled) when every row comes out
sparse, with no rows x size matrix; otherwise the dense matrix is written by blocks of rows,
and Spark's per-row sparse/dense choice made on it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from servelib.sparse_column import CsrColumn, compressed_column
from servelib.vectors import VectorColumn, compiled, first_dense_count, pooled

_BLOCK = 4096  # rows assembled at a time
_ENTRY_BLOCK = 8192  # rows gathered at a time for the compiled assembly


def assemble(columns: Sequence[Any], widths: Sequence[int], offsets: Sequence[int], n: int,
             spark4: bool) -> VectorColumn:
    """The assembled column: ``columns`` holds a float64 array (nulls as NaN) per number input
    and a VectorColumn per vector input of ``widths[j]`` slots from ``offsets[j]`` (a null
    vector row gives NaNs)."""
    kernels = compiled(n)
    vectors = [c for c in columns if isinstance(c, VectorColumn)]
    if kernels is not None and vectors and all(isinstance(c, CsrColumn) for c in vectors):
        entries = _entries(kernels, columns, widths, offsets, n, spark4)
        if entries is not None:
            return entries
    return compressed_column(_dense(columns, widths, offsets, n), spark4)


def _entries(kernels: Any, columns: Sequence[Any], widths: Sequence[int],
             offsets: Sequence[int], n: int, spark4: bool) -> CsrColumn | None:
    """The CsrColumn when every row comes out sparse, else None: its entries written a block
    of rows at a time from inputs gathered side by side in small reused buffers (whole-column
    copies would be fresh memory, whose first touch costs more than the assembly), each row's
    count checked against Spark's sparse/dense choice as it is written (the first dense row
    stops it)."""
    size = int(offsets[-1])
    blocks = _Blocks(columns, widths, offsets, n)
    bound = n * len(blocks.numbers)  # the most entries the rows can store
    for j, col in enumerate(blocks.csr):
        bound += col.values.shape[0]
        if col.null is not None:
            bound += int(np.count_nonzero(col.null)) * int(blocks.spans[j])
    row_offsets = pooled(n + 1, np.int64)
    row_offsets[0] = 0
    indices = pooled(bound + 1, np.int32)  # + 1: a last unkept write
    values = pooled(bound + 1, np.float64)
    limit = first_dense_count(size, spark4)
    end = 0
    for a in range(0, n, _ENTRY_BLOCK):
        b = min(n, a + _ENTRY_BLOCK)
        numbers, entry_offsets, null, entry_indices, entry_values = blocks.gather(a, b)
        end = kernels.write_assembled(numbers, blocks.slots, entry_offsets, entry_indices,
                                      entry_values, null, blocks.starts, blocks.spans,
                                      blocks.plan, limit, row_offsets[a : b + 1], indices,
                                      values)
        if end < 0:
            return None
    return CsrColumn(row_offsets, indices[:end], values[:end], size)


class _Blocks:
    """The assembler's inputs for a block of rows, as the compiled passes read them."""

    def __init__(self, columns: Sequence[Any], widths: Sequence[int], offsets: Sequence[int],
                 n: int) -> None:
        self.numbers = [c for c in columns if not isinstance(c, VectorColumn)]
        self.csr: list[CsrColumn] = [c for c in columns if isinstance(c, CsrColumn)]
        plan, slots, starts, spans = [], [], [], []
        for j, col in enumerate(columns):
            if isinstance(col, CsrColumn):
                plan.append(-len(starts) - 1)
                starts.append(offsets[j])
                spans.append(widths[j])
            else:
                plan.append(len(slots))
                slots.append(offsets[j])
        self.plan, self.slots = np.array(plan, np.int64), np.array(slots, np.int64)
        self.starts, self.spans = np.array(starts, np.int64), np.array(spans, np.int64)
        self._rows = rows = min(n, _ENTRY_BLOCK)
        self._numbers = np.empty((len(self.numbers), rows))  # a row per number input
        self._offsets = np.empty((len(self.csr), rows + 1), dtype=np.int64)
        self._null = np.empty((len(self.csr), rows), dtype=bool)

    def gather(self, a: int, b: int) -> tuple[np.ndarray, ...]:
        """Rows a..b: numbers (a row per input), CSR offsets into the concatenated indices and
        values, null flags, and those indices and values."""
        rows = b - a
        # the last, shorter block in contiguous buffers too: one compiled signature
        full = rows == self._rows
        numbers = self._numbers if full else np.empty((len(self.numbers), rows))
        for r, col in enumerate(self.numbers):
            numbers[r] = col[a:b]
        offsets = self._offsets if full else np.empty((len(self.csr), rows + 1), np.int64)
        null = self._null if full else np.empty((len(self.csr), rows), bool)
        parts_i, parts_v, base = [], [], 0
        for c, col in enumerate(self.csr):
            lo, hi = col.offsets[a], col.offsets[b]
            np.subtract(col.offsets[a : b + 1], lo - base, out=offsets[c])
            parts_i.append(col.indices[lo:hi])
            parts_v.append(col.values[lo:hi])
            base += hi - lo
            null[c] = False if col.null is None else col.null[a:b]
        indices = np.concatenate(parts_i).astype(np.int32, copy=False)
        return numbers, offsets, null, indices, np.concatenate(parts_v)


def _dense(columns: Sequence[Any], widths: Sequence[int], offsets: Sequence[int],
           n: int) -> np.ndarray:
    entries = [j for j, col in enumerate(columns)
               if isinstance(col, CsrColumn) and col.size == widths[j]]
    out = pooled(n * offsets[-1], np.float64).reshape(n, offsets[-1])
    if entries:
        out.fill(0.0)
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
