"""ImputerModel: replace null and ``missingValue`` by a per-column surrogate, cast back to the
input column's type.

https://github.com/apache/spark/blob/v3.5.0/mllib/src/main/scala/org/apache/spark/ml/feature/Imputer.scala
Spark computes, per column, ``when(ic.isNull, s).when(ic === missingValue, s).otherwise(ic)
.cast(inputType)`` with ``ic = col.cast(double)``. So:

* null is always imputed; with the default missingValue NaN, NaN is imputed too (Spark SQL's
  ``NaN = NaN`` is true); with another missingValue, NaN passes through unchanged;
* the comparison is in double: a float column's 0.1f does not equal missingValue 0.1;
* the output has the input's type: a float column gets the surrogate rounded to float, integer
  columns get it truncated toward zero, and longs beyond 2**53 lose precision through double.

The output type needs the input's Spark type. An Arrow table carries it; row dicts do not: a
column declared with :meth:`ImputerModel.with_input_types` has the declared type, any other row
column is a double column (a JSON number's type), whatever Python type its values have. One row
and a list of rows therefore always agree (``3`` imputes to ``3.0`` alone and in a list; declare
``{"age": "integer"}`` for integer outputs). Python ints and NumPy scalars are numbers (an int
beyond the doubles is refused); booleans, strings and vectors are rejected (Spark's
checkNumericType).
"""

from __future__ import annotations

import math
import struct
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, ClassVar

import numpy as np
import pyarrow as pa

from servelib.errors import InvalidInput
from servelib.transformers.base import ABSENT, OnlineTransformer, RowKernel, Scored
from servelib.transformers.batch import Batch, brief
from servelib.vectors import VectorColumn

# Spark SQL simple type names (as in a schema's JSON) -> NumPy dtype of the column.
SPARK_TYPES: dict[str, np.dtype] = {
    "double": np.dtype(np.float64),
    "float": np.dtype(np.float32),
    "long": np.dtype(np.int64),
    "integer": np.dtype(np.int32),
    "short": np.dtype(np.int16),
    "byte": np.dtype(np.int8),
}
_DOUBLE = SPARK_TYPES["double"]
_FLOAT = SPARK_TYPES["float"]
_NUMBERS = (int, float, np.integer, np.floating)
_NAMES = {dtype: name for name, dtype in SPARK_TYPES.items()}
# [min, max + 1) of each integer type, exact in float64 (powers of two)
_BOUNDS = {d: (float(np.iinfo(d).min), -float(np.iinfo(d).min)) for d in SPARK_TYPES.values()
           if d.kind == "i"}
_F32 = struct.Struct("f")


