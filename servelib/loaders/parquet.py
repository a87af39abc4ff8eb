"""Direct pyarrow reads of a stage's ``data/`` Parquet, and Spark's UDT structs to NumPy.

Every part file is read (Spark may write several) and columns are read by name, since column
order and the number of parts differ between Spark versions. Before a part is decoded its footer
is checked against LoadLimits (rows, uncompressed bytes), and every vector and matrix struct is
checked for shape before it becomes an array.
VectorUDT layout (org.apache.spark.ml.linalg.VectorUDT): struct<type: byte (0 sparse, 1 dense),
size, indices, values>. MatrixUDT layout (org.apache.spark.ml.linalg.MatrixUDT): struct<type:
byte (0 sparse, 1 dense), numRows, numCols, colPtrs, rowIndices, values, isTransposed>; values
are column-major unless isTransposed; a sparse matrix is CSC (CSR when transposed), checked as
Spark's SparseMatrix constructor checks it (colPtrs has one entry per column plus one, starts
at 0, never decreases, ends at the number of values).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from servelib.errors import ModelLoadError
from servelib.loaders.fs import ModelFS
from servelib.loaders.params import BadValue, as_int, floats, ints, show


def read_data(mfs: ModelFS, stage_path: str, folder: str = "data") -> pa.Table:
    data_dir = mfs.join(stage_path, folder)
    if not mfs.is_dir(data_dir):
        raise ModelLoadError(f"saved model has no {folder}/ directory", stage_path)
    parts = [n for n in mfs.list(data_dir) if n.endswith(".parquet")]
    if not parts:
        raise ModelLoadError(f"{folder}/ holds no Parquet part file", data_dir)
    limits = mfs.limits
    tables, rows, size = [], 0, 0
    for name in parts:
        path = mfs.join(data_dir, name)
        mfs.check_size(path)
        try:  # ParquetFile, not read_table: that goes through pyarrow.dataset, whose import
            # pulls in pandas (~0.7 s on the first load of a process)
            with mfs.fs.open_input_file(path) as handle:
                part = pq.ParquetFile(handle)
                meta = part.metadata
                rows += meta.num_rows
                size += sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
                if rows > limits.max_rows:
                    raise ModelLoadError(f"{folder}/ holds more than LoadLimits.max_rows "
                                         f"({limits.max_rows}) rows", path)
                if size > limits.max_data_bytes:
                    raise ModelLoadError(f"{folder}/ declares more than LoadLimits."
                                         f"max_data_bytes ({limits.max_data_bytes})", path)
                table = part.read()
                table.validate(full=True)  # e.g. string columns that are not UTF-8
                tables.append(table)
        except (pa.ArrowException, OSError, ValueError, TypeError, IndexError) as exc:
            raise ModelLoadError(f"corrupt Parquet file: {exc}", path) from exc
    nonempty = [t for t in tables if t.num_rows] or tables[:1]
    try:
        return pa.concat_tables(nonempty, promote_options="permissive")
    except pa.ArrowException as exc:
        raise ModelLoadError(f"Parquet parts disagree: {exc}", data_dir) from exc


def single_row(table: pa.Table, path: str) -> dict[str, Any]:
    """The one row most model data files hold, as Python values."""
    if table.num_rows != 1:
        raise ModelLoadError(f"expected one data row, found {table.num_rows}", path)
    return {name: table.column(name)[0].as_py() for name in table.column_names}


def _struct(item: Any, keys: tuple[str, ...]) -> Mapping[str, Any]:
    if not isinstance(item, Mapping) or not set(keys) <= item.keys():
        raise BadValue(f"expected a struct with fields {list(keys)}, got {show(item)}")
    if item["type"] not in (0, 1) or isinstance(item["type"], bool):
        raise BadValue(f"type must be 0 (sparse) or 1 (dense), got {show(item['type'])}")
    return item


def vector_parts(item: Any, limit: int) -> tuple[np.ndarray, np.ndarray | None]:
    """A VectorUDT struct -> (dense float64 values, stored indices or None when dense);
    BadValue when it is not a well-formed vector of at most ``limit`` entries."""
    if item is None:
        raise BadValue("null vector")
    item = _struct(item, ("type", "size", "indices", "values"))
    values = floats(item["values"], limit)
    if item["type"] == 1:
        return values, None
    size = as_int(item["size"], 0, limit)
    indices = ints(item["indices"], limit, 0, size - 1)
    if indices.shape != values.shape:
        raise BadValue(f"sparse vector has {len(indices)} indices but {len(values)} values")
    if indices.size and not (np.diff(indices) > 0).all():
        raise BadValue("sparse vector indices are not strictly increasing")
    dense = np.zeros(size, dtype=np.float64)
    dense[indices] = values
    return dense, indices


def matrix_parts(item: Any, limit: int) -> tuple[np.ndarray, np.ndarray | None]:
    """A MatrixUDT struct -> (dense (numRows, numCols) float64, stored pattern or None when
    dense); BadValue when it is not a well-formed matrix of at most ``limit`` entries."""
    if item is None:
        raise BadValue("null matrix")
    item = _struct(item, ("type", "numRows", "numCols", "colPtrs", "rowIndices", "values",
                          "isTransposed"))
    rows, cols = as_int(item["numRows"], 0, limit), as_int(item["numCols"], 0, limit)
    if rows * cols > limit:
        raise BadValue(f"{rows} x {cols} matrix exceeds the limit of {limit} entries")
    values = floats(item["values"], limit)
    transposed = bool(item["isTransposed"])
    if item["type"] == 1:
        if values.shape[0] != rows * cols:
            raise BadValue(f"dense {rows} x {cols} matrix has {values.shape[0]} values")
        if transposed:
            return values.reshape(rows, cols).copy(), None
        return values.reshape(cols, rows).T.copy(), None
    outer, inner = (rows, cols) if transposed else (cols, rows)
    ptrs = ints(item["colPtrs"], limit, 0)
    idx = ints(item["rowIndices"], limit, 0, inner - 1)
    if ptrs.shape[0] != outer + 1 or ptrs[0] != 0 or (np.diff(ptrs) < 0).any():
        raise BadValue(f"sparse {rows} x {cols} matrix has malformed colPtrs")
    if not ptrs[-1] == idx.shape[0] == values.shape[0]:
        raise BadValue(f"sparse matrix colPtrs end at {ptrs[-1]} with {idx.shape[0]} indices "
                       f"and {values.shape[0]} values")
    out = np.zeros((outer, inner), dtype=np.float64)
    stored = np.zeros((outer, inner), dtype=bool)
    owner = np.repeat(np.arange(outer), np.diff(ptrs))
    out[owner, idx] = values
    stored[owner, idx] = True
    if not transposed:
        out, stored = out.T.copy(), stored.T.copy()
    return out, (None if stored.all() else stored)
