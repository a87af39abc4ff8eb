"""Factorization machines: FMRegressionModel here, and the raw score FMClassificationModel shares.

https://github.com/apache/spark/blob/v3.5.0/mllib/src/main/scala/org/apache/spark/ml/regression/FMRegressor.scala
(``FactorizationMachines.getRawPrediction``, the same in v4.0.0):
``raw = intercept + features.dot(linear)``, then for each factor column ``f`` in order
``sum`` and ``sumSquare`` of ``vx = factors(i, f) * x_i`` over the row's non-zero entries in
index order, and ``raw += 0.5 * (sum * sum - sumSquare)``. ``linear`` is dense when fitted, an
empty sparse vector with ``fitLinear=false`` (then the dot is 0.0 whatever the features hold).
The dot follows :class:`LinearPredictor` (sequential sums; dense x dense is BLAS ddot, equal to
rounding). A null row or a size other than the model's fails, as Spark's dot and factor reads do.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from servelib.transformers.base import OnlineTransformer
from servelib.transformers.regression.linear_regression import LinearPredictor, VectorPrediction
from servelib.vectors import VectorColumn


@dataclass(frozen=True, eq=False)  # holds arrays: compared by identity
class FMScorer:
    """getRawPrediction over a VectorColumn and over one row."""

    linear: LinearPredictor  # intercept + features . linear
    factors: np.ndarray  # (numFeatures, factorSize)

    @property
    def size(self) -> int:
        return self.linear.size

    def raw(self, col: VectorColumn) -> np.ndarray:
        if not len(col):
            return np.zeros(0)
        with np.errstate(all="ignore"):
            out = self.linear.predict(col)
            x = col.dense
            nonzero = x != 0.0  # foreachNonZero: NaN counts, zeros never multiply a factor
            for f in range(self.factors.shape[1]):
                vx = np.where(nonzero, x * self.factors[:, f], 0.0)
                if vx.shape[1]:
                    s = np.add.accumulate(vx, axis=1)[:, -1]
                    sq = np.add.accumulate(vx * vx, axis=1)[:, -1]
                else:
                    s = sq = np.zeros(len(col))
                out = out + 0.5 * (s * s - sq)
        return out

    def raw_row(self) -> Callable[[list[float]], float | None] | None:
        """:meth:`raw` for one row of ``size`` floats (None for NaN); None when the linear
        part has no row form (NaN/inf coefficients)."""
        linear = self.linear.row_predict()
        if linear is None or not np.isfinite(self.factors).all():
            return None
        columns = self.factors.T.tolist()

        def raw(x: list[float]) -> float | None:
            m = linear(x)
            if m is None:
                return None
            for column in columns:
                s = sq = 0.0
                for v, w in zip(x, column):
                    if v != 0.0:
                        vx = w * v
                        sq += vx * vx
                        s += vx
                m += 0.5 * (s * s - sq)
            return None if m != m else m

        return raw


@dataclass(frozen=True)
class FMRegressionModel(VectorPrediction, OnlineTransformer):
    spark_class: ClassVar[str] = "org.apache.spark.ml.regression.FMRegressionModel"

    features_col: str = "features"
    prediction_col: str = "prediction"
    scorer: FMScorer = field(default=None, compare=False)  # type: ignore[assignment]

    @property
    def linear(self) -> LinearPredictor:
        return self.scorer.linear

    def predict_columns(self, col: VectorColumn) -> np.ndarray:
        return self.scorer.raw(col)

    def predict_row(self) -> Callable[[list[float]], float | None] | None:
        return self.scorer.raw_row()