@dataclass(frozen=True)
class ImputerModel(OnlineTransformer):
    spark_class: ClassVar[str] = "org.apache.spark.ml.feature.ImputerModel"

    input_cols: tuple[str, ...] = ()
    output_cols: tuple[str, ...] = ()
    surrogates: tuple[float, ...] = ()
    missing_value: float = math.nan
    declared: tuple[np.dtype | None, ...] = ()  # per input column, from with_input_types

    def input_columns(self) -> Sequence[str]:
        return self.input_cols

    def output_columns(self) -> Sequence[str]:
        return self.output_cols

    def with_input_types(self, types: Mapping[str, str]) -> ImputerModel:
        """Declare the Spark types of input columns (``{"age": "integer"}``) for row input."""
        declared = []
        for src, old in zip(self.input_cols, self.declared or (None,) * len(self.input_cols)):
            name = types.get(src)
            if name is not None and name not in SPARK_TYPES:
                raise ValueError(f"column {src!r}: Spark's Imputer does not take type {name!r}")
            declared.append(SPARK_TYPES[name] if name is not None else old)
        return replace(self, declared=tuple(declared))

    def score_columns(self, batch: Batch) -> Scored:
        out = {}
        mv = self.missing_value
        mv_nan = math.isnan(mv)
        declared = self.declared or (None,) * len(self.input_cols)
        columns = zip(self.input_cols, self.output_cols, self.surrogates, declared)
        for src, dst, sur, dec in columns:
            x, null, dtype, in_range = self._read(batch, src, dec)
            if dtype is _FLOAT:
                with np.errstate(over="ignore"):
                    x = x.astype(np.float32).astype(np.float64)  # the value a float column holds
            if mv_nan:
                missing = np.isnan(x)  # null rows are NaN in x; Spark SQL: NaN = NaN
            else:
                missing = x == mv
                if null is not None:
                    missing |= null
            result = np.where(missing, sur, x)
            if dtype.kind == "i":
                self._check_range(result, dtype, src, sur, in_range)
            if dtype is not _DOUBLE:
                with np.errstate(over="ignore"):  # a double beyond float32 is inf, as in Spark
                    result = result.astype(dtype)  # ints: truncated (in range: checked above)
            out[dst] = result
        return Scored(out)

    def row_kernel(self) -> RowKernel:
        """Nulls, NaN, floats, ints and NumPy numbers imputed in plain Python for every column
        type; booleans, other types and results that do not fit an integer column (errors on
        the batch path) are declined."""
        declared = self.declared or (None,) * len(self.input_cols)
        plan = tuple((src, dst, sur, d or _DOUBLE) for src, dst, sur, d
                     in zip(self.input_cols, self.output_cols, self.surrogates, declared))
        plan = tuple((src, dst, sur, dtype is _FLOAT, _BOUNDS.get(dtype))
                     for src, dst, sur, dtype in plan)
        mv = self.missing_value
        mv_nan = math.isnan(mv)

        def impute(values: dict) -> bool:
            for src, dst, sur, single, bounds in plan:
                x = values.get(src, ABSENT)
                cls = x.__class__
                if x is None:
                    result = sur  # null is always imputed
                else:
                    if cls is not float:
                        if cls is bool or not isinstance(x, _NUMBERS):
                            return False  # the batch path names the bad value
                        try:
                            x = float(x)  # compared and imputed in double, as Spark does
                        except OverflowError:
                            return False
                    if single:
                        x = _as_float32(x)  # the value a float column holds
                        if x is None:
                            return False
                    result = sur if (x != x if mv_nan else x == mv) else x
                if single:
                    result = _as_float32(result)
                    if result is None:
                        return False
                elif bounds is not None:  # cast back to the integer type: truncated
                    if not bounds[0] <= result < bounds[1]:
                        return False
                    result = int(result)
                values[dst] = result
            return True

        return impute

    def _read(self, batch: Batch, src: str, declared: np.dtype | None):
        """Values as float64 (NaN where null), the null mask, the column's dtype, and whether
        the values are known to fit it."""
        source = batch.source_type(src)
        if source is not None and (pa.types.is_floating(source) or
                                   pa.types.is_signed_integer(source)):
            found = batch.source_floats(src)  # an Arrow column with nulls, read column-wise
            if found is not None:
                x, null = found
                return x, null, _arrow_dtype(source, src, self.name), True
        col = batch.column(src, self.name)
        if isinstance(col, VectorColumn):
            raise InvalidInput("expected a number, got a vector", column=src, stage=self.name)
        rows = batch.from_request_rows(src)
        if col.dtype != object:
            dtype = SPARK_TYPES.get(_NAMES.get(col.dtype, ""))
            if dtype is None:
                raise InvalidInput(f"Spark's Imputer takes numeric columns, got {col.dtype}",
                                   column=src, stage=self.name)
            if rows:
                dtype = declared or _DOUBLE
            fits = col.dtype.kind == "i" and col.dtype.itemsize <= dtype.itemsize
            return col.astype(np.float64, copy=False), None, dtype, fits
        x, null, seen = _objects_to_floats(col, src, self.name)
        source = batch.source_type(src)
        if source is not None:
            return x, null, _arrow_dtype(source, src, self.name), True
        if rows:
            dtype = declared or _DOUBLE
        elif float in seen:  # a stage's output column with nulls
            dtype = _DOUBLE
        elif np.float32 in seen:
            dtype = _FLOAT
        elif int in seen:
            dtype = SPARK_TYPES["long"]
        else:
            dtype = _DOUBLE
        return x, null, dtype, False

    def _check_range(self, result, dtype, src: str, surrogate: float, in_range: bool) -> None:
        # Only row input can put NaN or out-of-range values in an integer column; Spark could
        # not even build that DataFrame.
        lo, hi = _BOUNDS[dtype]
        if in_range and lo <= surrogate < hi:
            return
        ok = (result >= lo) & (result < hi)  # False for NaN
        if not ok.all():
            bad = result[np.argmin(ok)]
            raise InvalidInput(f"{bad!r} does not fit a {dtype} column", column=src,
                               stage=self.name)


def _objects_to_floats(col: np.ndarray, src: str, stage: str) -> tuple[np.ndarray, Any, set]:
    n = col.shape[0]
    x = np.empty(n, dtype=np.float64)
    null = np.zeros(n, dtype=bool)
    seen: set = set()
    for i, v in enumerate(col):
        if v is None:
            null[i] = True
            x[i] = np.nan
            continue
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, _NUMBERS):
            raise InvalidInput(f"expected a number, got {type(v).__name__} {brief(v)}",
                               column=src, stage=stage, row=i)
        seen.add(np.float32 if isinstance(v, np.float32) else
                 int if isinstance(v, (int, np.integer)) else float)
        try:
            x[i] = v
        except OverflowError:  # an int beyond the doubles
            raise InvalidInput(f"{brief(v)} is too large for a double", column=src, stage=stage,
                               row=i) from None
    return x, (null if null.any() else None), seen


def _as_float32(x: float) -> float | None:
    """``x`` rounded to float32 as NumPy's cast rounds it; None where it overflows to inf (the
    rare case left to the batch path)."""
    try:
        return _F32.unpack(_F32.pack(x))[0]
    except OverflowError:
        return None


def _arrow_dtype(t: pa.DataType, src: str, stage: str) -> np.dtype:
    if pa.types.is_floating(t) or pa.types.is_signed_integer(t):
        dtype = SPARK_TYPES.get(_NAMES.get(np.dtype(t.to_pandas_dtype()), ""))
        if dtype is not None:
            return dtype
    raise InvalidInput(f"Spark's Imputer takes numeric columns, got {t}", column=src, stage=stage)
