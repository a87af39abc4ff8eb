"""GaussianMixtureModel: each component's weighted density, normalized, and its argmax.

https://github.com/apache/spark/blob/v3.5.0/mllib/src/main/scala/org/apache/spark/ml/clustering/GaussianMixture.scala
https://github.com/apache/spark/blob/v3.5.0/mllib-local/src/main/scala/org/apache/spark/ml/stat/distribution/MultivariateGaussian.scala
(the same in v4.0.0). ``computeProbabilities``: ``p_i = EPS + w_i * pdf_i(x)``, each divided by
their left-to-right sum; ``pdf = exp(u + (v . v) * -0.5)`` with ``v = R (x - mu)``, where
``R = diag(sqrt(1 / d)) U^T`` and ``u = -0.5 (n log(2 pi) + sum log d)`` come from the
eigendecomposition ``sigma = U diag(d) U^T`` (eigenvalues at or below ``EPS * max(d) * n``
count as zero: pseudo-inverse and pseudo-determinant). Spark takes the eigendecomposition from
LAPACK ``dsyevr`` (Breeze) and we from NumPy's LAPACK, so R agrees to rounding, not to the bit;
``R (x - mu)`` and ``v . v`` are summed left to right here. prediction is the probability
vector's argmax (first maximum); with probabilityCol "" the same argmax. A null vector or a size
other than the means' fails; NaN features give NaN probabilities and prediction 0, as in Spark.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from servelib.transformers.attributes import Attribute, AttributeGroup, Attrs
from servelib.transformers.base import ABSENT, OnlineTransformer, RowKernel, Scored, invalid
from servelib.transformers.batch import Batch
from servelib.transformers.classification.common import exp_row, row_argmax, spark_argmax
from servelib.vectors import VectorColumn, row_values, vector_of_row

EPS = float(np.finfo(np.float64).eps)


def covariance_constants(sigma: np.ndarray) -> tuple[np.ndarray, float]:
    """MultivariateGaussian.calculateCovarianceConstants: (rootSigmaInv, u)."""
    d, u = np.linalg.eigh(sigma)
    tol = EPS * float(np.max(d)) * d.shape[0]
    keep = d > tol
    if not keep.any():
        raise ValueError("Covariance matrix has no non-zero singular values")
    log_det = 0.0
    for v in d[keep].tolist():
        log_det += math.log(v)
    with np.errstate(divide="ignore"):
        pinv = np.where(keep, np.sqrt(1.0 / np.where(keep, d, 1.0)), 0.0)
    return pinv[:, None] * u.T, -0.5 * (sigma.shape[0] * math.log(2.0 * math.pi) + log_det)


@dataclass(frozen=True)
class GaussianMixtureModel(OnlineTransformer):
    spark_class: ClassVar[str] = "org.apache.spark.ml.clustering.GaussianMixtureModel"

    features_col: str = "features"
    prediction_col: str = "prediction"
    probability_col: str = "probability"
    weights: tuple[float, ...] = ()
    means: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)), compare=False)
    roots: np.ndarray = field(default_factory=lambda: np.zeros((0, 0, 0)), compare=False)
    constants: tuple[float, ...] = ()  # u per component

    def input_columns(self) -> Sequence[str]:
        return (self.features_col,)

    def output_columns(self) -> Sequence[str]:
        return tuple(c for c in (self.probability_col, self.prediction_col) if c)

    def output_attributes(self, attrs: Attrs) -> Attrs:
        out: dict = {}
        if self.probability_col:
            out[self.probability_col] = AttributeGroup(len(self.weights))
        if self.prediction_col:
            out[self.prediction_col] = Attribute("unresolved")
        return out

    def probabilities(self, x: np.ndarray) -> np.ndarray:
        n, k = x.shape[0], len(self.weights)
        if not n:
            return np.zeros((0, k))
        p = np.empty((n, k))
        with np.errstate(all="ignore"):
            for i in range(k):
                delta = x - self.means[i]  # (n, d)
                prods = self.roots[i][None, :, :] * delta[:, None, :]  # (n, d, d)
                v = np.add.accumulate(prods, axis=2)[:, :, -1] if prods.shape[2] else \
                    np.zeros((n, prods.shape[1]))
                vv = np.add.accumulate(v * v, axis=1)[:, -1] if v.shape[1] else np.zeros(n)
                p[:, i] = EPS + self.weights[i] * np.exp(self.constants[i] + vv * -0.5)
            total = np.add.accumulate(p, axis=1)[:, -1]
            return p / total[:, None]

    def score_columns(self, batch: Batch) -> Scored:
        if not self.output_columns():
            return Scored({})
        col = batch.vectors(self.features_col, self.name)
        if col.null is not None and col.null.any():
            raise invalid("null feature vector", self, self.features_col, batch,
                          int(np.argmax(col.null)))
        if len(col) and col.size != self.means.shape[1]:
            raise invalid(f"feature vector of size {col.size} but the Gaussians have "
                          f"{self.means.shape[1]} dimensions", self, self.features_col, batch, 0)
        prob = self.probabilities(col.dense)
        out: dict = {}
        if self.probability_col:
            out[self.probability_col] = VectorColumn.of_dense(prob)
        if self.prediction_col:
            out[self.prediction_col] = spark_argmax(prob).astype(np.int32)
        return Scored(out)

    def row_kernel(self) -> RowKernel | None:
        if not self.output_columns():
            return None
        src, pcol, ycol = self.features_col, self.probability_col, self.prediction_col
        means, weights, consts = self.means.tolist(), list(self.weights), list(self.constants)
        roots = [r.tolist() for r in self.roots]
        size = self.means.shape[1]

        def score(values: dict) -> bool:
            x = row_values(values.get(src, ABSENT))
            if x is None or len(x) != size:
                return False
            p = []
            for mu, root, w, u in zip(means, roots, weights, consts):
                delta = [a - b for a, b in zip(x, mu)]
                vv = 0.0
                for j, r in enumerate(root):
                    s = r[0] * delta[0]
                    for m in range(1, size):
                        s += r[m] * delta[m]
                    vv = s * s if j == 0 else vv + s * s
                p.append(EPS + w * exp_row(u + vv * -0.5))
            total = p[0]
            for v in p[1:]:
                total += v
            if total != total or total == 0.0:
                return False
            prob = [v / total for v in p]
            if pcol:
                values[pcol] = vector_of_row(prob, False)
            if ycol:
                values[ycol] = int(row_argmax(prob))
            return True

        return score
