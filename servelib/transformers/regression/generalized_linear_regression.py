"""GeneralizedLinearRegressionModel: project(unlink(dot(features, coef) + intercept + offset)).

https://github.com/apache/spark/blob/v3.5.0/mllib/src/main/scala/org/apache/spark/ml/regression/GeneralizedLinearRegression.scala
``predictLink`` is ``BLAS.dot(features, coefficients) + intercept + offset`` (left to right; the
dot as in linear_regression.py); ``fitted(eta) = family.project(link.unlink(eta))``. The offset
is ``col(offsetCol).cast(double)`` or 0.0 when offsetCol is unset or empty. Both outputs are
Scala UDFs over ``(features: Vector, offset: Double)``: a null offset (a primitive argument) makes
Spark return null without calling the function, so that row's outputs are null even when its
features are null or of the wrong size; otherwise a null vector or a size mismatch fails. When
``linkPredictionCol`` is set Spark computes the prediction from that column (same value).

Inverse links, copied from Spark: identity ``eta``; log ``exp(eta)``; inverse ``1 / eta``; sqrt
``eta * eta``; logit ``1 / (1 + exp(-1 * eta))``; cloglog ``1 - exp(-1 * exp(eta))`` with the C
library's exp (below); power(p)
``pow(eta, 1 / p)`` (p = 0: ``exp``); probit is breeze ``Gaussian(0, 1).cdf(eta)`` =
``0.5 * (1 + erf(eta / sqrt(2)))`` with commons-math ``Erf.erf``. We compute that same expression
with the C library's erf, not an accurate normal CDF (scipy's ``ndtr``): in the lower tail Spark's
``1 + erf`` cancels, and only the same expression lands on the same double. Checked against the
JVM's ``Erf.erf`` on 5,900 points in [-40, 40]: the libraries' erf differ by an ulp at times,
the probit mean by at most 1.3e-13 relative; breeze's ``cdf`` equals the expression exactly.
cloglog's ``1 - exp(x)`` cancels for very negative eta (x = -exp(eta) ~ -1e-11): one ulp of
``exp(x)`` near 1.0 is ~1e-5 of mu, so only the JVM's exact bits match Spark there. HotSpot's
``Math.exp`` (its x86-64 intrinsic) agreed with glibc's ``exp`` on all of 15,000 random etas in
[-38, -10] (mu from 0 to 4.5e-5), while NumPy's own exp loop (SIMD, not correctly rounded) gave
another mu on 1,600 of them: cloglog calls libm, element by element, in both paths.
Projection (clamping) by family: gaussian maps -inf/+inf to -/+Double.MaxValue; binomial clamps
to [1e-16, 1 - 1e-16]; poisson, gamma and tweedie raise values below 1e-16 to 1e-16 and +inf to
Double.MaxValue. NaN passes through all of them.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from servelib.transformers.attributes import Attribute, Attrs
from servelib.transformers.base import ABSENT, OnlineTransformer, RowKernel, Scored
from servelib.transformers.batch import Batch
from servelib.transformers.classification.common import exp_row
from servelib.transformers.regression.linear_regression import LinearPredictor
from servelib.vectors import row_values

EPSILON = 1e-16  # GeneralizedLinearRegression.epsilon
DOUBLE_MAX = np.finfo(np.float64).max
_INT64 = 1 << 63  # ints in int64's range: a row's int offset column is an int64 array
_SQRT2 = math.sqrt(2.0)  # breeze Gaussian's sqrt2 = scala.math.sqrt(2.0)
_erf = np.frompyfunc(math.erf, 1, 1)


def _libm_exp(x: float) -> float:
    """The C library's exp (as the JVM's Math.exp, see the docstring); inf where math.exp raises."""
    try:
        return math.exp(x)
    except OverflowError:
        return math.inf


def _cloglog_row(eta: float) -> float:
    return 1.0 - _libm_exp(-1.0 * _libm_exp(eta))


_cloglog = np.frompyfunc(_cloglog_row, 1, 1)


class Link(enum.Enum):
    IDENTITY = "identity"
    LOG = "log"
    INVERSE = "inverse"
    SQRT = "sqrt"
    LOGIT = "logit"
    PROBIT = "probit"
    CLOGLOG = "cloglog"
    POWER = "power"  # Tweedie's Power(linkPower) for any other linkPower


class Projection(enum.Enum):
    """Which family's ``project`` Spark applies."""

    GAUSSIAN = "gaussian"
    BINOMIAL = "binomial"
    TWEEDIE = "tweedie"  # also Poisson and Gamma, which inherit Tweedie's project


