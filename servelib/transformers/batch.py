"""The columnar batch every stage scores: one row (online), a short list, or an Arrow table.

Columns are converted lazily from the source (row dicts or an Arrow table) the first time a stage
asks for them, through a typed accessor that names the column and the stage when the value has
the wrong type. Canonical column forms:

* ``np.ndarray`` float64 / int / bool: numbers without nulls;
* ``np.ndarray`` of dtype object: strings, or any values with ``None`` for null;
* :class:`~servelib.vectors.VectorColumn`: vectors.

A text stage may keep an array<string> output as a
:class:`~servelib.transformers.text.token_column.TokenColumn` (Arrow); :meth:`Batch.column`
gives other readers its object array of lists.

An Arrow column of numbers with nulls is an object array in that canonical form, but the stages
that want its numbers (``floats``, the Imputer through ``source_floats``) decode it
column-wise from Arrow (values and null mask) without building it: with a few percent of dirty
rows, nearly every numeric column of a real batch has a null.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from decimal import Decimal
from typing import Any

import numpy as np
import pyarrow as pa

from servelib.errors import InvalidInput
from servelib.transformers.text.token_column import TokenColumn
from servelib.vectors import (
    VectorColumn,
    as_vector,
    column_from_vectors,
    compiled,
    is_vector_struct,
    vector_from_struct,
)

_MISSING = object()
# Arrow types whose values buffer NumPy reads as they are, and casts to float64 as astype does
_BUFFER_FLOATS = frozenset([pa.int8(), pa.int16(), pa.int32(), pa.int64(), pa.uint8(),
                            pa.uint16(), pa.uint32(), pa.float32(), pa.float64()])
_NO_NULLS = np.empty(0, np.uint8)  # the bitmap arrow_chunks gives a chunk with no nulls
_BRIEF = 80  # characters of a bad value an error message shows


def arrow_chunks(arr: pa.ChunkedArray) -> Iterator[tuple[int, pa.Array, np.ndarray]]:
    """Each non-empty chunk of ``arr``, the row of ``arr`` it starts at, and its validity
    bitmap as bytes (empty when the chunk has no null), for the compiled passes that read
    Arrow buffers (a chunk may be a slice of them: from its ``offset``)."""
    start = 0
    for chunk in arr.chunks:
        if len(chunk):
            validity = chunk.buffers()[0]
            bitmap = _NO_NULLS if validity is None or not chunk.null_count else \
                np.frombuffer(validity, np.uint8)
            yield start, chunk, bitmap
        start += len(chunk)


def brief(value: Any) -> str:
    """``repr(value)`` cut to a bounded length for error messages (a 10 MB string must not make
    a 10 MB message)."""
    if isinstance(value, (str, bytes)) and len(value) > _BRIEF:
        return f"{value[:_BRIEF]!r}... ({type(value).__name__} of length {len(value)})"
    text = repr(value)
    if len(text) > _BRIEF:
        return f"{text[:_BRIEF]}... ({type(value).__name__})"
    return text


class Batch:
    """Rows under scoring. ``n`` is the number of rows still alive (skip may drop some)."""

    __slots__ = ("n", "single", "visible", "hidden", "_cols", "_rows", "_table", "_names",
                 "_floats", "_row_ids", "_written")

    def __init__(
        self,
        n: int,
        rows: Sequence[Mapping[str, Any]] | None = None,
        table: pa.Table | None = None,
        single: bool = False,
    ) -> None:
        self.n = n
        self.single = single  # one online row: a skipped row is an error, not an empty result
        self._rows = rows
        self._table = table
        # the source table's columns (``Table.column_names`` builds a new list on every call)
        self._names = frozenset(() if table is None else table.column_names)
        self._cols: dict[str, Any] = {}
        self._floats: dict[str, tuple[np.ndarray, np.ndarray | None]] = {}
        self._row_ids = np.arange(n)  # index into the source of each alive row
        self._written: set[str] = set()  # columns a stage wrote
        # after a projecting stage (see project()), the columns still visible, in order
        self.visible: list[str] | None = None
        self.hidden: set[str] = set()  # columns a stage dropped (see drop())

    @classmethod
    def from_rows(cls, rows: Sequence[Mapping[str, Any]], single: bool = False) -> Batch:
        return cls(len(rows), rows=rows, single=single)

    @classmethod
    def from_table(cls, table: pa.Table) -> Batch:
        return cls(table.num_rows, table=table)

    # ---- source access -------------------------------------------------------------------
    @property
    def row_ids(self) -> np.ndarray:
        """For each alive row, its position in the original input."""
        return self._row_ids

    def has(self, name: str) -> bool:
        if name in self.hidden:
            return False
        if self.visible is not None:
            return name in self.visible
        if name in self._cols:
            return True
        if self._table is not None:
            return name in self._names
        # no rows: no column (an empty list is a table with no known columns, not every column)
        return bool(self._rows) and all(name in r for r in self._rows)

    def from_request_rows(self, name: str) -> bool:
        """Whether ``name`` comes from row dicts (which carry no Spark type), not from an Arrow
        table or a stage."""
        return self._rows is not None and name not in self._written

    def source_type(self, name: str) -> pa.DataType | None:
        """The Arrow type of ``name`` in the source table; None for row input or no such column.

        For stages whose output type follows the input's Spark type (Imputer) when nulls made the
        canonical column an object array."""
        if name not in self._names:
            return None
        return self._table.schema.field(name).type

    def source_strings(self, name: str) -> pa.ChunkedArray | None:
        """The source table's column ``name`` as Arrow when it is a string column no stage has
        read or written and no row was dropped, for stages that can work on Arrow directly."""
        if self._table is None or name in self._cols or self.n != self._table.num_rows:
            return None
        if name not in self._names:
            return None
        col = self._table.column(name)
        return col if pa.types.is_string(col.type) or pa.types.is_large_string(col.type) else None

    def source_floats(self, name: str) -> tuple[np.ndarray, np.ndarray] | None:
        """An Arrow source column of numbers or booleans that has nulls and that no stage has
        read or written: its values as float64 (NaN where null) and the null mask, decoded
        column-wise (a compiled pass over the Arrow buffers for integers and floats). None
        for any other column (read it with :meth:`column`, whose canonical form for such a
        column is an object array)."""
        arr = self._unread_numbers(name)
        if arr is None or not arr.null_count:
            return None
        kernels = compiled(len(arr))
        if kernels is None or arr.type not in _BUFFER_FLOATS or len(arr) != self.n:
            null = arr.is_null().to_numpy(zero_copy_only=False)
            values = arr.fill_null(False if pa.types.is_boolean(arr.type) else 0)
            x = values.to_numpy(zero_copy_only=False).astype(np.float64)
            x[null] = np.nan
            if len(x) != self.n:  # rows were dropped before this column was first read
                x, null = x[self._row_ids], null[self._row_ids]
            return x, null
        x, null = np.empty(self.n), np.empty(self.n, dtype=bool)
        dtype = arr.type.to_pandas_dtype()
        for start, chunk, bitmap in arrow_chunks(arr):
            end = start + len(chunk)
            values = np.frombuffer(chunk.buffers()[1], dtype)
            values = values[chunk.offset : chunk.offset + len(chunk)]
            kernels.floats_of(values, bitmap, chunk.offset, x[start:end], null[start:end])
        return x, null

    def is_source_number(self, name: str) -> bool:
        """Whether ``name`` is an Arrow source column of numbers or booleans that no stage has
        read or written (known to hold numbers without decoding it)."""
        return self._unread_numbers(name) is not None

    def _unread_numbers(self, name: str) -> pa.ChunkedArray | None:
        if self._table is None or name in self._cols or name in self.hidden:
            return None
        if self.visible is not None or name not in self._names:
            return None
        arr = self._table.column(name)
        return arr if _is_plain_number(arr.type) else None

    def column(self, name: str, stage: str | None = None) -> Any:
        """The canonical column, converted from the source on first use."""
        col = self._cols.get(name, _MISSING)
        if col is _MISSING:
            col = self._from_source(name, stage)
            self._cols[name] = col
        elif col.__class__ is TokenColumn:
            return col.objects()
        return col

    def tokens(self, name: str) -> TokenColumn | None:
        """A text stage's array<string> output as it keeps it (Arrow), else None: the caller
        reads :meth:`column` or :meth:`objects`."""
        col = self._cols.get(name)
        return col if col.__class__ is TokenColumn and self.has(name) else None

    def _from_source(self, name: str, stage: str | None) -> Any:
        if self.visible is not None or name in self.hidden:  # a stage removed it
            raise InvalidInput("missing input column (an earlier stage dropped it)",
                               column=name, stage=stage)
        if self._table is not None:
            if name not in self._names:
                raise InvalidInput("missing input column", column=name, stage=stage)
            arr = self._table.column(name)
            col = _from_arrow(arr, name, stage)
        elif self._rows is not None:
            values = []
            for i, row in enumerate(self._rows):
                v = row.get(name, _MISSING)
                if v is _MISSING:
                    raise InvalidInput("missing input column", column=name, stage=stage, row=i)
                values.append(v)
            col = _typed(values)
        else:
            raise InvalidInput("missing input column", column=name, stage=stage)
        if len(col) != self.n:  # rows were dropped before this column was first read
            col = _take(col, self._row_ids)
        return col

    # ---- typed accessors -----------------------------------------------------------------
    def floats(self, name: str, stage: str) -> tuple[np.ndarray, np.ndarray | None]:
        """A numeric column as float64 and a null mask (None when there are no nulls)."""
        hit = self._floats.get(name)
        if hit is not None:
            return hit
        found = self.source_floats(name)
        if found is not None:  # as to_floats makes it from the object column, without one
            self._floats[name] = found
            return found
        col = self.column(name, stage)
        if isinstance(col, VectorColumn):
            raise InvalidInput("expected a number, got a vector", column=name, stage=stage)
        out = to_floats(col, name, stage)
        self._floats[name] = out
        return out

    def vectors(self, name: str, stage: str) -> VectorColumn:
        col = self.column(name, stage)
        if isinstance(col, VectorColumn):
            return col
        try:
            vecs = [as_vector(v) for v in col]
            vc = column_from_vectors(vecs)
        except (TypeError, ValueError) as exc:
            raise InvalidInput(f"expected a vector: {exc}", column=name, stage=stage) from exc
        self._cols[name] = vc
        return vc

    def objects(self, name: str, stage: str) -> np.ndarray:
        """The column as an object array (strings, numbers, None)."""
        col = self.column(name, stage)
        if isinstance(col, VectorColumn):
            raise InvalidInput("expected a scalar, got a vector", column=name, stage=stage)
        if col.dtype == object:
            return col
        out = np.empty(col.shape[0], dtype=object)
        out[:] = col.tolist()
        return out

    def string_lists(self, name: str, stage: str) -> np.ndarray:
        """An array<string> column (Arrow list<string>, or Python lists/tuples of str per row):
        an object array of lists of str, None for a null row."""
        col = self.column(name, stage)
        if isinstance(col, VectorColumn) or col.dtype != object:
            raise InvalidInput("expected an array of strings", column=name, stage=stage)
        out = np.empty(len(col), dtype=object)
        for i, v in enumerate(col):
            if v is not None:
                if not isinstance(v, (list, tuple)) or not all(
                        x.__class__ is str or x is None for x in v):
                    raise InvalidInput(f"expected an array of strings, got {brief(v)}",
                                       column=name, stage=stage, row=i)
                v = list(v)
            out[i] = v
        return out

    # ---- mutation by stages --------------------------------------------------------------
    def set(self, name: str, col: Any) -> None:
        self._cols[name] = col
        self._written.add(name)
        self._floats.pop(name, None)
        if self.visible is not None and name not in self.visible:
            self.visible.append(name)
        self.hidden.discard(name)

    def project(self, names: Sequence[str]) -> None:
        """Keep exactly ``names`` (already set by the projecting stage), in this order: the
        source's other columns are no longer readable, and the entry points return these plus
        what later stages add."""
        self._cols = {k: self._cols[k] for k in names}
        self._floats = {k: v for k, v in self._floats.items() if k in self._cols}
        self.visible = list(names)

    def drop(self, names: Sequence[str]) -> None:
        """Remove ``names`` (Spark's ColumnPruner): no longer readable nor returned."""
        for name in names:
            self._cols.pop(name, None)
            self._floats.pop(name, None)
            if self.visible is not None and name in self.visible:
                self.visible.remove(name)
            else:
                self.hidden.add(name)

    def keep(self, mask: np.ndarray) -> None:
        """Drop the rows where ``mask`` is False (Spark's handleInvalid="skip")."""
        index = np.flatnonzero(mask)
        self._cols = {k: _take(v, index) for k, v in self._cols.items()}
        self._floats = {}
        self._row_ids = self._row_ids[index]
        self.n = len(index)

    def outputs(self) -> dict[str, Any]:
        return self._cols


_NUMPY_TYPES = {float: np.float64, int: np.int64, bool: np.bool_}


def _typed(values: list) -> np.ndarray:
    """Row values as one typed array when they are all plain floats, ints or bools (the common,
    fast case); otherwise an object array. ints stay ints: Spark casts 1 and 1.0 to different
    strings."""
    kinds = {type(v) for v in values}
    if len(kinds) == 1:
        dtype = _NUMPY_TYPES.get(kinds.pop())
        if dtype is not None:
            try:
                return np.array(values, dtype=dtype)
            except OverflowError:  # ints beyond int64
                pass
    return object_column(values)


def object_column(values: Sequence[Any]) -> np.ndarray:
    """Values as a 1-D object array, one element each (lists stay lists: a slice assignment
    would broadcast rows of equal-length lists into a 2-D array)."""
    col = np.empty(len(values), dtype=object)
    for i, v in enumerate(values):
        col[i] = v
    return col


def _take(col: Any, index: np.ndarray) -> Any:
    if isinstance(col, (VectorColumn, TokenColumn)):
        return col.take(index)
    return col[index]


def to_floats(col: np.ndarray, name: str, stage: str) -> tuple[np.ndarray, np.ndarray | None]:
    if col.dtype != object:
        if col.dtype.kind in "fiub":
            return col.astype(np.float64, copy=False), None
        raise InvalidInput(f"expected a number, got {col.dtype}", column=name, stage=stage)
    n = col.shape[0]
    out = np.empty(n, dtype=np.float64)
    null = np.zeros(n, dtype=bool)
    for i, v in enumerate(col):
        if v is None:
            null[i] = True
            out[i] = np.nan
        elif isinstance(v, (str, bytes)) or not _is_number(v):
            raise InvalidInput(f"expected a number, got {type(v).__name__} {brief(v)}",
                               column=name, stage=stage, row=i)
        else:
            try:
                out[i] = v
            except (OverflowError, ValueError):  # an int beyond the doubles, a signaling NaN
                raise InvalidInput(f"{brief(v)} is not a double", column=name,
                                   stage=stage, row=i) from None
    return out, (null if null.any() else None)


def _is_number(v: Any) -> bool:
    """Python and NumPy numbers and booleans, and Decimals (Spark's DecimalType is numeric)."""
    return isinstance(v, (int, float, np.number, np.bool_, Decimal))


def _is_plain_number(t: pa.DataType) -> bool:
    """Arrow integers, float32/64 and booleans: types whose values NumPy holds exactly as
    ``to_pylist`` gives them (not decimals, not float16)."""
    return (pa.types.is_integer(t) or pa.types.is_boolean(t) or pa.types.is_float32(t)
            or pa.types.is_float64(t))


def _from_arrow(arr: pa.ChunkedArray, name: str, stage: str | None) -> Any:
    t = arr.type
    if is_vector_struct(t):
        try:
            return VectorColumn.from_arrow(arr)
        except ValueError:
            try:
                vectors = [vector_from_struct(item) for item in arr.to_pylist()]
            except ValueError as exc:  # a malformed sparse vector
                raise InvalidInput(f"expected a vector: {exc}", column=name, stage=stage) from exc
            # Mixed sizes: keep the row vectors (as the row path does) so a stage that filters
            # by size (VectorSizeHint "skip") can run first; batch.vectors() still raises.
            return object_column(vectors)
    if (pa.types.is_floating(t) or pa.types.is_integer(t) or pa.types.is_boolean(t)) and (
        arr.null_count == 0
    ):
        return arr.to_numpy()
    return object_column(arr.to_pylist())  # strings, nulls, lists (Arrow list columns)
