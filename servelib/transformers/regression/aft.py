"""AFTSurvivalRegressionModel: Weibull accelerated failure time, prediction and quantiles.

https://github.com/apache/spark/blob/v3.5.0/mllib/src/main/scala/org/apache/spark/ml/regression/AFTSurvivalRegression.scala
(the same in v4.0.0). ``predict = exp(dot(coefficients, features) + intercept)`` (the dot as in
:class:`LinearPredictor`). The quantiles are ``_quantiles * lambda`` (BLAS.scal) with
``_quantiles[i] = exp(log(-log1p(-q_i)) * scale)`` built when quantileProbabilities is set and
``lambda`` the prediction. ``predictionCol=""`` writes no prediction; ``quantilesCol`` unset or
"" writes no quantiles. A null row or a size other than the coefficients' fails.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from servelib.transformers.attributes import Attribute, AttributeGroup, Attrs
from servelib.transformers.base import OnlineTransformer, RowKernel, Scored
from servelib.transformers.batch import Batch
from servelib.transformers.classification.common import exp_row
from servelib.transformers.regression.linear_regression import LinearPredictor
from servelib.vectors import VectorColumn, row_values, vector_of_row


def base_quantiles(probabilities: Sequence[float], scale: float) -> tuple[float, ...]:
    with np.errstate(all="ignore"):
        return tuple(float(np.exp(np.log(-np.log1p(-np.float64(q))) * scale))
                     for q in probabilities)


@dataclass(frozen=True)
class AFTSurvivalRegressionModel(OnlineTransformer):
    spark_class: ClassVar[str] = "org.apache.spark.ml.regression.AFTSurvivalRegressionModel"

    features_col: str = "features"
    prediction_col: str = "prediction"
    quantiles_col: str = ""
    quantiles: tuple[float, ...] = ()  # _quantiles
    predictor: LinearPredictor = field(default=None, compare=False)  # type: ignore[assignment]

    def input_columns(self) -> Sequence[str]:
        return (self.features_col,)

    def output_columns(self) -> Sequence[str]:
        return tuple(c for c in (self.prediction_col, self.quantiles_col) if c)

    def output_attributes(self, attrs: Attrs) -> Attrs:
        out: dict = {}
        if self.prediction_col:
            out[self.prediction_col] = Attribute("numeric")
        if self.quantiles_col:
            out[self.quantiles_col] = AttributeGroup(len(self.quantiles))
        return out

    def score_columns(self, batch: Batch) -> Scored:
        if not self.output_columns():
            return Scored({})
        col = batch.vectors(self.features_col, self.name)
        self.predictor.check(self, col, self.features_col, batch)
        with np.errstate(all="ignore"):
            lam = np.exp(self.predictor.predict(col))
            out: dict = {}
            if self.prediction_col:
                out[self.prediction_col] = lam
            if self.quantiles_col:
                out[self.quantiles_col] = VectorColumn.of_dense(
                    lam[:, None] * np.array(self.quantiles, dtype=np.float64)[None, :])
        return Scored(out)

    def row_kernel(self) -> RowKernel | None:
        if not self.output_columns():
            return lambda values: True
        predict = self.predictor.row_predict()
        if predict is None:
            return None
        src, pred, qcol, qs = (self.features_col, self.prediction_col, self.quantiles_col,
                               list(self.quantiles))
        size = self.predictor.size

        def score(values: dict) -> bool:
            x = row_values(values.get(src))
            if x is None or len(x) != size:
                return False
            m = predict(x)
            if m is None:
                return False
            lam = exp_row(m)
            if pred:
                values[pred] = lam
            if qcol:
                values[qcol] = vector_of_row([lam * q for q in qs], False)
            return True

        return score
