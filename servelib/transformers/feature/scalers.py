"""Vector scalers: StandardScalerModel, MaxAbsScalerModel, RobustScalerModel, MinMaxScalerModel.

https://github.com/apache/spark/blob/v3.5.0/mllib/src/main/scala/org/apache/spark/ml/feature/StandardScaler.scala
https://github.com/apache/spark/blob/v3.5.0/mllib/src/main/scala/org/apache/spark/ml/feature/MaxAbsScaler.scala
https://github.com/apache/spark/blob/v3.5.0/mllib/src/main/scala/org/apache/spark/ml/feature/RobustScaler.scala
https://github.com/apache/spark/blob/v3.5.0/mllib/src/main/scala/org/apache/spark/ml/feature/MinMaxScaler.scala

Standard, MaxAbs and Robust all run ``StandardScalerModel.getTransformFunc(shift, scale, ...)``:
Spark precomputes ``scale = 1/std`` (0.0 where std == 0; MaxAbs uses 1.0 where maxAbs == 0,
Robust 0.0 where range == 0) and MULTIPLIES, so we precompute the same factors at load time.

* shift and scale: ``(x - shift) * scale``, always a DenseVector;
* shift only: ``x - shift``, always a DenseVector;
* scale only: a DenseVector stays dense, a SparseVector stays sparse and only its stored entries
  are multiplied (an unstored zero stays 0 even where scale is NaN or inf);
* neither: the input vector itself (a null vector passes through as null).
The loops run over the input's own length, so Spark scores a vector SHORTER than the model
(using the first factors) and fails on a longer one (a sparse one only if an entry lies beyond).
Any other null vector makes the UDF fail.

MinMax: ``(x - originalMin) * (scale / range) + min``, or ``(min + max) / 2`` where range == 0;
NaN stays NaN; the result is ``Vectors.dense(...).compressed``, whose dense/sparse threshold
differs between Spark 3 and 4 (``spark4_compress``, set by the loader from the writer's version).
Sizes must match; a null vector fails.
Every output column carries an attribute group of the model's size (updateAttributeGroupSize).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from servelib.sparse_column import CsrColumn
from servelib.transformers.attributes import AttributeGroup, Attrs
from servelib.transformers.base import (
    ABSENT,
    OnlineTransformer,
    RowKernel,
    Scored,
    invalid,
)
from servelib.transformers.batch import Batch
from servelib.vectors import (
    EntriesVector,
    VectorColumn,
    compressed_row_is_sparse,
    row_vector,
    vector_of_row,
)


@dataclass(frozen=True)
class _VectorScaler(OnlineTransformer):
    input_col: str = ""
    output_col: str = ""
    num_features: int = 0

    def input_columns(self) -> Sequence[str]:
        return (self.input_col,)

    def output_columns(self) -> Sequence[str]:
        return (self.output_col,)

    def output_attributes(self, attrs: Attrs) -> Attrs:
        return {self.output_col: AttributeGroup(size=self.num_features)}

    def _no_nulls(self, col: VectorColumn, batch: Batch) -> None:
        if col.null is not None and col.null.any():
            raise invalid("null vector (Spark's scaler UDF fails on null)", self, self.input_col,
                          batch, int(np.argmax(col.null)))

    def _wrong_size(self, col: VectorColumn, batch: Batch, rows: np.ndarray) -> Exception:
        return invalid(f"vector of size {col.size}, but the model has {self.num_features} "
                       "features", self, self.input_col, batch, int(np.flatnonzero(rows)[0]))


@dataclass(frozen=True)
class _ShiftScale(_VectorScaler):
    """Spark's StandardScalerModel.getTransformFunc, shared by three models."""

    shift: np.ndarray | None = field(default=None, compare=False)  # None: no centering
    scale: np.ndarray | None = field(default=None, compare=False)  # None: no scaling
    scale_finite: bool = True  # else unstored zeros of sparse rows need care (0 * inf = NaN)

    def score_columns(self, batch: Batch) -> Scored:
        col = batch.vectors(self.input_col, self.name)
        if self.shift is None and self.scale is None:
            return Scored({self.output_col: col})
        self._no_nulls(col, batch)
        size, n = col.size, len(col)
        if isinstance(col, CsrColumn) and self.shift is None and size == self.num_features:
            return Scored({self.output_col: col.scaled(self.scale)})  # stored entries only
        if size > self.num_features and n:
            # Spark indexes shift/scale by position: only sparse rows without entries beyond the
            # model's size survive, and only when there is no shift.
            if self.shift is not None:
                bad = np.ones(n, dtype=bool)
            else:
                bad = ~col.sparse | (col.dense[:, self.num_features:] != 0).any(axis=1)
            if bad.any():
                raise self._wrong_size(col, batch, bad)
            dense = col.dense[:, : self.num_features]
        else:
            dense = col.dense
        shift, scale = self.shift, self.scale
        if dense.shape[1] != self.num_features:  # a shorter input uses the first factors
            shift = None if shift is None else shift[: dense.shape[1]]
            scale = None if scale is None else scale[: dense.shape[1]]
        with np.errstate(over="ignore", invalid="ignore"):  # IEEE results, as on the JVM
            if shift is not None:
                out = dense - shift
                if scale is not None:
                    out *= scale
                return Scored({self.output_col: VectorColumn.of_dense(out)})
            out = dense * scale
        if not self.scale_finite and col.sparse.any():
            sp = col.sparse
            out[sp] = np.where(dense[sp] != 0, out[sp], 0.0)
        if size > self.num_features:  # sparse rows of the input's size, zeros beyond the model
            out = np.concatenate([out, np.zeros((n, size - self.num_features))], axis=1)
        return Scored({self.output_col: VectorColumn(out, col.sparse.copy())})

    def row_kernel(self) -> RowKernel:
        """Any vector (null too) when there is no shift and no scale; else a non-null vector of
        at most the model's size, or a longer sparse one with nothing stored past it (scale
        only). Null and longer vectors Spark fails on take score_columns."""
        src, dst, n = self.input_col, self.output_col, self.num_features
        if self.shift is None and self.scale is None:
            def identity(values: dict) -> bool:
                v = values.get(src, ABSENT)
                if v is None:
                    values[dst] = None  # the null vector passes through
                    return True
                got = row_vector(v)
                if got is None:
                    return False
                values[dst] = v if v.__class__ is EntriesVector else vector_of_row(*got)
                return True

            return identity
        # zip() stops at the shorter list: a shorter input uses the first factors, as batch
        scale = None if self.scale is None else self.scale.tolist()
        if self.shift is not None:
            shift = self.shift.tolist()

            def center(values: dict) -> bool:
                got = row_vector(values.get(src, ABSENT))
                if got is None or len(got[0]) > n:
                    return False
                if scale is None:
                    out = [x - m for x, m in zip(got[0], shift)]
                else:
                    out = [(x - m) * c for x, m, c in zip(got[0], shift, scale)]
                values[dst] = vector_of_row(out, False)  # always dense
                return True

            return center
        finite = self.scale_finite

        def rescale(values: dict) -> bool:
            got = row_vector(values.get(src, ABSENT))
            if got is None:
                return False
            vec, sparse = got
            if sparse and not finite:  # an unstored zero is never multiplied (0 * inf)
                out = [x * c if x != 0.0 else 0.0 for x, c in zip(vec, scale)]
            else:
                out = [x * c for x, c in zip(vec, scale)]
            if len(vec) > n:  # only a sparse row with nothing stored past the model passes
                if not sparse or any(x != 0.0 for x in vec[n:]):
                    return False
                out += [0.0] * (len(vec) - n)
            values[dst] = vector_of_row(out, sparse)
            return True

        return rescale


