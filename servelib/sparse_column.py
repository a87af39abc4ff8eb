"""A column of SparseVectors held in compressed sparse row (CSR) form.

HashingTF, CountVectorizerModel and FeatureHasher always output ``Vectors.sparse`` (see
https://github.com/apache/spark/blob/v3.5.0/mllib/src/main/scala/org/apache/spark/ml/feature/HashingTF.scala),
a handful of entries in 512 to 2^18 slots; so does OneHotEncoderModel (one entry), and
VectorAssembler's ``compressed`` output often is sparse on every row (one-hot inputs beside a
few numbers): those come as CsrColumns too, and scalers and linear models keep them so. Held as :class:`~servelib.vectors.VectorColumn`'s
dense rows x size matrix, 100k rows of 2^18 slots would be 200 GB; as CSR they are the entries
alone. :class:`CsrColumn` IS a VectorColumn: a stage that knows CSR (IDFModel, linear models,
the Arrow output) reads ``offsets``/``indices``/``values``; any other stage reads ``dense``,
built on first use, and works unchanged.

Like the dense form, a CsrColumn stores no explicit zeros (``VectorColumn`` keeps none either),
so every row, Arrow struct and ``dense`` matrix is the one the dense form gives: Spark's
``VectorUDT`` struct ``{type=0, size, indices, values}`` per non-null row.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from servelib.vectors import SparseVector, VectorColumn, compiled, pooled, vector_struct


class CsrColumn(VectorColumn):
    """Sparse rows: row ``i``'s entries are ``indices[offsets[i]:offsets[i+1]]`` (int32,
    ascending) and the same slice of ``values`` (float64, none zero); null rows hold none."""

    offsets: np.ndarray
    indices: np.ndarray
    values: np.ndarray

    def __init__(self, offsets: np.ndarray, indices: np.ndarray, values: np.ndarray, size: int,
                 null: np.ndarray | None = None) -> None:
        n = offsets.shape[0] - 1
        # VectorColumn is a frozen dataclass: its fields are set as it sets them
        setattr_ = object.__setattr__
        setattr_(self, "offsets", offsets)
        setattr_(self, "indices", indices)
        setattr_(self, "values", values)
        setattr_(self, "_size", int(size))
        setattr_(self, "sparse", np.ones(n, dtype=bool))
        setattr_(self, "null", null)
        setattr_(self, "_dense", None)

    @classmethod
    def of_entries(cls, rows: np.ndarray, indices: np.ndarray, values: np.ndarray, n: int,
                   size: int) -> CsrColumn:
        """Entries given as (row, index, value) triples, each (row, index) once, in any order;
        zeros are dropped (see the module docstring)."""
        keep = values != 0.0
        if not keep.all():
            rows, indices, values = rows[keep], indices[keep], values[keep]
        order = np.argsort(rows.astype(np.int64) * size + indices, kind="stable")
        return cls(offsets_of(np.bincount(rows, minlength=n)), indices[order].astype(np.int32),
                   values[order].astype(np.float64, copy=False), size)

    @property
    def dense(self) -> np.ndarray:  # type: ignore[override]
        """The dense rows x size matrix, built once, for stages that need it."""
        if self._dense is None:
            n, size = len(self), self._size
            out = pooled(n * size, np.float64).reshape(n, size)  # no fresh pages every batch
            out.fill(0.0)
            self.scatter_into(out, 0)
            object.__setattr__(self, "_dense", out)
        return self._dense

    @property
    def size(self) -> int:
        return self._size

    def __repr__(self) -> str:  # the dataclass repr would build ``dense``
        return f"CsrColumn(rows={len(self)}, size={self._size}, entries={self.values.size})"

    def __len__(self) -> int:
        return int(self.offsets.shape[0] - 1)

    def counts(self) -> np.ndarray:
        """Entries per row."""
        return np.diff(self.offsets)

    def row_of_entries(self) -> np.ndarray:
        """The row of each entry."""
        return np.repeat(np.arange(len(self)), self.counts())

    def with_values(self, values: np.ndarray) -> CsrColumn:
        """The same rows and indices holding ``values`` (zeros among them dropped)."""
        keep = values != 0.0
        if keep.all():
            return CsrColumn(self.offsets, self.indices, values, self._size, self.null)
        counts = np.bincount(self.row_of_entries()[keep], minlength=len(self))
        return CsrColumn(offsets_of(counts), self.indices[keep], values[keep], self._size,
                         self.null)

    def scaled(self, factors: np.ndarray) -> CsrColumn:
        """Each entry times its slot's factor (IEEE: 0 * inf is never formed, as only stored
        entries are multiplied), the zeros this makes dropped."""
        kernels = compiled(len(self))
        if kernels is None:
            with np.errstate(over="ignore", invalid="ignore"):
                return self.with_values(self.values * factors[self.indices])
        entries = self.values.shape[0]
        values = pooled(entries, np.float64)
        offsets, indices = pooled(len(self) + 1, np.int64), pooled(entries, np.int32)
        kept = kernels.scaled_entries(self.offsets, self.indices, self.values, factors,
                                      bool((factors == 0).any()), values, offsets, indices)
        if kept < 0:  # the same rows and slots: shared (a column is never written to)
            return CsrColumn(self.offsets, self.indices, values, self._size, self.null)
        return CsrColumn(offsets, indices[:kept], values[:kept], self._size, self.null)

    def take(self, index: np.ndarray) -> CsrColumn:
        counts = self.counts()[index]
        starts = self.offsets[:-1][index]
        pos = np.repeat(starts - offsets_of(counts)[:-1], counts) + np.arange(counts.sum())
        null = None if self.null is None else self.null[index]
        return CsrColumn(offsets_of(counts), self.indices[pos], self.values[pos], self._size, null)

    def scatter_into(self, out: np.ndarray, start: int) -> None:
        """Write the stored entries into ``out[:, start:start + size]`` (other slots untouched)."""
        kernels = compiled(len(self))
        if kernels is None:
            out[self.row_of_entries(), start + self.indices] = self.values
        else:
            kernels.scatter_rows(out, start, self.offsets, self.indices, self.values)

    def row(self, i: int) -> SparseVector | None:
        if self.null is not None and self.null[i]:
            return None
        lo, hi = self.offsets[i], self.offsets[i + 1]
        vec = object.__new__(SparseVector)
        vec.size, vec._row = self._size, None
        vec._indices, vec._values = self.indices[lo:hi], self.values[lo:hi]
        return vec

    def to_arrow(self) -> pa.Array:
        """Spark's VectorUDT struct array, built from the offsets (no per-row Python)."""
        n = len(self)
        offsets = pooled(n + 1, np.int32)  # null rows hold no entries: empty ranges
        np.copyto(offsets, self.offsets, casting="unsafe")
        return vector_struct(np.zeros(n, dtype=np.int8), self._size, offsets,
                             self.indices.astype(np.int32, copy=False), offsets,
                             self.values, self.null)


