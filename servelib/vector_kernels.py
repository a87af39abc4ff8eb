"""Compiled (numba) passes over vector columns: the Arrow buffers, CSR entries, linear sums.

Each replaces several NumPy passes (masks, counts, cumsums, gathers) by one or two sweeps over
the rows, with the same results to the bit: the callers (vectors.py, sparse_column.py,
sparse_linear.py) keep their NumPy code as the fallback where numba cannot be imported, and
tests/test_vector_kernels.py checks both ways give the same arrays.

* An entry a row "stores" is what Spark's sparse vectors keep: ``x != 0`` (NaN is stored, a
  ``-0.0`` is not), every slot of a dense row, nothing for a null row.
* Sums run left to right over the stored entries, as ``classification.common.linear_sums`` (see
  sparse_linear.py for why skipping zero products keeps its bits bar a zero's sign; a zero sum
  is summed again over every slot here). numba does no fused multiply-add or reassociation
  without ``fastmath``, so each product and sum is the IEEE operation NumPy does. One thing
  is not kept: which operand's sign and payload NaN + NaN keeps, which NumPy's own loops do
  not keep stable either (it changes with the number of rows: SIMD body or remainder loop).

Compiled once per process (``cache=True``: on disk next to this file, or numba's user cache
directory); ``nogil=True`` so threads scoring other batches run meanwhile.
"""

# mypy: disable-error-code="no-untyped-def"
# (numba types the arguments from the values passed)
from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def arrow_buffers(dense, sparse, null, value_offsets, values, index_offsets, indices):
    """The VectorUDT children of a column into the buffers given: value offsets (int32),
    values, index offsets (int32) and indices (int32, sparse rows only), the last two sized
    for the worst case (a row's every slot); returns how many values and indices."""
    n, size = dense.shape
    v = 0
    k = 0
    value_offsets[0] = 0
    index_offsets[0] = 0
    for i in range(n):
        if not null[i]:
            if sparse[i]:
                for j in range(size):
                    x = dense[i, j]
                    values[v] = x  # kept when stored: no branch to mispredict
                    indices[k] = j
                    stored = x != 0.0  # True for NaN
                    v += stored
                    k += stored
            else:
                for j in range(size):
                    values[v] = dense[i, j]
                    v += 1
        value_offsets[i + 1] = v
        index_offsets[i + 1] = k
    return v, k


@njit(cache=True, nogil=True)
def compressed_entries(dense, spark4):
    """Spark's ``compressed`` choice per row (vectors.compressed_is_sparse) and, when every row
    is sparse, the rows' stored entries as CSR (int64 offsets, int32 indices, values; else
    empty arrays): a count sweep, then a write sweep only when its output is wanted (fresh
    memory is dear: each page written faults)."""
    n, size = dense.shape
    sparse = np.empty(n, np.bool_)
    offsets = np.zeros(n + 1, np.int64)
    every = True
    for i in range(n):
        nnz = 0
        for j in range(size):
            nnz += dense[i, j] != 0.0  # NaN is stored
        offsets[i + 1] = offsets[i] + nnz
        sparse[i] = _is_sparse(nnz, size, spark4)
        every &= sparse[i]
    if not every:
        return sparse, offsets[:1], np.empty(0, np.int32), np.empty(0, np.float64)
    indices = np.empty(offsets[n] + 1, np.int32)  # + 1: a last unkept write
    values = np.empty(offsets[n] + 1, np.float64)
    k = 0
    for i in range(n):
        for j in range(size):
            x = dense[i, j]
            values[k] = x  # kept when stored: no branch to mispredict
            indices[k] = j
            k += x != 0.0
    return sparse, offsets, indices[:k], values[:k]


@njit(cache=True, nogil=True, inline="always")
def _is_sparse(nnz, size, spark4):
    """vectors.compressed_is_sparse for one row."""
    if spark4:
        return 12 * nnz + 28 < 8 * size + 12
    return 1.5 * (nnz + 1.0) < size


@njit(cache=True, nogil=True)
def csr_linear_sums(offsets, indices, values, w, b, stored, b_first):
    """``linear_sums`` of CSR rows (``stored``: the coefficients a sparse model holds, all True
    for a dense one): the products of the stored entries, left to right; a row whose sum is
    zero, or any row when a coefficient is not finite, over every slot as the dense form."""
    n = offsets.shape[0] - 1
    c, d = w.shape
    finite = True
    for k in range(c):
        for j in range(d):
            if not np.isfinite(w[k, j]):
                finite = False
    out = np.empty((n, c))
    row = np.zeros(d)
    for i in range(n):
        lo, hi = offsets[i], offsets[i + 1]
        for k in range(c):
            total = 0.0
            if b_first:
                total = b[k]
            for e in range(lo, hi):
                j = indices[e]
                if stored[k, j]:
                    total += values[e] * w[k, j]
            if not b_first:
                total += b[k]
            if total == 0.0 or not finite:  # the dense form's bits: every slot's product
                for e in range(lo, hi):
                    row[indices[e]] = values[e]
                total = _dense_sum(row, w, b, stored, b_first, k)
                for e in range(lo, hi):
                    row[indices[e]] = 0.0
            out[i, k] = total
    return out


