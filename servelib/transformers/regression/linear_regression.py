"""LinearRegressionModel: prediction = dot(features, coefficients) + intercept.

https://github.com/apache/spark/blob/v3.5.0/mllib/src/main/scala/org/apache/spark/ml/regression/LinearRegression.scala
``predict`` is ``BLAS.dot(features, coefficients) + intercept`` for every loss (squaredError and
huber: ``scale`` only matters in training) and with or without intercept (then it is 0.0).
PredictionModel.transform runs it as a UDF, so a null vector fails (NPE) and a vector whose size
differs from the coefficients fails ``BLAS.dot``'s size check: both are InvalidInput here. NaN and
infinities propagate through the arithmetic. An empty ``predictionCol`` writes nothing.

The dot product (https://github.com/apache/spark/blob/v3.5.0/mllib-local/src/main/scala/org/apache/spark/ml/linalg/BLAS.scala)
walks the stored entries of a sparse operand in index order, ``sum += x(i) * y(i)``: with sparse
coefficients (``compressed`` after training, e.g. by L1) only their stored indices count, so a NaN
feature where the coefficient is not stored is ignored. We add the same products in the same
order (a sequential cumulative sum), which reproduces Spark bit for bit whenever either side is
sparse. Dense x dense goes to netlib's Java ``ddot``, whose order depends on the JVM and CPU
(Java11BLAS: four FMA accumulators; Spark 4 adds jdk.incubator.vector: one SIMD accumulator as wide
as the CPU's vectors), so there no fixed order is Spark's; sequential summation agrees to rounding.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from servelib.transformers.attributes import Attribute, Attrs
from servelib.transformers.base import OnlineTransformer, RowKernel, Scored, invalid
from servelib.transformers.batch import Batch
from servelib.transformers.classification.common import compile_linear
from servelib.vectors import VectorColumn, row_values


@dataclass(frozen=True, eq=False)  # holds arrays: compared by identity
class LinearPredictor:
    """``BLAS.dot(features, coefficients) + intercept`` over a VectorColumn, precomputed."""

    size: int
    active: np.ndarray | None  # stored indices of sparse coefficients; None when dense
    weights: np.ndarray  # coefficient values at ``active`` (all of them when dense)
    intercept: float
    # A NaN/inf coefficient makes Spark's skipping of unstored feature entries observable.
    finite: bool = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "finite", bool(np.isfinite(self.weights).all()))

    @classmethod
    def of(cls, coefficients: np.ndarray, intercept: float,
           stored: np.ndarray | None = None) -> LinearPredictor:
        """``stored``: the indices Spark holds when the coefficients were saved sparse."""
        coefficients = np.asarray(coefficients, dtype=np.float64)
        if stored is None:
            return cls(coefficients.shape[0], None, coefficients.copy(), float(intercept))
        stored = np.asarray(stored, dtype=np.intp)
        return cls(coefficients.shape[0], stored, coefficients[stored], float(intercept))

    def check(self, stage: OnlineTransformer, col: VectorColumn, name: str, batch: Batch,
              rows: np.ndarray | None = None) -> None:
        """Spark's failures: null vectors and BLAS.dot's size check (``rows``: rows evaluated)."""
        null = col.null
        if rows is not None and null is not None:
            null = null & rows
        if null is not None and null.any():
            raise invalid("null feature vector (Spark's predict fails on null)", stage, name,
                          batch, int(np.argmax(null)))
        if col.size != self.size and len(col):
            live = np.ones(len(col), bool) if rows is None else rows
            if live.any():
                raise invalid(f"feature vector of size {col.size} but the model has "
                              f"{self.size} coefficients (Spark: BLAS.dot size mismatch)",
                              stage, name, batch, int(np.argmax(live)))

    def dot(self, col: VectorColumn) -> np.ndarray:
        """dot(features, coefficients) per row, summed in Spark's order."""
        if col.size != self.size:  # only rows check() let through: none evaluated, any value
            return np.full(len(col), np.nan)
        x = col.dense if self.active is None else col.dense[:, self.active]
        if x.shape[1] == 0:
            return np.zeros(x.shape[0])
        products = x * self.weights
        if not self.finite:  # Spark never multiplies a sparse row's unstored entries
            products[col.sparse[:, None] & (x == 0.0)] = 0.0
        return np.cumsum(products, axis=1)[:, -1]

    def predict(self, col: VectorColumn) -> np.ndarray:
        return self.dot(col) + self.intercept

    def row_predict(self) -> Callable[[list[float]], float | None] | None:
        """:meth:`predict` for one row of ``size`` Python floats (None for a NaN result, whose
        sign and payload only the batch path gives); None with a NaN/inf coefficient, where
        Spark's skipping of a sparse row's unstored entries shows."""
        if not self.finite:
            return None
        if not self.weights.shape[0]:  # no stored coefficient: dot is 0.0
            value = 0.0 + self.intercept
            return lambda x: None if value != value else value
        return compile_linear(self.weights[None, :], [self.intercept], columns=self.active,
                              returns="one")


