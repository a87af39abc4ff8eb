"""CrossValidatorModel and TrainValidationSplitModel: they score with their best model.

https://github.com/apache/spark/blob/v3.5.0/mllib/src/main/scala/org/apache/spark/ml/tuning/CrossValidator.scala
https://github.com/apache/spark/blob/v3.5.0/mllib/src/main/scala/org/apache/spark/ml/tuning/TrainValidationSplit.scala
(the same in v4.0.0): ``transform`` is ``bestModel.transform(dataset)``; the estimator,
evaluator, param maps, metrics and sub-models saved beside it play no part in scoring.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import ClassVar

from servelib.transformers.attributes import Attrs
from servelib.transformers.base import OnlineTransformer, RowKernel, Scored
from servelib.transformers.batch import Batch


@dataclass(frozen=True)
class ValidatorModel(OnlineTransformer):
    best: OnlineTransformer = field(default=None)  # type: ignore[assignment]

    @property
    def stages(self) -> tuple[OnlineTransformer, ...]:
        return (self.best,)

    def bind(self, attrs: Attrs) -> ValidatorModel:
        return replace(self, best=self.best.bind(attrs))

    def with_input_types(self, types: Mapping[str, str]) -> ValidatorModel:
        return replace(self, best=self.best.with_input_types(types))

    def output_attributes(self, attrs: Attrs) -> Attrs:
        return self.best.output_attributes(attrs)

    def input_columns(self) -> Sequence[str]:
        return self.best.input_columns()

    def output_columns(self) -> Sequence[str]:
        return self.best.output_columns()

    def all_output_columns(self) -> Iterable[str]:
        return self.best.all_output_columns()

    def run(self, batch: Batch) -> None:
        self.best.run(batch)

    def row_kernel(self) -> RowKernel | None:
        return self.best._kernel

    def score_columns(self, batch: Batch) -> Scored:  # pragma: no cover - run() is overridden
        raise TypeError("a validator model scores through its best model's run()")


@dataclass(frozen=True)
class CrossValidatorModel(ValidatorModel):
    spark_class: ClassVar[str] = "org.apache.spark.ml.tuning.CrossValidatorModel"


@dataclass(frozen=True)
class TrainValidationSplitModel(ValidatorModel):
    spark_class: ClassVar[str] = "org.apache.spark.ml.tuning.TrainValidationSplitModel"


@dataclass(frozen=True)
class PythonCrossValidatorModel(CrossValidatorModel):
    """What PySpark's Python writer saves when the estimator is Python-only (an xgboost.spark
    model): the same layout under the Python class name.
    https://github.com/apache/spark/blob/v3.5.0/python/pyspark/ml/tuning.py
    (CrossValidatorModelWriter)
    """

    spark_class: ClassVar[str] = "pyspark.ml.tuning.CrossValidatorModel"


@dataclass(frozen=True)
class PythonTrainValidationSplitModel(TrainValidationSplitModel):
    """TrainValidationSplitModelWriter's save of a Python-only estimator (see above)."""

    spark_class: ClassVar[str] = "pyspark.ml.tuning.TrainValidationSplitModel"