@njit(cache=True, nogil=True, inline="always")
def _dense_sum(row, w, b, stored, b_first, k):
    d = row.shape[0]
    if d == 0:
        return b[k]
    total = row[0] * w[k, 0] if stored[k, 0] else 0.0
    if b_first:
        total += b[k]
    for j in range(1, d):
        total += row[j] * w[k, j] if stored[k, j] else 0.0
    return total if b_first else total + b[k]


@njit(cache=True, nogil=True)
def scatter_rows(out, start, offsets, indices, values):
    """Write CSR rows into ``out[:, start:]`` (the slots they store; the others untouched)."""
    for i in range(offsets.shape[0] - 1):
        for e in range(offsets[i], offsets[i + 1]):
            out[i, start + indices[e]] = values[e]


@njit(cache=True, nogil=True)
def scaled_entries(offsets, indices, values, factors, zero_factor, out, out_offsets,
                   out_indices):
    """CSR rows with each entry times its slot's factor, the zeros this makes dropped, into
    ``out`` (values), ``out_offsets`` and ``out_indices``; returns how many entries are kept,
    or -1 when none is dropped (``out`` then holds every product, and the rows and slots are
    the ones given). Without a zero factor (``zero_factor`` False) a product is rarely zero
    (underflow), so the rows and slots are not written unless it is."""
    n = offsets.shape[0] - 1
    if not zero_factor:
        zeros = 0
        for e in range(values.shape[0]):
            x = values[e] * factors[indices[e]]
            out[e] = x
            zeros += x == 0.0
        if zeros == 0:
            return -1
    k = 0
    out_offsets[0] = 0
    for i in range(n):
        for e in range(offsets[i], offsets[i + 1]):
            j = indices[e]
            x = values[e] * factors[j]
            out[k] = x  # k <= e: compacted in place (kept unless zero: no branch)
            out_indices[k] = j
            k += x != 0.0
        out_offsets[i + 1] = k
    return k


# VectorAssembler over a block of rows (feature/assembly.py): number columns (``numbers``: a
# row per input, at ``number_slots``) and CSR columns (``offsets``: one row per column into
# the concatenated ``indices``/``values``, none zero; a ``null`` row gives ``widths`` NaNs
# from ``starts``), in input order (``plan``: input ``r`` is number ``r`` when ``r >= 0``, CSR
# column ``-r - 1`` else).


@njit(cache=True, nogil=True)
def write_assembled(numbers, number_slots, offsets, indices, values, null, starts, widths, plan,
                    out_indices, out_values):
    """The rows' stored entries, in row and slot order, from the start of ``out_indices`` and
    ``out_values`` (one slot longer than the entries: a last unkept write)."""
    k = 0
    for i in range(numbers.shape[1]):
        for r in plan:
            if r >= 0:
                x = numbers[r, i]
                out_values[k] = x  # kept when stored: no branch to mispredict
                out_indices[k] = number_slots[r]
                k += x != 0.0
            else:
                c = -r - 1
                if null[c, i]:
                    for j in range(widths[c]):
                        out_values[k] = np.nan
                        out_indices[k] = starts[c] + j
                        k += 1
                else:
                    for e in range(offsets[c, i], offsets[c, i + 1]):
                        out_values[k] = values[e]
                        out_indices[k] = starts[c] + indices[e]
                        k += 1


@njit(cache=True, nogil=True)
def index_categories(dense, sparse, features, tables, table_starts, keys, key_starts, indices,
                     out, bad):
    """VectorIndexer's pass (feature/vector_indexer.py, whose _SlotLookup.find it does for every
    categorical feature of a row at once): ``out`` the rows with each categorical feature's
    value replaced by its index (the map's size where it is no key), ``bad`` the rows with such
    a value. Map q is ``keys[key_starts[q]:key_starts[q + 1]]`` (ascending, -0.0 and 0.0 one
    key, no NaN) with ``indices`` from ``key_starts[q] + q`` (one more: the size), and, where
    its table is not empty, the key's position per small integer value. A sparse row's implicit
    zero (0.0 or -0.0) is not looked up: it stays 0.0."""
    n, size = dense.shape
    for i in range(n):
        for c in range(size):
            out[i, c] = dense[i, c]
        wrong = False
        for q in range(features.shape[0]):
            f = features[q]
            x = dense[i, f]
            if sparse[i] and x == 0.0:
                out[i, f] = 0.0
                continue
            first, count = key_starts[q], key_starts[q + 1] - key_starts[q]
            pos = count  # no key
            length = table_starts[q + 1] - table_starts[q]
            if length:  # NaN, fractions and values out of range are no integer in the table
                if x >= 0.0 and x < length and x == np.floor(x):
                    pos = tables[table_starts[q] + np.int64(x)]
            else:  # the first key not below x, if it is x (NaN is below nothing)
                lo, hi = 0, count
                while lo < hi:
                    mid = (lo + hi) >> 1
                    if keys[first + mid] < x:
                        lo = mid + 1
                    else:
                        hi = mid
                if lo < count and keys[first + lo] == x:
                    pos = lo
            out[i, f] = indices[first + q + pos]
            wrong |= pos == count
        bad[i] = wrong
