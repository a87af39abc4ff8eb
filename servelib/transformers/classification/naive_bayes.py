"""NaiveBayesModel: multinomial, complement, bernoulli and gaussian log-likelihoods.

https://github.com/apache/spark/blob/v3.5.0/mllib/src/main/scala/org/apache/spark/ml/classification/NaiveBayes.scala
pi = log class priors, theta = per-class log conditional probabilities (means for gaussian),
sigma = per-class variances (gaussian only). rawPrediction per model type:
multinomial ``pi + theta @ x``; complement ``theta @ x`` normalised by its log-sum-exp
(max subtracted first); bernoulli ``b + (theta - log1p(-exp(theta))) @ x`` with
``b = pi + rowsum(log1p(-exp(theta)))``;
gaussian ``pi - (sum_j (x_j - theta_ij)^2 / sigma_ij + sum_j log sigma_ij) / 2`` (sequential sums;
only the first numFeatures entries are read, so Spark accepts longer vectors there).
probability = softmax(rawPrediction) for every type; prediction by the shared rule.
Multinomial and complement reject any non-zero entry that is not > 0 (negative or NaN), bernoulli
any non-zero entry that is not 1.0, with Spark's messages.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from servelib.transformers.base import invalid
from servelib.transformers.batch import Batch
from servelib.transformers.classification.common import (
    ROW_TERMS_LIMIT,
    ClassificationModel,
    compile_linear,
    exp_row,
    linear_sums,
    softmax,
)

_CHUNK = 1 << 20


class ModelType(enum.Enum):
    MULTINOMIAL = "multinomial"
    COMPLEMENT = "complement"
    BERNOULLI = "bernoulli"
    GAUSSIAN = "gaussian"


@dataclass(frozen=True)
class NaiveBayesModel(ClassificationModel):
    spark_class: ClassVar[str] = "org.apache.spark.ml.classification.NaiveBayesModel"

    probability_col: str = "probability"
    model_type: ModelType = ModelType.MULTINOMIAL
    # Precomputed by the loader: the linear form (weights, bias) for the discrete types,
    # theta/sigma/log-variance sums for gaussian.
    weights: np.ndarray = field(default_factory=lambda: np.zeros((1, 0)), compare=False)
    bias: np.ndarray = field(default_factory=lambda: np.zeros(1), compare=False)
    stored: np.ndarray | None = field(default=None, compare=False)
    intercept_first: bool = False
    sigma: np.ndarray | None = field(default=None, compare=False)
    log_var_sum: np.ndarray | None = field(default=None, compare=False)

    @classmethod
    def linear_form(
        cls, model_type: ModelType, pi: np.ndarray, theta: np.ndarray, stored: np.ndarray | None
    ) -> tuple[np.ndarray, np.ndarray]:
        """(weights, bias) Spark scores the discrete types with (its lazy vals)."""
        if model_type is ModelType.BERNOULLI:
            with np.errstate(divide="ignore", invalid="ignore"):
                neg_theta = np.log1p(-np.exp(theta))
            if stored is not None:  # Matrix.map on a sparse theta maps stored entries only
                neg_theta[~stored] = 0.0
            ones = np.ones((1, theta.shape[1]))
            bias = linear_sums(ones, neg_theta, pi, stored)[0]  # piMinusThetaSum
            return theta - neg_theta, bias  # thetaMinusNegTheta
        if model_type is ModelType.COMPLEMENT:
            return theta, np.zeros(theta.shape[0])  # theta.multiply(x): gemv with beta 0
        return theta, pi

    def accepts_size(self, size: int) -> bool:
        if self.model_type is ModelType.GAUSSIAN:
            return size >= self.num_features  # reads features(j) for j < numFeatures only
        return size == self.num_features

    def predict_raw(self, x: np.ndarray, batch: Batch) -> np.ndarray:
        if self.model_type is ModelType.GAUSSIAN:
            return self._gaussian(x[:, : self.num_features])
        self._validate(x, batch)
        raw = linear_sums(x, self.weights, self.bias, self.stored, self.intercept_first)
        if self.model_type is ModelType.COMPLEMENT:
            mx = raw.max(axis=1, keepdims=True)
            with np.errstate(invalid="ignore", divide="ignore"):
                sum_exp = np.add.accumulate(np.exp(raw - mx), axis=1)[:, -1:]
                raw = raw - (np.log(sum_exp) + mx)
        return raw

    def raw_to_probability(self, raw: np.ndarray) -> np.ndarray:
        return softmax(raw)

    def raw_row(self) -> Callable[[list[float]], list[float] | None] | None:
        """predict_raw for one row: Spark's feature check, then compile_linear (complement: the
        log-sum-exp in the batch path's order), or gaussian's sums. Rows Spark rejects, NaN
        rawPredictions (whose sign and payload only the batch path gives) and complement's
        infinities take score_columns; gaussian with a zero variance has no row path."""
        if self.model_type is ModelType.GAUSSIAN:
            return self._gaussian_row()
        linear = compile_linear(self.weights, self.bias.tolist(), self.stored,
                                self.intercept_first)
        if linear is None:
            return None
        bernoulli = self.model_type is ModelType.BERNOULLI
        complement = self.model_type is ModelType.COMPLEMENT

        def raw(x: list[float]) -> list[float] | None:
            for v in x:  # Spark's nonZeroIterator check (NaN is a non-zero, and fails both)
                if v != 0.0 and (v != 1.0 if bernoulli else not v > 0.0):
                    return None
            out = linear(x)
            if out is None or not complement:
                return out
            mx = max(out)  # no NaN in out: max and min tell whether an entry is infinite
            if not (math.isfinite(mx) and math.isfinite(min(out))):
                return None
            e = [exp_row(v - mx) for v in out]
            total = e[0]
            for v in e[1:]:
                total += v
            shift = float(np.log(total)) + mx  # NumPy's log: the batch path's bits
            return [v - shift for v in out]

        return raw

    def _gaussian_row(self) -> Callable[[list[float]], list[float] | None] | None:
        if (self.sigma is None or self.log_var_sum is None or not self.sigma.all()
                or self.sigma.size > ROW_TERMS_LIMIT):
            return None  # x / 0.0 would raise in Python; large models gain nothing
        rows = list(zip(self.weights.tolist(), self.sigma.tolist(), self.bias.tolist(),
                        self.log_var_sum.tolist()))
        rest = range(1, self.num_features)

        def raw(x: list[float]) -> list[float] | None:
            out = []
            for theta, sigma, b, log_var in rows:
                s = 0.0
                if theta:  # some features (the batch path's sum is 0.0 without)
                    diff = x[0] - theta[0]
                    s = diff * diff / sigma[0]
                    for j in rest:
                        diff = x[j] - theta[j]
                        s += diff * diff / sigma[j]
                r = b - (s + log_var) / 2
                if r != r:
                    return None
                out.append(r)
            return out

        return raw

    def _validate(self, x: np.ndarray, batch: Batch) -> None:
        nonzero = x != 0  # Spark's nonZeroIterator: NaN counts as non-zero
        if self.model_type is ModelType.BERNOULLI:
            bad = nonzero & (x != 1.0)
            what = "Bernoulli naive Bayes requires 0 or 1 feature values"
        else:
            bad = nonzero & ~(x > 0.0)
            what = "Naive Bayes requires nonnegative feature values"
        rows = bad.any(axis=1)
        if rows.any():
            i = int(np.argmax(rows))
            vec = batch.vectors(self.features_col, self.name).row(i)
            raise invalid(f"{what} but found {_spark_str(vec)}.", self, self.features_col,
                          batch, i)

    def _gaussian(self, x: np.ndarray) -> np.ndarray:
        n, d = x.shape
        c = self.weights.shape[0]
        s = np.zeros((n, c))
        if d:
            step = max(1, _CHUNK // (c * d))
            for start in range(0, n, step):
                diff = x[start : start + step, None, :] - self.weights
                terms = diff * diff / self.sigma
                s[start : start + step] = np.add.accumulate(terms, axis=2)[:, :, -1]
        return self.bias - (s + self.log_var_sum) / 2


def _spark_str(vec) -> str:
    """A vector as Spark's toString writes it (Python's float spelling)."""
    if vec is None:
        return "null"
    if hasattr(vec, "indices"):
        idx = ",".join(str(int(i)) for i in vec.indices)
        val = ",".join(repr(float(v)) for v in vec.values)
        return f"({vec.size},[{idx}],[{val}])"
    return "[" + ",".join(repr(float(v)) for v in vec.values) + "]"
