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
from servelib.transformers.base import OnlineTransformer, Scored, invalid
from servelib.transformers.batch import Batch
from servelib.vectors import VectorColumn


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
