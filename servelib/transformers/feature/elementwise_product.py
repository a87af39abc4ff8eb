"""ElementwiseProduct: the Hadamard product of each vector with a fixed scaling vector.

https://github.com/apache/spark/blob/v3.5.0/mllib/src/main/scala/org/apache/spark/ml/feature/ElementwiseProduct.scala
delegates to https://github.com/apache/spark/blob/v3.5.0/mllib/src/main/scala/org/apache/spark/mllib/feature/ElementwiseProduct.scala
A dense vector multiplies every entry (0 * inf is NaN); a sparse vector multiplies only its stored
values and keeps its indices, so its zeros stay 0 whatever the scaling value and it stays sparse.
A vector of another size fails ("vector sizes do not match"), so does a null vector. The output
column's attribute is a vector group of the scaling vector's size.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from servelib.transformers.attributes import AttributeGroup, Attrs
from servelib.transformers.base import (
    ABSENT,
    OnlineTransformer,
    RowKernel,
    Scored,
    invalid,
)
from servelib.transformers.batch import Batch
from servelib.vectors import VectorColumn, row_vector, vector_of_row


@dataclass(frozen=True)
class ElementwiseProduct(OnlineTransformer):
    spark_class: ClassVar[str] = "org.apache.spark.ml.feature.ElementwiseProduct"

    input_col: str = ""
    output_col: str = ""
    scaling: tuple[float, ...] = ()
    _scale: np.ndarray = field(init=False, compare=False, repr=False)
    _finite: bool = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        scale = np.array(self.scaling, dtype=np.float64)
        object.__setattr__(self, "_scale", scale)
        object.__setattr__(self, "_finite", bool(np.isfinite(scale).all()))

    def input_columns(self) -> Sequence[str]:
        return (self.input_col,)

    def output_columns(self) -> Sequence[str]:
        return (self.output_col,)

    def output_attributes(self, attrs: Attrs) -> Attrs:
        return {self.output_col: AttributeGroup(size=len(self.scaling))}

    def score_columns(self, batch: Batch) -> Scored:
        col = batch.vectors(self.input_col, self.name)
        if col.null is not None and col.null.any():
            raise invalid("null vector (Spark's ElementwiseProduct fails on null)", self,
                          self.input_col, batch, int(np.argmax(col.null)))
        if not len(col):
            empty = np.zeros((0, self._scale.shape[0]))
            return Scored({self.output_col: VectorColumn.of_dense(empty)})
        if col.size != self._scale.shape[0]:
            raise invalid(f"vector sizes do not match: Expected {self._scale.shape[0]} but found "
                          f"{col.size}", self, self.input_col, batch, 0)
        with np.errstate(invalid="ignore", over="ignore"):  # 0 * inf is NaN, as in Spark
            out = col.dense * self._scale
        if not self._finite:
            out[(col.dense == 0.0) & col.sparse[:, None]] = 0.0  # unstored zeros never multiply
        return Scored({self.output_col: VectorColumn(out, col.sparse)})

    def row_kernel(self) -> RowKernel:
        """A non-null vector of the scaling vector's size; null and other sizes take
        score_columns."""
        src, dst = self.input_col, self.output_col
        scale, finite = self._scale.tolist(), self._finite
        n = len(scale)

        def multiply(values: dict) -> bool:
            got = row_vector(values.get(src, ABSENT))
            if got is None or len(got[0]) != n:
                return False
            vec, sparse = got
            if sparse and not finite:  # unstored zeros never multiply (0 * inf)
                out = [x * c if x != 0.0 else 0.0 for x, c in zip(vec, scale)]
            else:
                out = [x * c for x, c in zip(vec, scale)]
            values[dst] = vector_of_row(out, sparse)
            return True

        return multiply