def compressed_column(dense: np.ndarray, spark4: bool = False) -> VectorColumn:
    """``VectorColumn.compressed(dense, spark4=spark4)``; with the compiled passes, a CsrColumn
    (over the same ``dense``) when every row is sparse, so stages that know CSR skip the
    matrix."""
    kernels = compiled(dense.shape[0])
    if kernels is None:
        return VectorColumn.compressed(dense, spark4=spark4)
    sparse, offsets, indices, values = kernels.compressed_entries(dense, spark4)
    if not sparse.all():
        return VectorColumn(dense, sparse)
    col = CsrColumn(offsets, indices, values, dense.shape[1])
    object.__setattr__(col, "_dense", dense)  # a -0.0 there is not an entry, as in VectorColumn
    return col


def count_entries(rows: np.ndarray, slots: np.ndarray,
                  size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The distinct (row, slot) pairs of ascending ``rows`` (a term's row and slot each), in
    CSR order, and how often each occurs: (rows, slots, counts)."""
    # keys come grouped by row, so the stable sort (timsort: merges of ordered runs) is ~5x
    # the default sort np.unique uses
    keys = np.sort(rows * size + slots, kind="stable")
    first = np.ones(keys.size, dtype=bool)
    np.not_equal(keys[1:], keys[:-1], out=first[1:])
    starts = np.flatnonzero(first)
    keys = keys[starts]
    return keys // size, keys % size, np.diff(starts, append=first.size)


def offsets_of(counts: np.ndarray) -> np.ndarray:
    """CSR row offsets (int64, one more than rows) from entries per row."""
    out = pooled(counts.shape[0] + 1, np.int64)
    kernels = compiled(counts.shape[0])
    if kernels is not None:  # NumPy's cumsum holds the GIL: threads scoring other rows wait
        kernels.running_totals(counts, out)
        return out
    out[0] = 0
    np.cumsum(counts, out=out[1:])
    return out
