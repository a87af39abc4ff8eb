"""Spark ML vectors: row objects, a columnar form, and Spark's VectorUDT Arrow layout.

A batch column of vectors is a :class:`VectorColumn`: one dense float64 matrix (rows x size), a
per-row flag saying whether Spark would hold that row as a SparseVector, and a null mask. The dense
matrix keeps every stage's math vectorised; the flag keeps Spark's dense/sparse choice, so the
row objects handed back (``DenseVector``/``SparseVector``) have the same type Spark produces.
Explicit zeros stored inside a Spark SparseVector are not kept (they never change a value).
Columns whose rows are all sparse (one-hot vectors, most assembled ones, text features) come as
:class:`~servelib.sparse_column.CsrColumn`, a VectorColumn holding the entries alone.

The column-wide passes (the Arrow buffers, CSR entries, sums over them) run as compiled numba
functions (:mod:`servelib.vector_kernels`, imported on first use) with the NumPy passes below as
the fallback where numba cannot be imported, or with ``SERVELIB_VECTOR_ENGINE=numpy``.

VectorUDT layout (org.apache.spark.ml.linalg.VectorUDT.sqlType):
``struct<type: int8, size: int32, indices: list<int32>, values: list<double>>`` with type 0 =
sparse, 1 = dense (dense rows leave size and indices null).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np
import pyarrow as pa

from servelib.compiled import import_kernels, use_compiled

VECTOR_ARROW_TYPE = pa.struct(
    [
        pa.field("type", pa.int8(), nullable=False),
        pa.field("size", pa.int32()),
        pa.field("indices", pa.list_(pa.field("element", pa.int32(), nullable=False))),
        pa.field("values", pa.list_(pa.field("element", pa.float64(), nullable=False))),
    ]
)


# "numba": the compiled passes of vector_kernels.py; "numpy": the NumPy ones they replace
ENGINE = os.environ.get("SERVELIB_VECTOR_ENGINE", "numba")
# Shorter columns take the NumPy passes: as fast for a few rows, and a row that falls back to
# the batch path never waits for numba's import (a few hundred ms, once a process).
COMPILED_ROWS = 64
_POOLED_BYTES = 1 << 16  # arrays from this size come from pyarrow's memory pool (pooled)


def compiled(rows: int) -> ModuleType | None:
    """servelib.vector_kernels when the compiled passes are in use for a column of ``rows``,
    else None (NumPy)."""
    if rows < COMPILED_ROWS or not use_compiled(ENGINE, "SERVELIB_VECTOR_ENGINE"):
        return None
    return _kernels()


@functools.cache
def _kernels() -> ModuleType | None:
    """Imported on first use: a one-row request never pays for numba."""
    return import_kernels("servelib.vector_kernels", "compiled vector passes")


def pooled(count: int, dtype: Any) -> np.ndarray:
    """An uninitialised 1-D array in pyarrow's memory pool, for a batch's big outputs: the pool
    keeps freed memory for the next batch, where glibc hands big freed blocks back to the OS
    and each page of a new one faults on its first write (~2 us a 4 kB page on a VM; a 100k-row
    batch writes tens of MB)."""
    dtype = np.dtype(dtype)
    if count * dtype.itemsize < _POOLED_BYTES:  # glibc reuses small blocks: NumPy's is quicker
        return np.empty(count, dtype)
    return np.frombuffer(pa.allocate_buffer(count * dtype.itemsize), dtype=dtype)


class DenseVector:
    """A dense vector; ``toArray()`` gives the float64 NumPy array.

    One scored on the row path keeps the Python floats it was computed in and makes the NumPy
    array only when ``values``/``toArray()`` is first read; :meth:`tolist` (what the servers'
    encoders read) never needs it."""

    __slots__ = ("_values", "_floats")

    def __init__(self, values: Any) -> None:
        self._values: np.ndarray | None = np.asarray(values, dtype=np.float64)
        self._floats: list[float] | None = None

    @classmethod
    def _of_array(cls, values: np.ndarray) -> DenseVector:
        """A vector over a float64 array (no copy, no check)."""
        vec = object.__new__(cls)
        vec._values, vec._floats = values, None
        return vec

    @property
    def values(self) -> np.ndarray:
        if self._values is None:
            self._values = np.array(self._floats, dtype=np.float64)
        return self._values

    @property
    def size(self) -> int:
        if self._values is None:
            return len(self._floats)  # type: ignore[arg-type]
        return int(self._values.shape[0])

    def tolist(self) -> list[float]:
        """The values as Python floats (a new list)."""
        if self._values is None:
            return list(self._floats)  # type: ignore[arg-type]
        return self._values.tolist()  # type: ignore[no-any-return]

    def toArray(self) -> np.ndarray:  # noqa: N802 - Spark's name
        return self.values

    def __len__(self) -> int:
        return self.size

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (DenseVector, SparseVector)):
            return self.size == other.size and np.array_equal(
                self.toArray(), other.toArray(), equal_nan=True
            )
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"DenseVector({self.values.tolist()})"


class SparseVector:
    """A sparse vector with Spark's fields ``size``, ``indices`` (int32) and ``values``.

    Vectors handed out by scoring are made from a dense row and find their non-zeros only when
    ``indices``/``values`` are first read: most callers read a prediction, not every vector."""

    __slots__ = ("size", "_indices", "_values", "_row")

    def __init__(self, size: int, indices: Any, values: Any) -> None:
        self.size = int(size)
        self._indices = np.asarray(indices, dtype=np.int32)
        self._values = np.asarray(values, dtype=np.float64)
        self._row: np.ndarray | None = None
        _check_sparse(self.size, self._indices, self._values)

    @classmethod
    def _of_row(cls, row: np.ndarray) -> SparseVector:
        """The vector of a dense row (no copy, no check)."""
        vec = object.__new__(cls)
        vec.size = len(row)
        vec._row = row
        vec._indices = vec._values = None
        return vec

    def _split(self) -> None:
        row = np.asarray(self._row, dtype=np.float64)  # a list stays: row_vector reads it
        (idx,) = np.nonzero(row)
        self._indices = idx.astype(np.int32)
        self._values = row[idx]

    @property
    def indices(self) -> np.ndarray:
        if self._indices is None:
            self._split()
        return self._indices

    @property
    def values(self) -> np.ndarray:
        if self._values is None:
            self._split()
        return self._values

    def toArray(self) -> np.ndarray:  # noqa: N802 - Spark's name
        out = np.zeros(self.size, dtype=np.float64)
        out[self.indices] = self.values  # not the dense row itself: a -0.0 there is no entry
        return out

    def __len__(self) -> int:
        return self.size

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (DenseVector, SparseVector)):
            return self.size == other.size and np.array_equal(
                self.toArray(), other.toArray(), equal_nan=True
            )
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"SparseVector({self.size}, {self.indices.tolist()}, {self.values.tolist()})"


Vector = DenseVector | SparseVector


def _check_sparse(size: int, indices: np.ndarray, values: np.ndarray) -> None:
    """Spark's SparseVector checks (one index per value, each in [0, size)): a bad index would
    otherwise fail deep in scoring, or a negative one silently address the last slots."""
    if indices.ndim != 1 or indices.shape != values.shape:
        raise ValueError(f"a sparse vector needs one index per value, got {indices.size} "
                         f"indices and {values.size} values")
    if indices.size and (indices.min() < 0 or indices.max() >= size):
        raise ValueError(f"sparse vector indices must lie in [0, {size}), got "
                         f"{indices.min()} to {indices.max()}")


def vector_of_row(values: list[float], sparse: bool) -> Vector:
    """A row kernel's output vector: Spark's dense/sparse choice over the Python floats the
    kernel computed, which the vector keeps (the caller hands the list over and never changes
    it): the next kernel reads them back (:func:`row_vector`) without a NumPy array, and the
    array is made only when a caller reads ``values``/``toArray()``."""
    if sparse:
        vec = object.__new__(SparseVector)
        vec.size, vec._row = len(values), values
        vec._indices = vec._values = None
        return vec
    dense = object.__new__(DenseVector)
    dense._values, dense._floats = None, values
    return dense


class EntriesVector:
    """A sparse vector inside the one-row fast path given by its entries (a stage that makes a
    few entries of a long sparse vector: HashingTF's 2^18 slots): the dense ``values`` list is
    built only when a consumer reads it, and a consumer that knows ``entries`` need never build
    it. It never leaves scoring: :meth:`finish` turns it into the SparseVector the batch path
    hands out for the same row."""

    __slots__ = ("_values", "entries", "size")

    def __init__(self, size: int, entries: dict[int, float]) -> None:
        """``index -> value``, in any order, each index in [0, size)."""
        self._values: list[float] | None = None
        self.entries = entries
        self.size = size

    @property
    def values(self) -> list[float]:
        if self._values is None:
            values = [0.0] * self.size
            for index, value in self.entries.items():
                values[index] = value
            self._values = values
        return self._values

    def finish(self) -> SparseVector:
        kept = sorted(i for i, v in self.entries.items() if v != 0.0)  # as _split keeps
        vec = object.__new__(SparseVector)
        vec.size, vec._row = self.size, None
        vec._indices = np.array(kept, dtype=np.int32)
        vec._values = np.array([self.entries[i] for i in kept], dtype=np.float64)
        return vec


def row_vector(value: Any) -> tuple[list[float], bool] | None:
    """A row-path vector's values (not to be changed by the caller) and the sparse flag
    ``Batch.vectors`` gives it (True for a SparseVector); None for anything else, null included
    (the caller hands the row to the batch path, which names the problem)."""
    cls = value.__class__
    if cls is DenseVector:
        if value._values is None:  # a kernel's output (vector_of_row)
            return value._floats, False
        if value._values.ndim != 1:  # a hand-made DenseVector the batch path rejects
            return None
        return value._values.tolist(), False
    if cls is SparseVector:
        if value._row.__class__ is list:  # vector_of_row's floats, read or not
            return value._row, True
        try:
            return value.toArray().tolist(), True
        except (IndexError, ValueError):  # indices past its size: the batch path fails
            return None
    if cls is EntriesVector:
        return value.values, True
    if cls is list or cls is tuple:  # what as_vector reads as a dense vector
        for x in value:
            if x.__class__ is not float and x.__class__ is not int and not isinstance(
                    x, (bool, np.bool_, np.floating, np.integer)):
                return None  # strings and other objects: left to the batch path
        try:
            return [float(x) for x in value], False
        except OverflowError:
            return None
    if cls is dict:  # Spark's VectorUDT fields, as JSON gives them
        try:
            return row_vector(as_vector(value))
        except (TypeError, ValueError, KeyError, IndexError):
            return None
    return None


def row_values(value: Any) -> list[float] | None:
    """:func:`row_vector`'s values alone."""
    found = row_vector(value)
    return None if found is None else found[0]


def compressed_row_is_sparse(values: list[float], spark4: bool = False) -> bool:
    """:func:`compressed_is_sparse` for one row of Python floats."""
    nnz = len(values) - values.count(0.0)  # NaN != 0.0: counted, as in Spark
    if spark4:
        return 12 * nnz + 28 < 8 * len(values) + 12
    return 1.5 * (nnz + 1.0) < len(values)


def compressed_is_sparse(dense: np.ndarray, spark4: bool = False) -> np.ndarray:
    """Spark's ``Vector.compressed`` choice per row. Spark 3.x: sparse iff 1.5 * (nnz + 1) < size.
    Spark 4.x (``compressedWithNNZ``: ``Vectors.getSparseSize(nnz) < getDenseSize(size)``):
    sparse iff 12 * nnz + 28 < 8 * size + 12, so e.g. 2 non-zeros of 5 are dense in 4.x only."""
    return sparse_by_count(_row_counts(dense != 0), dense.shape[1], spark4)  # NaN counts


def sparse_by_count(nnz: np.ndarray, size: int, spark4: bool = False) -> np.ndarray:
    """:func:`compressed_is_sparse` of rows with ``nnz`` stored entries (integers) of ``size``,
    as one comparison with the least count that is not sparse (no rows-long temporaries):
    Spark 4's ``12 nnz + 28 < 8 size + 12`` is ``12 nnz < 8 size - 16``, Spark 3's
    ``1.5 (nnz + 1) < size`` is ``3 nnz < 2 size - 3``, and ``k nnz < x`` is
    ``nnz < ceil(x / k)`` for whole ``nnz``."""
    return nnz < first_dense_count(size, spark4)


def first_dense_count(size: int, spark4: bool = False) -> int:
    """The least stored-entry count of a row of ``size`` that Spark's ``compressed`` keeps
    dense (see :func:`sparse_by_count`)."""
    k, x = (12, 8 * size - 16) if spark4 else (3, 2 * size - 3)
    return -(-x // k)


@dataclass(frozen=True)
class VectorColumn:
    """A column of vectors of one size: dense values, Spark's sparse flag, null rows."""

    dense: np.ndarray  # (rows, size) float64
    sparse: np.ndarray  # (rows,) bool
    null: np.ndarray | None = None  # (rows,) bool, True where the row is null

    @property
    def size(self) -> int:
        return int(self.dense.shape[1])

    def __len__(self) -> int:
        return int(self.dense.shape[0])

    @classmethod
    def of_dense(cls, dense: np.ndarray, null: np.ndarray | None = None) -> VectorColumn:
        return cls(dense, np.zeros(dense.shape[0], dtype=bool), null)

    @classmethod
    def of_sparse(cls, dense: np.ndarray, null: np.ndarray | None = None) -> VectorColumn:
        return cls(dense, np.ones(dense.shape[0], dtype=bool), null)

    @classmethod
    def compressed(
        cls, dense: np.ndarray, null: np.ndarray | None = None, spark4: bool = False
    ) -> VectorColumn:
        """Spark's ``compressed`` per row; ``spark4``: the rule of the Spark 4 that wrote the model."""
        return cls(dense, compressed_is_sparse(dense, spark4), null)

    def take(self, index: np.ndarray) -> VectorColumn:
        null = None if self.null is None else self.null[index]
        return VectorColumn(self.dense[index], self.sparse[index], null)

    def row(self, i: int) -> Vector | None:
        if self.null is not None and self.null[i]:
            return None
        # Views of the batch's matrix: the batch is discarded after scoring, so no copy is needed.
        if self.sparse[i]:
            return SparseVector._of_row(self.dense[i])
        return DenseVector._of_array(self.dense[i])

    def to_arrow(self) -> pa.Array:
        """Spark's VectorUDT struct array: the row entries gathered by one compiled sweep
        (vector_kernels.arrow_buffers), or column-wise in NumPy without numba."""
        n, size = self.dense.shape
        if self.null is None and not self.sparse.any():
            return self._dense_to_arrow(n, size)
        null = np.zeros(n, dtype=bool) if self.null is None else self.null
        kernels = compiled(n)
        if kernels is None:
            buffers = _arrow_buffers(self.dense, self.sparse, null)
        else:
            listed = int(np.count_nonzero(self.sparse & ~null))  # rows that list indices
            buffers = (pooled(n + 1, np.int32), pooled(n * size, np.float64),
                       pooled(n + 1, np.int32), pooled(listed * size, np.int32))
            v, k = kernels.arrow_buffers(self.dense, self.sparse, null, *buffers)
            buffers = (buffers[0], buffers[1][:v], buffers[2], buffers[3][:k])
        value_offsets, values, index_offsets, indices = buffers
        return vector_struct((~self.sparse).astype(np.int8), size, index_offsets, indices,
                             value_offsets, values, self.null)

    def _dense_to_arrow(self, n: int, size: int) -> pa.Array:
        """The common case (every row dense, none null): the matrix is the values buffer."""
        offsets = pa.array(np.arange(n + 1, dtype=np.int32) * np.int32(size))
        values = pa.ListArray.from_arrays(offsets, pa.array(self.dense.ravel()),
                                          type=VECTOR_ARROW_TYPE.field(3).type)
        children = [
            pa.array(np.ones(n, dtype=np.int8)),
            pa.nulls(n, pa.int32()),
            pa.nulls(n, VECTOR_ARROW_TYPE.field(2).type),
            values,
        ]
        return pa.StructArray.from_arrays(children, fields=list(VECTOR_ARROW_TYPE))

    @classmethod
    def from_arrow(cls, array: pa.Array | pa.ChunkedArray) -> VectorColumn:
        """Decode a VectorUDT struct column; raises ValueError on mixed sizes."""
        if isinstance(array, pa.ChunkedArray):
            array = array.combine_chunks() if array.num_chunks else pa.array([], VECTOR_ARROW_TYPE)
        n = len(array)
        null = ~np.asarray(array.is_valid().to_numpy(zero_copy_only=False), dtype=bool)
        kids = {array.type.field(i).name: k for i, k in enumerate(array.flatten())}
        sparse = (kids["type"].fill_null(1).to_numpy(zero_copy_only=False) == 0) & ~null
        vals = kids["values"]
        v_off = np.asarray(vals.offsets.to_numpy(zero_copy_only=False), dtype=np.int64)
        v_flat = np.asarray(vals.values.to_numpy(zero_copy_only=False), dtype=np.float64)
        lengths = np.diff(v_off)
        dense_rows = np.flatnonzero(~sparse & ~null)
        sizes = set(lengths[dense_rows].tolist())
        if sparse.any():
            sizes |= set(kids["size"].to_numpy(zero_copy_only=False)[sparse].astype(np.int64).tolist())
        if len(sizes) > 1:
            raise ValueError(f"vectors of different sizes {sorted(sizes)} in one column")
        size = sizes.pop() if sizes else 0
        dense = np.zeros((n, size), dtype=np.float64)
        if dense_rows.size and size:
            dense[dense_rows] = v_flat[v_off[dense_rows][:, None] + np.arange(size)]
        srows = np.flatnonzero(sparse)
        if srows.size:
            inds = kids["indices"]
            i_off = np.asarray(inds.offsets.to_numpy(zero_copy_only=False), dtype=np.int64)
            i_flat = np.asarray(inds.values.to_numpy(zero_copy_only=False), dtype=np.int64)
            counts = lengths[srows]
            if not np.array_equal(np.diff(i_off)[srows], counts):
                raise ValueError("a sparse vector needs one index per value")
            if i_flat.size and (i_flat.min() < 0 or i_flat.max() >= size):
                raise ValueError(f"sparse vector indices must lie in [0, {size})")
            row_rep = np.repeat(srows, counts)
            rank = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
            dense[row_rep, i_flat[np.repeat(i_off[srows], counts) + rank]] = v_flat[
                np.repeat(v_off[srows], counts) + rank
            ]
        return cls(dense, sparse, null if null.any() else None)


def _row_counts(mask: np.ndarray) -> np.ndarray:
    """True entries per row of a 2-D boolean array (a fifth of ``count_nonzero(axis=1)``'s
    time: that converts to bool and sums short rows one reduction at a time)."""
    return np.einsum("ij->i", mask.view(np.uint8), dtype=np.intp)


def _arrow_buffers(dense: np.ndarray, sparse: np.ndarray,
                   null: np.ndarray) -> tuple[np.ndarray, ...]:
    """vector_kernels.arrow_buffers in NumPy: the flat positions of the entries rows store
    (every slot of a dense row, the non-zeros of a sparse one) give the values in row order,
    their indices, and the row offsets."""
    n, size = dense.shape
    dense = np.ascontiguousarray(dense)
    stored = dense != 0  # NaN is stored, as Spark's sparse vectors keep it
    stored[~sparse] = True
    stored[null] = False
    positions = np.flatnonzero(stored)
    counts = _row_counts(stored)
    offsets = np.zeros(n + 1, dtype=np.int32)
    np.cumsum(counts, out=offsets[1:])
    listed = sparse & ~null  # only sparse rows list their indices
    indices = (positions % size if size else positions)[np.repeat(listed, counts)]
    index_offsets = np.zeros(n + 1, dtype=np.int32)
    np.cumsum(np.where(listed, counts, 0), out=index_offsets[1:])
    return offsets, dense.ravel()[positions], index_offsets, indices.astype(np.int32)


def vector_struct(types: np.ndarray, size: int, index_offsets: np.ndarray, indices: np.ndarray,
                  value_offsets: np.ndarray, values: np.ndarray,
                  null: np.ndarray | None) -> pa.Array:
    """The VectorUDT struct array of the rows' types (int8: 0 sparse, 1 dense), int32 index and
    value offsets, int32 indices and float64 values; ``null`` (or None) marks null rows. Sparse
    non-null rows have the size and an index list, the others null ones."""
    n = types.shape[0]
    null = None if null is None or not null.any() else null
    no_indices = types.astype(bool) if null is None else types.astype(bool) | null
    sizes = pooled(n, np.int32)
    sizes.fill(size)
    children = [
        pa.array(types),
        pa.array(sizes, mask=no_indices if no_indices.any() else None),
        _list_array(index_offsets, indices, no_indices, 2),
        _list_array(value_offsets, values, null, 3),
    ]
    return pa.StructArray.from_arrays(children, fields=list(VECTOR_ARROW_TYPE),
                                      mask=None if null is None else pa.array(null))


def _list_array(offsets: np.ndarray, flat: np.ndarray, null: np.ndarray | None,
                field: int) -> pa.Array:
    """A list child of VECTOR_ARROW_TYPE (``field``) from int32 row offsets into the flat
    entries; rows where ``null`` is True are null lists."""
    mask = None if null is None or not null.any() else pa.array(null)
    return pa.ListArray.from_arrays(pa.array(offsets), pa.array(flat),
                                    type=VECTOR_ARROW_TYPE.field(field).type, mask=mask)


def is_vector_struct(arrow_type: pa.DataType) -> bool:
    """True for Arrow structs in Spark's VectorUDT layout (read by field name)."""
    if not pa.types.is_struct(arrow_type):
        return False
    names = {arrow_type.field(i).name for i in range(arrow_type.num_fields)}
    return {"type", "size", "indices", "values"} <= names


def vector_from_struct(item: dict | None) -> Vector | None:
    """One VectorUDT struct (as a Python dict) to a vector object."""
    if item is None:
        return None
    if item["type"] == 0:
        return SparseVector(item["size"], item["indices"] or [], item["values"] or [])
    return DenseVector(item["values"] or [])


def vector_to_struct(vec: Vector | None) -> dict | None:
    """One vector as a VectorUDT struct dict (the inverse of :func:`vector_from_struct`)."""
    if vec is None:
        return None
    if isinstance(vec, SparseVector):
        return {"type": 0, "size": vec.size, "indices": vec.indices.tolist(),
                "values": vec.values.tolist()}
    return {"type": 1, "size": None, "indices": None, "values": vec.values.tolist()}


def as_vector(value: Any) -> Vector | None:
    """Accept what users pass for a vector: our vectors, pyspark vectors, sequences, arrays,
    or a VectorUDT-shaped dict. Raises TypeError/ValueError for anything else."""
    try:
        return _as_vector(value)
    except OverflowError:
        raise ValueError("a vector value is too large for a double") from None
    except KeyError as exc:  # a VectorUDT dict without a field its type needs
        raise ValueError(f"a vector dict of this type needs the field {exc}") from None


def _as_vector(value: Any) -> Vector | None:
    if value is None or isinstance(value, (DenseVector, SparseVector)):
        return value
    if value.__class__ is EntriesVector:  # a row kernel's output, scored on by a batch path
        return value.finish()
    if isinstance(value, dict):
        if not {"type", "values"} <= value.keys():
            raise TypeError(f"a vector dict needs Spark's VectorUDT fields, got keys {sorted(value)}")
        return vector_from_struct(value)
    if hasattr(value, "indices") and hasattr(value, "size") and hasattr(value, "values"):
        return SparseVector(value.size, value.indices, value.values)  # pyspark SparseVector
    if hasattr(value, "toArray"):
        return DenseVector(value.toArray())
    if isinstance(value, (str, bytes)):
        raise TypeError(f"expected a vector, got {type(value).__name__} {value!r}")
    arr = np.asarray(value, dtype=np.float64)
    if arr.ndim != 1:
        raise ValueError(f"expected a one-dimensional vector, got shape {arr.shape}")
    return DenseVector(arr)


def column_from_vectors(vectors: Sequence[Vector | None], size: int | None = None) -> VectorColumn:
    """Build a VectorColumn; all non-null rows must have one size (``size`` if given).

    Raises ValueError on mixed sizes: callers turn it into InvalidInput naming the column."""
    n = len(vectors)
    sizes = {v.size for v in vectors if v is not None}
    if size is None:
        size = sizes.pop() if len(sizes) == 1 else (0 if not sizes else -1)
    if size < 0 or any(s != size for s in sizes):
        raise ValueError(f"vectors of different sizes {sorted(sizes)} in one column")
    dense = np.zeros((n, size), dtype=np.float64)
    sparse = np.zeros(n, dtype=bool)
    null = np.zeros(n, dtype=bool)
    for i, vec in enumerate(vectors):
        if vec is None:
            null[i] = True
        elif isinstance(vec, SparseVector):
            sparse[i] = True
            dense[i, vec.indices] = vec.values
        else:
            dense[i] = vec.values
    return VectorColumn(dense, sparse, null if null.any() else None)
