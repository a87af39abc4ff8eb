"""DCT: the orthonormal discrete cosine transform of each vector (DCT-II; inverse: DCT-III).

https://github.com/apache/spark/blob/v3.5.0/mllib/src/main/scala/org/apache/spark/ml/feature/DCT.scala
Spark runs JTransforms' ``DoubleDCT_1D(n).forward(values, scale=true)`` (``inverse(...)`` when
``inverse``) on each vector's ``toArray``, so the result is always a DenseVector of the input's
size: ``y_k = s_k * sum_i x_i cos(pi (2i + 1) k / 2n)``, ``s_0 = sqrt(1/n)``, ``s_k = sqrt(2/n)``;
the inverse is the transpose. A null vector or a vector of size 0 makes Spark fail. The output
column keeps the input's vector size attribute.

Precision (why this stage is compared normwise, see ``normwise_output_columns``): servelib
multiplies by the precomputed orthonormal matrix; JTransforms runs an FFT (Ooura's split radix for
powers of two, FFTPACK mixed radix or Bluestein otherwise) with twiddles from commons-math's
FastMath sin/cos. Both are accurate to a few ulps of the vector's largest entry (the fixtures
agree to ~2e-15 of it), but an entry that is 0 in exact arithmetic (DCT of a constant or
symmetric vector) comes out as rounding noise (e.g. 1.1e-16 or 0.0) whose digits depend on the
exact order of JTransforms' floating-point operations, so no entrywise relative tolerance can hold
there. Reproducing that noise would mean porting JTransforms' FFTs and FastMath op for op
(thousands of lines of third-party code), so the parity check for this stage's output is 1e-9
relative to each vector's largest magnitude instead. Consequence: a downstream stage that
thresholds a DCT output exactly at 0 (e.g. a Binarizer at 0.0) can differ from Spark on such
noise entries.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from servelib.transformers.attributes import Attrs
from servelib.transformers.base import OnlineTransformer, Scored, invalid
from servelib.transformers.batch import Batch
from servelib.transformers.feature.normalizer import same_size
from servelib.vectors import VectorColumn

_CHUNK = 1 << 21  # products held at once while scoring a batch (16 MiB of float64)


def dct_matrix(n: int) -> np.ndarray:
    """The orthonormal DCT-II matrix M (y = M @ x); its transpose is the inverse (DCT-III)."""
    k = np.arange(n)[:, None]
    i = np.arange(n)[None, :]
    m = np.cos(np.pi * (2 * i + 1) * k / (2 * n)) * np.sqrt(2.0 / n)
    m[0] = np.sqrt(1.0 / n)
    return m


@dataclass(frozen=True)
class DCT(OnlineTransformer):
    spark_class: ClassVar[str] = "org.apache.spark.ml.feature.DCT"

    input_col: str = ""
    output_col: str = ""
    inverse: bool = False
    # input size -> transform matrix, built on first use of a size (not in the saved stage)
    _matrices: dict[int, np.ndarray] = field(default_factory=dict, compare=False, repr=False)

    def input_columns(self) -> Sequence[str]:
        return (self.input_col,)

    def output_columns(self) -> Sequence[str]:
        return (self.output_col,)

    def output_attributes(self, attrs: Attrs) -> Attrs:
        return same_size(attrs, self.input_col, self.output_col)

    def normwise_output_columns(self) -> Sequence[str]:
        """Columns the parity check compares normwise, not entrywise (see the module docstring)."""
        return (self.output_col,)

    def matrix(self, n: int) -> np.ndarray:
        """The matrix applied to each vector: M, or M.T for the inverse (C-contiguous)."""
        m = self._matrices.get(n)
        if m is None:
            forward = dct_matrix(n)
            m = self._matrices[n] = np.ascontiguousarray(forward.T if self.inverse else forward)
        return m

    def score_columns(self, batch: Batch) -> Scored:
        col = batch.vectors(self.input_col, self.name)
        if col.null is not None and col.null.any():
            raise invalid("null vector (Spark's DCT fails on null)", self, self.input_col, batch,
                          int(np.argmax(col.null)))
        if not len(col):
            return Scored({self.output_col: VectorColumn.of_dense(col.dense.copy())})
        if col.size == 0:
            raise invalid("empty vector (JTransforms: n must be greater than 0)", self,
                          self.input_col, batch, 0)
        return Scored({self.output_col: VectorColumn.of_dense(self._apply(col.dense))})

    def _apply(self, x: np.ndarray) -> np.ndarray:
        # Not x @ M: BLAS picks kernels (and summation orders) by batch shape, so one row alone
        # and the same row in a batch could differ in the last bit. Summing the products along
        # the contiguous last axis rounds each output entry the same way whatever the batch.
        n = x.shape[1]
        m = self.matrix(n)
        out = np.empty_like(x)
        step = max(1, _CHUNK // max(1, n * n))
        for start in range(0, x.shape[0], step):
            rows = x[start : start + step]
            out[start : start + step] = (rows[:, None, :] * m[None, :, :]).sum(axis=2)
        return out
