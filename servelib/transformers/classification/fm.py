"""FMClassificationModel: a factorization machine's raw score m as a binary classifier.

https://github.com/apache/spark/blob/v3.5.0/mllib/src/main/scala/org/apache/spark/ml/classification/FMClassifier.scala
(the same in v4.0.0). rawPrediction = [-m, m] with m from
:class:`~servelib.transformers.regression.fm.FMScorer`; ``raw2probabilityInPlace`` sets
p1 = 1 / (1 + exp(-m)) and p0 = 1 - p1. Predictions follow ProbabilisticClassificationModel's
rules (argmax of rawPrediction, or thresholds on the probability): common.py.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from servelib.transformers.batch import Batch
from servelib.transformers.classification.common import ClassificationModel, exp_row, pair
from servelib.transformers.regression.fm import FMScorer
from servelib.vectors import VectorColumn


@dataclass(frozen=True)
class FMClassificationModel(ClassificationModel):
    spark_class: ClassVar[str] = "org.apache.spark.ml.classification.FMClassificationModel"

    probability_col: str = "probability"
    scorer: FMScorer = field(default=None, compare=False)  # type: ignore[assignment]

    def predict_raw(self, x: np.ndarray, batch: Batch) -> np.ndarray:
        col = batch.vectors(self.features_col, self.name)  # the sparse flags, as checked
        m = self.scorer.raw(VectorColumn(x, col.sparse))
        return pair(-m, m)

    def raw_to_probability(self, raw: np.ndarray) -> np.ndarray:
        with np.errstate(over="ignore"):
            p1 = 1.0 / (1.0 + np.exp(-raw[:, 1]))
        return pair(1.0 - p1, p1)

    def raw_row(self) -> Callable[[list[float]], list[float] | None] | None:
        raw = self.scorer.raw_row()
        if raw is None:
            return None

        def pair_row(x: list[float]) -> list[float] | None:
            m = raw(x)
            return None if m is None else [-m, m]

        return pair_row

    def probability_row(self, raw: list[float]) -> list[float]:
        p1 = 1.0 / (1.0 + exp_row(-raw[1]))
        return [1.0 - p1, p1]