class VectorPrediction:
    """What a regression PredictionModel over one features vector shares (LinearRegressionModel,
    FMRegressionModel): the columns, the nameless numeric attribute
    (PredictionModel.transformSchema: SchemaUtils.updateNumeric), an empty ``predictionCol`` that
    writes and reads nothing, Spark's null and size failures (LinearPredictor.check), and a row
    kernel that leaves null vectors, other sizes and NaN predictions to score_columns.

    A class mixes it in before OnlineTransformer and supplies ``linear`` (for the checks),
    ``predict_columns`` and ``predict_row``."""

    features_col: str
    prediction_col: str

    @property
    def linear(self) -> LinearPredictor:
        raise NotImplementedError

    def predict_columns(self, col: VectorColumn) -> np.ndarray:
        raise NotImplementedError

    def predict_row(self) -> Callable[[list[float]], float | None] | None:
        """The prediction of one row of ``size`` floats (None for NaN); None: no row form."""
        raise NotImplementedError

    def input_columns(self) -> Sequence[str]:
        return (self.features_col,)

    def output_columns(self) -> Sequence[str]:
        return (self.prediction_col,) if self.prediction_col else ()

    def output_attributes(self, attrs: Attrs) -> Attrs:
        return {self.prediction_col: Attribute("numeric")} if self.prediction_col else {}

    def score_columns(self, batch: Batch) -> Scored:
        if not self.prediction_col:
            return Scored({})
        col = batch.vectors(self.features_col, self.name)  # type: ignore[attr-defined]
        self.linear.check(self, col, self.features_col, batch)  # type: ignore[arg-type]
        with np.errstate(all="ignore"):  # inf/NaN follow IEEE arithmetic, as on the JVM
            prediction = self.predict_columns(col)
        return Scored({self.prediction_col: prediction})

    def row_kernel(self) -> RowKernel | None:
        if not self.prediction_col:
            return lambda values: True  # score_columns reads nothing
        predict = self.predict_row()
        if predict is None:
            return None
        features, out, size = self.features_col, self.prediction_col, self.linear.size

        def score(values: dict) -> bool:
            x = row_values(values.get(features))
            if x is None or len(x) != size:
                return False
            m = predict(x)
            if m is None:
                return False
            values[out] = m
            return True

        return score


@dataclass(frozen=True)
class LinearRegressionModel(VectorPrediction, OnlineTransformer):
    spark_class: ClassVar[str] = "org.apache.spark.ml.regression.LinearRegressionModel"

    features_col: str = "features"
    prediction_col: str = "prediction"  # "" writes nothing, as in Spark
    predictor: LinearPredictor = field(default_factory=lambda: LinearPredictor.of(np.zeros(0), 0.0))

    @property
    def linear(self) -> LinearPredictor:
        return self.predictor

    def predict_columns(self, col: VectorColumn) -> np.ndarray:
        return self.predictor.predict(col)

    def predict_row(self) -> Callable[[list[float]], float | None] | None:
        """The dot product in plain Python (LinearPredictor.row_predict)."""
        return self.predictor.row_predict()