def unlink(link: Link, eta: np.ndarray, power: float = 1.0) -> np.ndarray:
    """Spark's ``Link.unlink`` element-wise; inf/NaN follow IEEE like the JVM's doubles."""
    if link is Link.IDENTITY:
        return eta
    if link is Link.LOG or (link is Link.POWER and power == 0.0):
        return np.exp(eta)
    if link is Link.INVERSE:
        return 1.0 / eta
    if link is Link.SQRT:
        return eta * eta
    if link is Link.LOGIT:
        return 1.0 / (1.0 + np.exp(-1.0 * eta))
    if link is Link.CLOGLOG:
        return _cloglog(eta).astype(np.float64)
    if link is Link.PROBIT:
        # breeze: 0.5 * (1 + erf((x - mu) / (sqrt2 * sigma))) with mu = 0, sigma = 1
        return 0.5 * (1.0 + _erf((eta - 0.0) / (_SQRT2 * 1.0)).astype(np.float64))
    return np.power(eta, 1.0 / power)


def project(projection: Projection, mu: np.ndarray) -> np.ndarray:
    if projection is Projection.GAUSSIAN:
        return np.where(np.isinf(mu), np.copysign(DOUBLE_MAX, mu), mu)
    if projection is Projection.BINOMIAL:
        return np.where(mu < EPSILON, EPSILON, np.where(mu > 1.0 - EPSILON, 1.0 - EPSILON, mu))
    return np.where(mu < EPSILON, EPSILON, np.where(np.isinf(mu), DOUBLE_MAX, mu))


def unlink_row(link: Link, power: float = 1.0) -> Callable[[float], float]:
    """:func:`unlink` for one Python float: the same operations; exp and pow through NumPy
    (its bits, which libm's may not be), erf is math.erf there too; 1 / ±0.0 is NumPy's ±inf."""
    if link is Link.IDENTITY:
        return lambda eta: eta
    if link is Link.LOG or (link is Link.POWER and power == 0.0):
        return exp_row
    if link is Link.INVERSE:
        return lambda eta: 1.0 / eta if eta else math.copysign(math.inf, eta)
    if link is Link.SQRT:
        return lambda eta: eta * eta
    if link is Link.LOGIT:
        return lambda eta: 1.0 / (1.0 + exp_row(-1.0 * eta))
    if link is Link.CLOGLOG:
        return _cloglog_row
    if link is Link.PROBIT:
        return lambda eta: 0.5 * (1.0 + math.erf((eta - 0.0) / (_SQRT2 * 1.0)))
    inverse = 1.0 / power

    def power_row(eta: float) -> float:
        with np.errstate(all="ignore"):  # negative bases, 0 ** -p, overflow: IEEE results
            return float(np.power(np.array([eta]), inverse)[0])  # as the batch path calls it

    return power_row


def project_row(projection: Projection) -> Callable[[float], float]:
    """:func:`project` for one Python float (NaN passes through)."""
    top, inf = float(DOUBLE_MAX), math.inf
    if projection is Projection.GAUSSIAN:
        return lambda mu: math.copysign(top, mu) if mu == inf or mu == -inf else mu
    if projection is Projection.BINOMIAL:
        high = 1.0 - EPSILON
        return lambda mu: EPSILON if mu < EPSILON else high if mu > high else mu
    return lambda mu: EPSILON if mu < EPSILON else top if mu == inf else mu


