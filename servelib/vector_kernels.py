"""Compiled (numba) passes over columns: vectors' Arrow buffers, CSR entries, linear sums, and
the Arrow buffers of string and number columns (StringIndexer's lookup, numbers with nulls).

Each replaces several NumPy or Arrow passes (masks, counts, cumsums, gathers) by one or two
sweeps over the rows, with the same results to the bit, and releases the GIL while it runs
(NumPy's cumsum and Arrow's null handling hold it: threads scoring other rows wait). The
callers (vectors.py, sparse_column.py, sparse_linear.py, the batch and a few stages) keep their
NumPy or Arrow code as the fallback where numba cannot be imported, and
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
def running_totals(counts, out):
    """``out[0] = 0`` and ``out[i + 1]``: the sum of ``counts[:i + 1]`` (CSR row offsets)."""
    total = 0
    out[0] = 0
    for i in range(counts.shape[0]):
        total += counts[i]
        out[i + 1] = total


@njit(cache=True, nogil=True)
def floats_of(values, validity, start, out, null):
    """An Arrow column of numbers with nulls (bit ``start + i`` of ``validity`` clear; an empty
    bitmap: none) as float64, NaN where null, and its null mask."""
    nullable = validity.shape[0] > 0
    for i in range(out.shape[0]):
        bit = start + i
        gone = nullable and not (validity[bit >> 3] >> (bit & 7)) & 1
        null[i] = gone
        out[i] = np.nan if gone else np.float64(values[i])


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
                    limit, row_offsets, out_indices, out_values):
    """The rows' stored entries, in row and slot order, from ``out_indices[row_offsets[0]]``
    and ``out_values[row_offsets[0]]`` (one slot longer than the entries can be: a last
    unkept write), each row's end in ``row_offsets[1:]``; returns the entries' end, or -1 as
    soon as a row stores ``limit`` entries or more (not sparse: Spark's ``compressed`` makes
    it dense)."""
    k = row_offsets[0]
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
        if k - row_offsets[i] >= limit:
            return -1
        row_offsets[i + 1] = k
    return k


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


# StringIndexer over an Arrow string column (feature/string_indexer.py): each value looked up
# in an open-addressing table of the labels' UTF-8 bytes (equal bytes are equal strings, how
# Spark matches a label). A string is keyed by its length and its first and last 8 bytes as
# words (the whole string up to 16 bytes; longer ones compare their bytes too); label ``q`` is
# ``label_bytes[label_offsets[q]:label_offsets[q + 1]]`` keyed ``keys[q]`` (length, first,
# last); ``slots`` (a power of two, at least one empty) holds label numbers, -1 when empty.


@njit(cache=True, nogil=True, inline="always")
def _word(data, lo, hi):
    """Bytes ``lo``..``hi`` (at most 8) as a little-endian word."""
    w = np.uint64(0)
    for p in range(hi - lo):
        w |= np.uint64(data[lo + p]) << np.uint64(8 * p)
    return w


@njit(cache=True, nogil=True, inline="always")
def _key(data, lo, hi):
    """(length, first 8 bytes, last 8 bytes); with no branch on the length, where the rows'
    lengths vary (a mispredicted branch a row costs more than the lookup), save near the ends
    of the buffer."""
    length = hi - lo
    if lo + 8 > data.shape[0] or hi < 8:
        return np.uint64(length), _word(data, lo, min(hi, lo + 8)), \
            _word(data, max(lo, hi - 8), hi)
    short = length < 8
    shift = np.uint64(8 * min(length, 7))
    mask = np.uint64(0xFFFFFFFFFFFFFFFF) if not short else \
        (np.uint64(1) << shift) - np.uint64(1)
    first = _word(data, lo, lo + 8) & mask
    last = _word(data, hi - 8, hi)
    return np.uint64(length), first, first if short else last


@njit(cache=True, nogil=True, inline="always")
def _slot(length, first, last, bits):
    h = first ^ ((last ^ length) * np.uint64(0x9E3779B97F4A7C15))
    h = (h ^ (h >> np.uint64(33))) * np.uint64(0xFF51AFD7ED558CCD)  # murmur3's finaliser
    h = (h ^ (h >> np.uint64(33))) * np.uint64(0xC4CEB9FE1A85EC53)
    return np.int64(h >> np.uint64(64 - bits))


@njit(cache=True, nogil=True, inline="always")
def _same(data, lo, hi, length, first, last, label_bytes, keys, label_offsets, q):
    if keys[q, 0] != length or keys[q, 1] != first or keys[q, 2] != last:
        return False
    a = label_offsets[q]
    for p in range(8, hi - lo - 8):  # the middle of a string longer than 16 bytes
        if data[lo + p] != label_bytes[a + p]:
            return False
    return True


@njit(cache=True, nogil=True)
def label_slots(label_bytes, label_offsets, bits):
    """The keys, the table of ``2 ** bits`` slots (more than the labels) and how many labels
    are not in their first slot; a label given twice holds the later number, as a dict built
    from the labels in order does."""
    count = label_offsets.shape[0] - 1
    keys = np.empty((count, 3), np.uint64)
    slots = np.full(1 << bits, -1, np.int64)
    moved = 0
    for q in range(count):
        a, b = label_offsets[q], label_offsets[q + 1]
        length, first, last = _key(label_bytes, a, b)
        keys[q, 0], keys[q, 1], keys[q, 2] = length, first, last
        s = _slot(length, first, last, bits)
        while slots[s] >= 0 and not _same(label_bytes, a, b, length, first, last, label_bytes,
                                          keys, label_offsets, slots[s]):
            s = (s + 1) & ((1 << bits) - 1)
            moved += 1
        slots[s] = q
    return keys, slots, moved


@njit(cache=True, nogil=True)
def index_labels(offsets, data, validity, start, label_bytes, label_offsets, label_values, keys,
                 slots, bits, null_value, unseen_value, out):
    """``out[i]``: the value of row ``i``'s label (``offsets[i]:offsets[i + 1]`` of ``data``),
    ``unseen_value`` for no label, ``null_value`` for a null row (bit ``start + i`` of the
    Arrow ``validity`` bitmap clear; an empty bitmap: no nulls)."""
    nullable = validity.shape[0] > 0
    for i in range(out.shape[0]):
        if nullable:
            bit = start + i
            if not (validity[bit >> 3] >> (bit & 7)) & 1:
                out[i] = null_value
                continue
        lo, hi = offsets[i], offsets[i + 1]
        length, first, last = _key(data, lo, hi)
        s = _slot(length, first, last, bits)
        q = max(slots[s], 0)  # the common case, a label of at most 16 bytes in its own slot,
        hit = (slots[s] >= 0) & (keys[q, 0] == length) & (keys[q, 1] == first) & \
            (keys[q, 2] == last) & (length <= 16)  # decided with no branch on the key
        if hit:
            out[i] = label_values[q]
        else:
            out[i] = _probe(data, lo, hi, length, first, last, s, label_bytes, label_offsets,
                            label_values, keys, slots, unseen_value)


@njit(cache=True, nogil=True)
def _probe(data, lo, hi, length, first, last, s, label_bytes, label_offsets, label_values, keys,
           slots, unseen_value):
    """The value of the label from slot ``s`` on, ``unseen_value`` when there is none."""
    while slots[s] >= 0:
        q = slots[s]
        if _same(data, lo, hi, length, first, last, label_bytes, keys, label_offsets, q):
            return label_values[q]
        s = (s + 1) & (slots.shape[0] - 1)
    return unseen_value
