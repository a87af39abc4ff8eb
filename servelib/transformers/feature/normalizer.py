"""Normalizer: scale each vector to unit p-norm.

https://github.com/apache/spark/blob/v3.5.0/mllib/src/main/scala/org/apache/spark/ml/feature/Normalizer.scala
delegates to https://github.com/apache/spark/blob/v3.5.0/mllib/src/main/scala/org/apache/spark/mllib/feature/Normalizer.scala
and ``Vectors.norm`` (mllib/linalg/Vectors.scala): p = 1 sums |x|, p = 2 is sqrt(sum x*x), p = inf
is the largest |x| found by ``|x| > max`` from 0 (so NaN entries are passed over), any other p is
``pow(sum(pow(|x|, p)), 1/p)``. Each value is divided by the norm; a zero norm returns the input
unchanged. Dense stays dense, sparse stays sparse (same indices). A null vector makes Spark fail.
The output column keeps the input's vector size attribute (Spark 3.0+ ``transformSchema``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
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
class Normalizer(OnlineTransformer):
    spark_class: ClassVar[str] = "org.apache.spark.ml.feature.Normalizer"

    input_col: str = ""
    output_col: str = ""
    p: float = 2.0

    def input_columns(self) -> Sequence[str]:
        return (self.input_col,)

    def output_columns(self) -> Sequence[str]:
        return (self.output_col,)

    def output_attributes(self, attrs: Attrs) -> Attrs:
        return same_size(attrs, self.input_col, self.output_col)

    def score_columns(self, batch: Batch) -> Scored:
        col = batch.vectors(self.input_col, self.name)
        if col.null is not None and col.null.any():
            raise invalid("null vector (Spark's Normalizer fails on null)", self, self.input_col,
                          batch, int(np.argmax(col.null)))
        x = col.dense
        with np.errstate(invalid="ignore", over="ignore"):  # inf and NaN follow IEEE, as in Spark
            norm = self._norm(x)
            norm[norm == 0.0] = 1.0  # x / 1.0 is x: Spark hands a zero-norm vector back as is
            out = x / norm[:, None]
        if not np.isfinite(norm).all():
            # Spark divides only a sparse vector's stored values: its zeros stay 0 (not 0/NaN)
            out[(x == 0.0) & col.sparse[:, None]] = 0.0
        return Scored({self.output_col: VectorColumn(out, col.sparse)})

    def row_kernel(self) -> RowKernel:
        """A non-null vector; null and other types take score_columns."""
        src, dst, norm_of = self.input_col, self.output_col, self._norm

        def normalize(values: dict) -> bool:
            got = row_vector(values.get(src, ABSENT))
            if got is None:
                return False
            vec, sparse = got
            # The norm through _norm on the (1, size) row the batch path would see: NumPy's
            # pairwise sums are not a left-to-right loop, and pow is NumPy's.
            with np.errstate(invalid="ignore", over="ignore"):
                norm = float(norm_of(np.array([vec], dtype=np.float64))[0]) if vec else 0.0
            if norm == 0.0:
                out = list(vec)  # x / 1.0 is x
            elif sparse and norm - norm != 0.0:  # inf or NaN: unstored zeros stay 0
                out = [x / norm if x != 0.0 else 0.0 for x in vec]
            else:
                out = [x / norm for x in vec]
            values[dst] = vector_of_row(out, sparse)
            return True

        return normalize

    def _norm(self, x: np.ndarray) -> np.ndarray:
        if self.p == 2.0:
            return np.sqrt((x * x).sum(axis=1))
        a = np.abs(x)
        if self.p == 1.0:
            return a.sum(axis=1)
        if math.isinf(self.p):
            return np.where(np.isnan(a), 0.0, a).max(axis=1, initial=0.0)
        return np.power(np.power(a, self.p).sum(axis=1), 1.0 / self.p)


def same_size(attrs: Attrs, src: str, dst: str) -> Attrs:
    """Spark's ``updateAttributeGroupSize``: the output keeps only the input's size, if known."""
    group = attrs.get(src)
    if not isinstance(group, AttributeGroup):
        return {}
    size = group.size
    if size is None and group.attrs is not None:
        size = len(group.attrs)
    return {} if size is None else {dst: AttributeGroup(size=size)}
