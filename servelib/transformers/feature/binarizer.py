"""Binarizer: 1.0 where a value is above the threshold, else 0.0; doubles or vectors.

https://github.com/apache/spark/blob/v3.5.0/mllib/src/main/scala/org/apache/spark/ml/feature/Binarizer.scala
Doubles: Spark 4 computes ``when(!isNaN(x) && x > t, 1.0).otherwise(0.0)``, so null and NaN give
0.0; Spark 3.5 ran a UDF over a primitive double, so null gives null there (``null_gives_null``).
Vectors: a UDF over the non-zero entries (NaN counts as non-zero); the result is compressed with
the output's non-zero count, so its dense/sparse form follows Spark's ``compressed`` rule. A null
vector makes Spark's UDF fail.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from servelib.transformers.base import (
    ABSENT,
    OnlineTransformer,
    RowKernel,
    Scored,
    invalid,
)
from servelib.transformers.batch import Batch
from servelib.vectors import VectorColumn, compressed_row_is_sparse, row_vector, vector_of_row


@dataclass(frozen=True)
class Binarizer(OnlineTransformer):
    spark_class: ClassVar[str] = "org.apache.spark.ml.feature.Binarizer"

    input_cols: tuple[str, ...] = ()
    output_cols: tuple[str, ...] = ()
    thresholds: tuple[float, ...] = ()
    null_gives_null: bool = False  # Spark < 4.0
    spark4: bool = True  # Spark 4's dense/sparse rule for the compressed vector output

    def input_columns(self) -> Sequence[str]:
        return self.input_cols

    def output_columns(self) -> Sequence[str]:
        return self.output_cols

    def score_columns(self, batch: Batch) -> Scored:
        out = {}
        for src, dst, td in zip(self.input_cols, self.output_cols, self.thresholds):
            col = batch.column(src, self.name)
            if isinstance(col, VectorColumn) or (col.dtype == object and _holds_vectors(col)):
                out[dst] = self._vectors(batch.vectors(src, self.name), td, src, batch)
            else:
                values, null = batch.floats(src, self.name)
                result = (values > td).astype(np.float64)  # NaN > t is False
                if null is not None and self.null_gives_null:
                    result = result.astype(object)
                    result[null] = None
                out[dst] = result
        return Scored(out)

    def row_kernel(self) -> RowKernel:
        """Numbers (floats, ints, booleans, NumPy numbers), nulls and non-null vectors (ours,
        lists, JSON dicts); a null vector and other types take score_columns."""
        plan = tuple(zip(self.input_cols, (float(t) for t in self.thresholds)))
        outputs = self.output_cols
        null_out = None if self.null_gives_null else 0.0  # Spark 4: a null is NaN, NaN > t false
        spark4 = self.spark4

        def binarize(values: dict) -> bool:
            out: list = []  # written after all are read, as the batch path does
            for src, td in plan:
                x = values.get(src, ABSENT)
                cls = x.__class__
                if cls is float:
                    out.append(1.0 if x > td else 0.0)  # NaN > t is False
                elif cls is int or cls is bool or isinstance(x, (np.floating, np.integer)):
                    try:
                        out.append(1.0 if float(x) > td else 0.0)  # compared as a double
                    except OverflowError:
                        return False
                elif x is None:
                    out.append(null_out)
                else:
                    got = row_vector(x)
                    if got is None:
                        return False
                    if td >= 0:
                        vec = [1.0 if v > td else 0.0 for v in got[0]]
                    else:  # only stored (non-zero) entries are compared
                        vec = [0.0 if v != 0.0 and v <= td else 1.0 for v in got[0]]
                    out.append(vector_of_row(vec, compressed_row_is_sparse(vec, spark4)))
            for dst, value in zip(outputs, out):
                values[dst] = value
            return True

        return binarize

    def _vectors(self, col: VectorColumn, td: float, src: str, batch: Batch) -> VectorColumn:
        if col.null is not None and col.null.any():
            raise invalid("null vector (Spark's Binarizer UDF fails on null)", self, src, batch,
                          int(np.argmax(col.null)))
        dense = col.dense
        if td >= 0:
            result = (dense > td).astype(np.float64)
        else:
            result = np.where((dense != 0) & (dense <= td), 0.0, 1.0)
        return VectorColumn.compressed(result, spark4=self.spark4)


def _holds_vectors(col: np.ndarray) -> bool:
    return any(v is not None and not isinstance(v, (int, float, np.number)) for v in col)
