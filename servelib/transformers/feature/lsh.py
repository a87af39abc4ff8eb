"""MinHashLSHModel and BucketedRandomProjectionLSHModel: an array of one-slot hash vectors.

https://github.com/apache/spark/blob/v3.5.0/mllib/src/main/scala/org/apache/spark/ml/feature/LSH.scala
https://github.com/apache/spark/blob/v3.5.0/mllib/src/main/scala/org/apache/spark/ml/feature/MinHashLSH.scala
https://github.com/apache/spark/blob/v3.5.0/mllib/src/main/scala/org/apache/spark/ml/feature/BucketedRandomProjectionLSH.scala
(the same in v4.0.0). ``transform`` adds ``hashFunction(inputCol)``: one ``DenseVector`` of one
slot per hash table. MinHash: for each ``(a, b)`` of ``randCoefficients`` the minimum over the
row's non-zero entries ``i`` of ``((1 + i) * a + b) mod 2038074743`` (64-bit integers, exact);
a row without a non-zero entry fails ("Must have at least 1 non zero entry."). Bucketed random
projection: ``floor(gemv(1 / bucketLength, randMatrix, x))``: each table's dot product (summed
left to right here; Spark's BLAS dgemv may group a dense row's additions differently, which can
only matter for a value within rounding of an integer) times ``1 / bucketLength``, plus 0.0.
A null row fails, as does (projection) a size other than the matrix's.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from servelib.transformers.base import ABSENT, OnlineTransformer, RowKernel, Scored, invalid
from servelib.transformers.batch import Batch
from servelib.vectors import DenseVector, VectorColumn, row_values, vector_of_row

HASH_PRIME = 2038074743


def _dense(value: float) -> DenseVector:
    return vector_of_row([value], False)


def _hash_column(hashes: np.ndarray) -> np.ndarray:
    out = np.empty(hashes.shape[0], dtype=object)
    out[:] = [[_dense(v) for v in row] for row in hashes.tolist()]
    return out


@dataclass(frozen=True)
class LSHModel(OnlineTransformer):
    input_col: str = ""
    output_col: str = ""

    def input_columns(self) -> Sequence[str]:
        return (self.input_col,)

    def output_columns(self) -> Sequence[str]:
        return (self.output_col,)

    def rows(self, batch: Batch) -> VectorColumn:
        col = batch.vectors(self.input_col, self.name)
        if col.null is not None and col.null.any():
            raise invalid("null vector (Spark's hash function fails on null)", self,
                          self.input_col, batch, int(np.argmax(col.null)))
        return col


@dataclass(frozen=True)
class MinHashLSHModel(LSHModel):
    spark_class: ClassVar[str] = "org.apache.spark.ml.feature.MinHashLSHModel"

    coefficients: tuple[tuple[int, int], ...] = ()  # (a, b) per hash table

    def score_columns(self, batch: Batch) -> Scored:
        col = self.rows(batch)
        if not len(col):
            return Scored({self.output_col: _hash_column(np.zeros((0, len(self.coefficients))))})
        nonzero = col.dense != 0.0  # NaN counts as non-zero
        empty = ~nonzero.any(axis=1)
        if empty.any():
            raise invalid("Must have at least 1 non zero entry.", self, self.input_col, batch,
                          int(np.argmax(empty)))
        index = np.arange(1, col.size + 1, dtype=np.int64)
        hashes = np.empty((len(col), len(self.coefficients)))
        for j, (a, b) in enumerate(self.coefficients):
            values = (index * a + b) % HASH_PRIME
            hashes[:, j] = np.where(nonzero, values, np.iinfo(np.int64).max).min(axis=1)
        return Scored({self.output_col: _hash_column(hashes)})

    def row_kernel(self) -> RowKernel | None:
        src, dst, coefficients = self.input_col, self.output_col, self.coefficients

        def minhash(values: dict) -> bool:
            x = row_values(values.get(src, ABSENT))
            if x is None:
                return False
            keys = [i + 1 for i, v in enumerate(x) if v != 0.0]
            if not keys:
                return False
            values[dst] = [_dense(float(min((k * a + b) % HASH_PRIME for k in keys)))
                           for a, b in coefficients]
            return True

        return minhash


@dataclass(frozen=True)
class BucketedRandomProjectionLSHModel(LSHModel):
    spark_class: ClassVar[str] = "org.apache.spark.ml.feature.BucketedRandomProjectionLSHModel"

    bucket_length: float = 1.0
    matrix: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)), compare=False)

    def score_columns(self, batch: Batch) -> Scored:
        col = self.rows(batch)
        k, d = self.matrix.shape
        if len(col) and col.size != d:
            raise invalid(f"vector of size {col.size} but the projections have {d} entries "
                          "(Spark: gemv size mismatch)", self, self.input_col, batch, 0)
        alpha = 1.0 / self.bucket_length
        sums = np.zeros((len(col), k))
        with np.errstate(all="ignore"):
            if d and len(col):
                prod = col.dense[:, None, :] * self.matrix[None, :, :]
                sums = np.add.accumulate(prod, axis=2)[:, :, -1]
            hashes = np.floor(sums * alpha + 0.0)
        return Scored({self.output_col: _hash_column(hashes)})

    def row_kernel(self) -> RowKernel | None:
        if not np.isfinite(self.matrix).all():
            return None
        src, dst, rows = self.input_col, self.output_col, self.matrix.tolist()
        d, alpha = self.matrix.shape[1], 1.0 / self.bucket_length

        def project(values: dict) -> bool:
            x = row_values(values.get(src, ABSENT))
            if x is None or len(x) != d or not d:
                return False
            out = []
            for r in rows:
                s = x[0] * r[0]
                for j in range(1, d):
                    s += x[j] * r[j]
                v = s * alpha + 0.0
                if not math.isfinite(v):
                    return False
                out.append(_dense(float(math.floor(v))))
            values[dst] = out
            return True

        return project