@dataclass(frozen=True)
class StandardScalerModel(_ShiftScale):
    spark_class: ClassVar[str] = "org.apache.spark.ml.feature.StandardScalerModel"


@dataclass(frozen=True)
class MaxAbsScalerModel(_ShiftScale):
    spark_class: ClassVar[str] = "org.apache.spark.ml.feature.MaxAbsScalerModel"


@dataclass(frozen=True)
class RobustScalerModel(_ShiftScale):
    spark_class: ClassVar[str] = "org.apache.spark.ml.feature.RobustScalerModel"


@dataclass(frozen=True)
class MinMaxScalerModel(_VectorScaler):
    spark_class: ClassVar[str] = "org.apache.spark.ml.feature.MinMaxScalerModel"

    original_min: np.ndarray = field(default_factory=lambda: np.zeros(0), compare=False)
    scale: np.ndarray = field(default_factory=lambda: np.zeros(0), compare=False)
    constant: np.ndarray = field(  # indices of the features whose scale is 0
        default_factory=lambda: np.zeros(0, np.intp), compare=False
    )
    min: float = 0.0
    constant_output: float = 0.5  # (min + max) / 2
    spark4_compress: bool = False  # Spark 4 changed Vector.compressed's dense/sparse threshold

    def score_columns(self, batch: Batch) -> Scored:
        col = batch.vectors(self.input_col, self.name)
        self._no_nulls(col, batch)
        if len(col) == 0:
            empty = VectorColumn.of_dense(np.zeros((0, self.num_features)))
            return Scored({self.output_col: empty})
        if col.size != self.num_features:
            raise self._wrong_size(col, batch, np.ones(len(col), dtype=bool))
        x = col.dense
        with np.errstate(over="ignore", invalid="ignore"):  # IEEE results, as on the JVM
            out = (x - self.original_min) * self.scale + self.min  # NaN stays NaN
        if self.constant.size:  # constant features: (min + max) / 2 unless NaN
            sub = x[:, self.constant]
            out[:, self.constant] = np.where(np.isnan(sub), sub, self.constant_output)
        return Scored({self.output_col: VectorColumn.compressed(out, spark4=self.spark4_compress)})

    def row_kernel(self) -> RowKernel:
        """A non-null vector of the model's size; null and other sizes take score_columns."""
        src, dst, n = self.input_col, self.output_col, self.num_features
        factors = tuple(zip(self.original_min.tolist(), self.scale.tolist()))
        lo, middle = float(self.min), float(self.constant_output)
        constant = self.constant.tolist()
        spark4 = self.spark4_compress

        def rescale(values: dict) -> bool:
            got = row_vector(values.get(src, ABSENT))
            if got is None or len(got[0]) != n:
                return False
            vec = got[0]
            out = [(x - m) * s + lo for x, (m, s) in zip(vec, factors)]
            for j in constant:  # (min + max) / 2 unless NaN
                x = vec[j]
                out[j] = x if x != x else middle
            values[dst] = vector_of_row(out, compressed_row_is_sparse(out, spark4))
            return True

        return rescale
