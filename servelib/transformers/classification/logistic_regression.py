"""LogisticRegressionModel: binomial (sigmoid of one margin) and multinomial (softmax of margins).

https://github.com/apache/spark/blob/v3.5.0/mllib/src/main/scala/org/apache/spark/ml/classification/LogisticRegression.scala
Binomial: margin m = x . coefficients + intercept, rawPrediction = [-m, m],
probability = [p0, 1 - p0] with p0 = 1 / (1 + exp(m)). The prediction ignores the generic
thresholds rule; Spark caches ``getThreshold`` t (from ``thresholds`` as 1 / (1 + t0 / t1) when
that is set) and predicts 1.0 when, depending on which columns are produced:
rawPrediction -> ``m > log(t / (1 - t))`` (-inf for t = 0, +inf for t = 1);
probability only -> ``p1 > t``; neither -> ``1 / (1 + exp(-m)) > t``.
Multinomial (isMultinomial, also for 2 classes): rawPrediction = intercepts + coefficients @ x,
probability = softmax, prediction by the shared argmax / thresholds rule.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from servelib.transformers.batch import Batch
from servelib.transformers.classification.common import (
    ROW_TERMS_LIMIT,
    ClassificationModel,
    RowRule,
    compile_linear,
    exp_row,
    linear_sums,
    signed_pair,
    softmax,
)
from servelib.vectors import pooled


@dataclass(frozen=True)
class LogisticRegressionModel(ClassificationModel):
    spark_class: ClassVar[str] = "org.apache.spark.ml.classification.LogisticRegressionModel"
    sparse_features: ClassVar[bool] = True  # predict_raw only calls linear_sums

    probability_col: str = "probability"
    multinomial: bool = False
    # (rows, features): one row for binomial, one per class for multinomial
    coefficients: np.ndarray = field(default_factory=lambda: np.zeros((1, 0)), compare=False)
    intercepts: np.ndarray = field(default_factory=lambda: np.zeros(1), compare=False)
    stored: np.ndarray | None = field(default=None, compare=False)  # sparse coefficient pattern
    intercept_first: bool = False  # column-major sparse matrix (multinomial gemv order)
    threshold: float = 0.5  # binomial getThreshold
    margin_threshold: float = 0.0  # binomial log(t / (1 - t))

    def predict_raw(self, x: np.ndarray, batch: Batch) -> np.ndarray:
        if self.multinomial:
            return linear_sums(x, self.coefficients, self.intercepts, self.stored,
                               self.intercept_first)
        m = linear_sums(x, self.coefficients, self.intercepts, self.stored)[:, 0]
        return signed_pair(m)

    def raw_to_probability(self, raw: np.ndarray) -> np.ndarray:
        if self.multinomial:
            return softmax(raw)
        p0 = np.negative(raw[:, 0])  # 1 / (1 + exp(-raw0)), in one contiguous temporary
        with np.errstate(over="ignore"):
            np.exp(p0, out=p0)
        p0 += 1.0
        np.divide(1.0, p0, out=p0)
        out = pooled(2 * p0.shape[0], np.float64).reshape(-1, 2)
        out[:, 0] = p0
        np.subtract(1.0, p0, out=out[:, 1])
        return out

    def raw_to_prediction(self, raw: np.ndarray) -> np.ndarray:
        if self.multinomial:
            return super().raw_to_prediction(raw)
        return (raw[:, 1] > self.margin_threshold).astype(np.float64)

    def probability_to_prediction(self, prob: np.ndarray) -> np.ndarray:
        if self.multinomial:
            return super().probability_to_prediction(prob)
        return (prob[:, 1] > self.threshold).astype(np.float64)

    def predict(self, raw: np.ndarray) -> np.ndarray:
        if self.multinomial:
            return super().predict(raw)
        with np.errstate(over="ignore"):
            score = 1.0 / (1.0 + np.exp(-raw[:, 1]))
        return (score > self.threshold).astype(np.float64)

    # ---- the row kernel (ClassificationModel.row_kernel): thresholds only matter if multinomial
    def raw_row(self) -> Callable[[list[float]], list[float] | None] | None:
        """The margins as straight-line Python (compile_linear); every configuration up to
        ROW_TERMS_LIMIT products. A NaN margin (a NaN feature) stays on the row path: the
        probability and prediction depend on where NaNs are, not on their sign or payload."""
        if self.coefficients.size > ROW_TERMS_LIMIT:
            return None
        return compile_linear(self.coefficients, self.intercepts.tolist(), self.stored,
                              self.intercept_first, returns="list" if self.multinomial else "pair",
                              keep_nan=True)

    def raw_row_entries(self) -> Callable[[dict[int, float]], list[float] | None]:
        """linear_sums over a sparse row's entries only, in index order. Skipping a zero
        product (x = 0, or an unstored coefficient, which linear_sums zeroes) leaves every
        non-zero partial sum unchanged, so the margins are linear_sums' bits except possibly
        a zero's sign: a zero (or NaN) margin takes score_columns."""
        table = self.coefficients.astype(object)  # column-wise: 2^18 hashed features load fast
        if self.stored is not None:
            table[~self.stored] = None  # unstored: no product
        weights = table.tolist()
        bias, b_first, multinomial = self.intercepts.tolist(), self.intercept_first, self.multinomial

        def margins(entries: dict[int, float]) -> list[float] | None:
            order = sorted(entries)
            out = []
            for w, b in zip(weights, bias):
                products = [p for p in (entries[j] * w[j] for j in order if w[j] is not None)
                            if p != 0.0]
                if b_first:  # b is added to the first product (p0 + b == b + p0)
                    m = b
                    for p in products:
                        m += p
                else:
                    total = products[0] if products else 0.0
                    for p in products[1:]:
                        total += p
                    m = total + b
                if m == 0.0 or m != m:
                    return None
                out.append(m)
            return out if multinomial else [-out[0], out[0]]

        return margins

    def probability_row(self, raw: list[float]) -> list[float]:
        if self.multinomial:
            return super().probability_row(raw)
        p0 = 1.0 / (1.0 + exp_row(-raw[0]))
        return [p0, 1.0 - p0]

    def prediction_rules(self) -> tuple[RowRule, RowRule, RowRule]:
        if self.multinomial:
            return super().prediction_rules()
        margin, threshold = self.margin_threshold, self.threshold

        def from_raw(raw: list[float]) -> float:
            return 1.0 if raw[1] > margin else 0.0

        def from_probability(prob: list[float]) -> float:
            return 1.0 if prob[1] > threshold else 0.0

        def predict(raw: list[float]) -> float:
            return 1.0 if 1.0 / (1.0 + exp_row(-raw[1])) > threshold else 0.0

        return from_raw, from_probability, predict
