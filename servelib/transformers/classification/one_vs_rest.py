"""OneVsRestModel: one binary classifier per class; the class whose model is most confident.

https://github.com/apache/spark/blob/v3.5.0/python/pyspark/ml/classification.py (OneVsRestModel)
https://github.com/apache/spark/blob/v4.0.0/python/pyspark/ml/classification.py
https://github.com/apache/spark/blob/v3.5.0/mllib/src/main/scala/org/apache/spark/ml/classification/OneVsRest.scala
PySpark scores OneVsRest in Python: model ``i`` runs with OneVsRest's featuresCol and its
confidence is entry 1 of its own rawPrediction; rawPrediction is the vector of confidences.
The prediction (with or without a rawPrediction column) is, in PySpark 3.x, Python's
``max(enumerate(confidences))``: the first maximum, a NaN never winning unless it comes first
(common.py's argmax); in PySpark 4.x, ``array_argmax``: the first value strictly above all
before it starting from -inf, NaN skipped, and -1.0 when none is (all NaN or -inf). The Spark
line is the one that wrote the model. A null vector or a wrong size fails inside a binary model.
PySpark selects OneVsRest's rawPredictionCol from each binary model's output, so a binary
model writing another column (or an empty name) fails every transform: refused at load
(loaders/tuning.py).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import ClassVar

import numpy as np

from servelib.transformers.attributes import Attribute, AttributeGroup, Attrs
from servelib.transformers.base import OnlineTransformer, RowKernel, Scored
from servelib.transformers.batch import Batch
from servelib.transformers.classification.common import (
    ClassificationModel,
    row_argmax,
    spark_argmax,
)
from servelib.transformers.tree.xgboost import SparkXGBClassifierModel
from servelib.vectors import VectorColumn, vector_of_row

_RAW = "__servelib_ovr_raw"  # the binary models' own rawPrediction column, never output
# A Spark classifier, or xgboost.spark's (PySpark then saves the OneVsRestModel with its
# Python writer: PythonOneVsRestModel); both have the four column fields replaced below.
BinaryModel = ClassificationModel | SparkXGBClassifierModel


@dataclass(frozen=True)
class OneVsRestModel(OnlineTransformer):
    spark_class: ClassVar[str] = "org.apache.spark.ml.classification.OneVsRestModel"

    features_col: str = "features"
    prediction_col: str = "prediction"
    raw_prediction_col: str = "rawPrediction"
    models: tuple[BinaryModel, ...] = ()
    spark4: bool = False  # PySpark 4's array_argmax rather than Python's max

    def __post_init__(self) -> None:  # only the raw confidence of each binary model is needed
        object.__setattr__(self, "models", tuple(
            replace(m, features_col=self.features_col, raw_prediction_col=_RAW,
                    probability_col="", prediction_col="") for m in self.models))

    @property
    def stages(self) -> tuple[BinaryModel, ...]:
        return self.models

    def input_columns(self) -> Sequence[str]:
        return (self.features_col,)

    def output_columns(self) -> Sequence[str]:
        return tuple(c for c in (self.raw_prediction_col, self.prediction_col) if c)

    def output_attributes(self, attrs: Attrs) -> Attrs:
        out: dict = {}
        if self.prediction_col:
            out[self.prediction_col] = Attribute("nominal", name=self.prediction_col,
                                                 num_values=len(self.models))
        if self.raw_prediction_col:
            out[self.raw_prediction_col] = AttributeGroup(len(self.models))
        return out

    def score_columns(self, batch: Batch) -> Scored:
        raw = np.empty((batch.n, len(self.models)))
        for i, model in enumerate(self.models):
            col = model.score_columns(batch).columns[_RAW]
            raw[:, i] = col.dense[:, 1]
        out: dict = {}
        if self.raw_prediction_col:
            out[self.raw_prediction_col] = VectorColumn.of_dense(raw)
        if self.prediction_col:
            out[self.prediction_col] = array_argmax(raw) if self.spark4 else spark_argmax(raw)
        return Scored(out)

    def row_kernel(self) -> RowKernel | None:
        kernels = [m._kernel for m in self.models]
        if any(k is None for k in kernels):
            return None
        src, raw_col, pred_col = self.features_col, self.raw_prediction_col, self.prediction_col
        argmax = array_argmax_row if self.spark4 else row_argmax

        def score(values: dict) -> bool:
            conf = []
            for kernel in kernels:
                scratch = {src: values.get(src)}
                if not kernel(scratch):
                    return False
                conf.append(scratch[_RAW].values[1])
            if raw_col:
                values[raw_col] = vector_of_row(conf, False)
            if pred_col:
                values[pred_col] = argmax(conf)
            return True

        return score


@dataclass(frozen=True)
class PythonOneVsRestModel(OneVsRestModel):
    """OneVsRestModelWriter's save (binary models Spark's JVM does not know, xgboost.spark's):
    the same layout and scoring under the Python class name.
    https://github.com/apache/spark/blob/v3.5.0/python/pyspark/ml/classification.py
    (OneVsRestModelWriter)
    """

    spark_class: ClassVar[str] = "pyspark.ml.classification.OneVsRestModel"


def array_argmax(raw: np.ndarray) -> np.ndarray:
    """PySpark 4's array_argmax per row: strictly above the best so far (from -inf), NaN
    skipped, -1.0 when nothing qualifies."""
    best = np.full(raw.shape[0], -np.inf)
    out = np.full(raw.shape[0], -1.0)
    for j in range(raw.shape[1]):
        better = raw[:, j] > best  # False for NaN
        best = np.where(better, raw[:, j], best)
        out[better] = j
    return out


def array_argmax_row(values: list[float]) -> float:
    best, out = -math.inf, -1.0
    for j, v in enumerate(values):
        if v > best:
            best, out = v, float(j)
    return out
