"""LinearSVCModel: rawPrediction [-m, m] with m = x . coefficients + intercept; no probability.

https://github.com/apache/spark/blob/v3.5.0/mllib/src/main/scala/org/apache/spark/ml/classification/LinearSVC.scala
prediction is 1.0 when ``m > threshold`` (default 0.0; NaN margin gives 0.0), whether it comes
from the rawPrediction column or from ``predict(features)``. Spark may store the coefficients
as a sparse vector (``compressed``); only its stored entries take part in the dot product.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from servelib.transformers.batch import Batch
from servelib.transformers.classification.common import (
    ClassificationModel,
    RowRule,
    compile_linear,
    linear_sums,
    pair,
)


@dataclass(frozen=True)
class LinearSVCModel(ClassificationModel):
    spark_class: ClassVar[str] = "org.apache.spark.ml.classification.LinearSVCModel"
    sparse_features: ClassVar[bool] = True  # predict_raw only calls linear_sums

    coefficients: np.ndarray = field(default_factory=lambda: np.zeros((1, 0)), compare=False)
    intercepts: np.ndarray = field(default_factory=lambda: np.zeros(1), compare=False)
    stored: np.ndarray | None = field(default=None, compare=False)  # sparse coefficient pattern
    threshold: float = 0.0

    def predict_raw(self, x: np.ndarray, batch: Batch) -> np.ndarray:
        m = linear_sums(x, self.coefficients, self.intercepts, self.stored)[:, 0]
        return pair(-m, m)

    def raw_to_prediction(self, raw: np.ndarray) -> np.ndarray:
        return (raw[:, 1] > self.threshold).astype(np.float64)

    # ---- the row kernel (ClassificationModel.row_kernel) ---------------------------------------
    def raw_row(self) -> Callable[[list[float]], list[float] | None] | None:
        """[-m, m] as straight-line Python (compile_linear); every configuration."""
        return compile_linear(self.coefficients, self.intercepts.tolist(), self.stored,
                              returns="pair", keep_nan=True)  # NaN: prediction 0.0, as batch

    def prediction_rules(self) -> tuple[RowRule, RowRule, RowRule]:
        threshold = self.threshold

        def from_raw(raw: list[float]) -> float:  # raw_to_prediction, also for predict
            return 1.0 if raw[1] > threshold else 0.0

        return from_raw, from_raw, from_raw  # no probability column: the middle one is unused
