"""Direct pyarrow reads of a stage's ``data/`` Parquet, and Spark's UDT structs to NumPy.

Every part file is read (Spark may write several) and columns are read by name, since column
order and the number of parts differ between Spark versions.
MatrixUDT layout (org.apache.spark.ml.linalg.MatrixUDT): struct<type: byte (0 sparse, 1 dense),
numRows, numCols, colPtrs, rowIndices, values, isTransposed>; values are column-major unless
isTransposed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from servelib.errors import ModelLoadError
from servelib.loaders.fs import ModelFS
from servelib.vectors import vector_from_struct


def read_data(mfs: ModelFS, stage_path: str, folder: str = "data") -> pa.Table:
    data_dir = mfs.join(stage_path, folder)
    if not mfs.is_dir(data_dir):
        raise ModelLoadError(f"saved model has no {folder}/ directory", stage_path)
    parts = [n for n in mfs.list(data_dir) if n.endswith(".parquet")]
    if not parts:
        raise ModelLoadError(f"{folder}/ holds no Parquet part file", data_dir)
    tables = []
    for name in parts:
        path = mfs.join(data_dir, name)
        try:  # ParquetFile, not read_table: that goes through pyarrow.dataset, whose import
            # pulls in pandas (~0.7 s on the first load of a process)
            with mfs.fs.open_input_file(path) as handle:
                tables.append(pq.ParquetFile(handle).read())
        except (pa.ArrowException, OSError) as exc:
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


def field(row: Mapping[str, Any], name: str, path: str) -> Any:
    if name not in row:
        raise ModelLoadError(f"data file lacks column {name!r} (has {sorted(row)})", path)
    return row[name]


def to_vector(item: Mapping[str, Any] | None, path: str) -> np.ndarray:
    """A VectorUDT struct as a dense float64 array."""
    vec = vector_from_struct(item)
    if vec is None:
        raise ModelLoadError("null vector in model data", path)
    return vec.toArray().astype(np.float64, copy=True)


def to_matrix(item: Mapping[str, Any] | None, path: str) -> np.ndarray:
    """A MatrixUDT struct as a dense (numRows, numCols) float64 array."""
    if item is None:
        raise ModelLoadError("null matrix in model data", path)
    rows, cols = item["numRows"], item["numCols"]
    values = np.asarray(item["values"] or [], dtype=np.float64)
    transposed = bool(item.get("isTransposed"))
    if item["type"] == 1:
        if transposed:
            return values.reshape(rows, cols).copy()
        return values.reshape(cols, rows).T.copy()
    # sparse: CSC (or CSR when transposed) with colPtrs / rowIndices
    out = np.zeros((rows, cols), dtype=np.float64)
    ptrs = item["colPtrs"] or []
    idx = item["rowIndices"] or []
    outer = rows if transposed else cols
    for j in range(outer):
        for k in range(ptrs[j], ptrs[j + 1]):
            if transposed:
                out[j, idx[k]] = values[k]
            else:
                out[idx[k], j] = values[k]
    return out
