"""PCAModel: project a vector onto the k principal components.

https://github.com/apache/spark/blob/v3.5.0/mllib/src/main/scala/org/apache/spark/ml/feature/PCA.scala
https://github.com/apache/spark/blob/v3.5.0/mllib-local/src/main/scala/org/apache/spark/ml/linalg/BLAS.scala
(the same in v4.0.0). transform is ``pc.transpose.multiply(v)``: ``gemv(1.0, pcT, v, 0.0, y)``,
so output slot ``j`` is ``sum_i pc[i, j] * v[i]`` then ``* 1.0 + 0.0 * y`` (which turns a -0.0
sum into 0.0). A sparse row adds the products of its stored entries in index order; a dense row
goes to BLAS ``dgemv("T")`` whose grouping of the additions depends on the BLAS Spark loaded, so
our left-to-right sum agrees with it to rounding. The output is always dense. A null row and a
size other than the number of rows of ``pc`` fail (gemv's size check).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from servelib.transformers.attributes import AttributeGroup, Attrs
from servelib.transformers.base import ABSENT, OnlineTransformer, RowKernel, Scored, invalid
from servelib.transformers.batch import Batch
from servelib.transformers.classification.common import compile_linear
from servelib.vectors import VectorColumn, row_values, vector_of_row


@dataclass(frozen=True)
class PCAModel(OnlineTransformer):
    spark_class: ClassVar[str] = "org.apache.spark.ml.feature.PCAModel"

    input_col: str = ""
    output_col: str = ""
    pc: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)), compare=False)  # (d, k)

    def input_columns(self) -> Sequence[str]:
        return (self.input_col,)

    def output_columns(self) -> Sequence[str]:
        return (self.output_col,)

    def output_attributes(self, attrs: Attrs) -> Attrs:
        return {self.output_col: AttributeGroup(self.pc.shape[1])}

    def score_columns(self, batch: Batch) -> Scored:
        col = batch.vectors(self.input_col, self.name)
        d, k = self.pc.shape
        if col.null is not None and col.null.any():
            raise invalid("null vector (Spark's PCAModel UDF fails on null)", self,
                          self.input_col, batch, int(np.argmax(col.null)))
        if len(col) and col.size != d:
            raise invalid(f"vector of size {col.size} but the principal components have {d} "
                          "rows (Spark: gemv size mismatch)", self, self.input_col, batch, 0)
        out = np.zeros((len(col), k))
        if d and len(col):
            prod = col.dense[:, None, :] * self.pc.T  # (rows, k, d)
            if col.sparse.any():  # unstored entries take no part (NaN/inf components)
                skip = col.sparse[:, None] & (col.dense == 0.0)
                prod = np.where(skip[:, None, :], 0.0, prod)
            with np.errstate(all="ignore"):
                out = np.add.accumulate(prod, axis=2)[:, :, -1] + 0.0
        return Scored({self.output_col: VectorColumn.of_dense(out)})

    def row_kernel(self) -> RowKernel | None:
        """Finite components over a non-null row of the right size (straight-line sums);
        NaN results and anything else take score_columns."""
        if not np.isfinite(self.pc).all():
            return None
        d, k = self.pc.shape
        linear = compile_linear(self.pc.T, [0.0] * k)
        if linear is None:
            return None
        src, dst = self.input_col, self.output_col

        def project(values: dict) -> bool:
            x = row_values(values.get(src, ABSENT))
            if x is None or len(x) != d:
                return False
            out = linear(x)
            if out is None:
                return False
            values[dst] = vector_of_row(out, False)
            return True

        return project