@dataclass(frozen=True)
class GeneralizedLinearRegressionModel(OnlineTransformer):
    spark_class: ClassVar[str] = "org.apache.spark.ml.regression.GeneralizedLinearRegressionModel"

    features_col: str = "features"
    prediction_col: str = "prediction"  # "" writes no prediction
    link_prediction_col: str = ""  # "" writes no linear predictor
    offset_col: str = ""  # "" means offset 0.0
    link: Link = Link.IDENTITY
    link_power: float = 1.0  # only for Link.POWER
    projection: Projection = Projection.GAUSSIAN
    predictor: LinearPredictor = field(default_factory=lambda: LinearPredictor.of(np.zeros(0), 0.0))

    def input_columns(self) -> Sequence[str]:
        if not self.output_columns():
            return ()
        return (self.features_col, self.offset_col) if self.offset_col else (self.features_col,)

    def output_columns(self) -> Sequence[str]:
        return tuple(c for c in (self.link_prediction_col, self.prediction_col) if c)

    def output_attributes(self, attrs: Attrs) -> Attrs:
        # both columns get a nameless NumericAttribute (SchemaUtils.updateNumeric)
        return {c: Attribute("numeric") for c in self.output_columns()}

    def score_columns(self, batch: Batch) -> Scored:
        if not self.output_columns():
            return Scored({})
        col = batch.vectors(self.features_col, self.name)
        null_offset = None
        if self.offset_col:
            offset, null_offset = batch.floats(self.offset_col, self.name)
        live = None if null_offset is None else ~null_offset
        self.predictor.check(self, col, self.features_col, batch, live)
        with np.errstate(all="ignore"):  # overflow, 1/0, pow of negatives: IEEE as on the JVM
            eta = self.predictor.predict(col)
            if self.offset_col:
                eta = eta + offset
            mu = project(self.projection, unlink(self.link, eta, self.link_power))
        out = {}
        if self.link_prediction_col:
            out[self.link_prediction_col] = _with_nulls(eta, null_offset)
        if self.prediction_col:
            out[self.prediction_col] = _with_nulls(mu, null_offset)
        return Scored(out)

    def row_kernel(self) -> RowKernel | None:
        """eta in plain Python (LinearPredictor.row_predict), then unlink_row and project_row;
        an offset that is null or not a float or int64, a NaN eta, null vectors, sizes Spark
        rejects and NaN/inf coefficients take score_columns."""
        if not self.output_columns():
            return lambda values: True  # score_columns reads nothing
        predict = self.predictor.row_predict()
        if predict is None:
            return None
        unlink, project = unlink_row(self.link, self.link_power), project_row(self.projection)
        features, offset_col, size = self.features_col, self.offset_col, self.predictor.size
        link_col, pred_col = self.link_prediction_col, self.prediction_col

        def score(values: dict) -> bool:
            x = row_values(values.get(features))
            if x is None or len(x) != size:
                return False
            eta = predict(x)
            if eta is None:
                return False
            if offset_col:
                offset = values.get(offset_col, ABSENT)
                if offset.__class__ is int and -_INT64 <= offset < _INT64:
                    offset = float(offset)  # NumPy's int64 -> float64: the same rounding
                elif offset.__class__ is not float:
                    return False
                eta = eta + offset
                if eta != eta:  # a NaN offset: its sign and payload come from the batch path
                    return False
            if link_col:
                values[link_col] = eta
            if pred_col:
                values[pred_col] = project(unlink(eta))
            return True

        return score


def _with_nulls(values: np.ndarray, null: np.ndarray | None) -> np.ndarray:
    if null is None:
        return values
    out = values.astype(object)
    out[null] = None
    return out
