"""Loaders for linear and probabilistic classifiers (LogisticRegression, LinearSVC, NaiveBayes).

Model data is read by column name. LogisticRegression: Spark >= 2.1 writes numClasses,
numFeatures, interceptVector, coefficientMatrix, isMultinomial; Spark 2.0 wrote numClasses,
numFeatures, intercept, coefficients (binomial only). LinearSVC: coefficients, intercept.
NaiveBayes: pi, theta and (Spark >= 3.0) sigma. Coefficients may be sparse (Spark compresses
them); the stored pattern is kept because Spark's sparse BLAS only touches stored entries.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from servelib.loaders.context import StageContext
from servelib.loaders.params import BadValue, Fields, as_doubles
from servelib.loaders.parquet import matrix_parts, vector_parts
from servelib.transformers.classification.linear_svc import LinearSVCModel
from servelib.transformers.classification.logistic_regression import (
    LogisticRegressionModel,
)
from servelib.transformers.classification.naive_bayes import ModelType, NaiveBayesModel


def _matrix(ctx: StageContext, data: Fields, name: str
            ) -> tuple[np.ndarray, np.ndarray | None, bool]:
    """A MatrixUDT column -> (dense values, stored pattern or None when dense, is CSC)."""
    item = data.get(name)
    dense, stored = data.read(name, lambda v: matrix_parts(v, ctx.limits.max_vector_size))
    return dense, stored, item["type"] == 0 and not item["isTransposed"]


def _vector(ctx: StageContext, data: Fields, name: str) -> tuple[np.ndarray, np.ndarray | None]:
    """A VectorUDT column -> (dense values, stored pattern or None when dense)."""
    values, indices = data.read(name, lambda v: vector_parts(v, ctx.limits.max_vector_size))
    if indices is None:
        return values, None
    stored = np.zeros(values.shape[0], dtype=bool)
    stored[indices] = True
    return values, (None if stored.all() else stored)


def _dense(ctx: StageContext, data: Fields, name: str) -> np.ndarray:
    return data.read(name, lambda v: vector_parts(v, ctx.limits.max_vector_size)[0])


def _check_thresholds(value: object, limit: int) -> tuple[float, ...]:
    """HasThresholds' validator: every entry >= 0, at most one 0."""
    ts = as_doubles(value, limit)
    if not all(t >= 0 for t in ts) or ts.count(0.0) > 1:
        raise BadValue(f"thresholds must be >= 0 with at most one 0, got {list(ts)[:10]}")
    return ts


def _columns(ctx: StageContext, probabilistic: bool = True) -> dict[str, Any]:
    cols = {
        "features_col": ctx.params.string("featuresCol", "features"),
        "prediction_col": ctx.params.string("predictionCol", "prediction"),
        "raw_prediction_col": ctx.params.string("rawPredictionCol", "rawPrediction"),
    }
    if probabilistic:
        cols["probability_col"] = ctx.params.string("probabilityCol", "probability")
    return cols


def _thresholds(ctx: StageContext, num_classes: int) -> tuple[float, ...] | None:
    if not ctx.meta.has("thresholds"):
        return None
    ts = _thresholds_param(ctx)
    if len(ts) != num_classes:  # Spark's transform() fails this require on every call
        raise ctx.param_error(f"thresholds has length {len(ts)} but numClasses={num_classes}")
    return ts


def _thresholds_param(ctx: StageContext) -> tuple[float, ...]:
    return ctx.params.read("thresholds", lambda v: _check_thresholds(v, ctx.limits.max_vector_size))


def _threshold_from_thresholds(ctx: StageContext) -> float:
    ts = np.asarray(_thresholds_param(ctx), dtype=np.float64)
    if len(ts) != 2:
        raise ctx.param_error("getThreshold only applies to binary classification, "
                              f"but thresholds has length {len(ts)}")
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(1.0 / (1.0 + ts[0] / ts[1]))


def _check_threshold_consistency(ctx: StageContext) -> None:
    """checkThresholdConsistency, which Spark runs on every transform."""
    if ctx.meta.is_set("threshold") and ctx.meta.is_set("thresholds"):
        t = _threshold_from_thresholds(ctx)
        if not abs(ctx.params.double("threshold", lo=0.0, hi=1.0) - t) < 1e-5:
            raise ctx.param_error(f"inconsistent threshold and thresholds (equivalent to {t})")


def _binary_threshold(ctx: StageContext) -> tuple[float, float]:
    """LogisticRegressionModel's cached _binaryThresholds: (getThreshold, its margin)."""
    if ctx.meta.is_set("thresholds"):
        t = _threshold_from_thresholds(ctx)
    else:
        t = ctx.params.double("threshold", 0.5, lo=0.0, hi=1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        if t == 0.0:
            return t, -np.inf
        if t == 1.0:
            return t, np.inf
        return t, float(np.log(np.float64(t) / (1.0 - np.float64(t))))


def load_logistic_regression(ctx: StageContext) -> LogisticRegressionModel:
    data = ctx.data_fields()
    data_dir = ctx.mfs.join(ctx.path, "data")
    num_classes = data.integer("numClasses", lo=1, hi=ctx.limits.max_vector_size)
    stored, csc = None, False
    if data.has("coefficientMatrix"):
        coef, stored, csc = _matrix(ctx, data, "coefficientMatrix")
        intercepts = _dense(ctx, data, "interceptVector")
        multinomial = data.boolean("isMultinomial")
    else:  # Spark 2.0 layout: binomial only
        vec, vstored = _vector(ctx, data, "coefficients")
        coef = vec[None, :]
        stored = None if vstored is None else vstored[None, :]
        intercepts = np.array([data.double("intercept")])
        multinomial = False
    if coef.shape[0] != intercepts.shape[0]:
        raise ctx.error(f"coefficientMatrix has {coef.shape[0]} rows but "
                        f"interceptVector has {intercepts.shape[0]} entries", data_dir)
    if coef.shape[0] != (num_classes if multinomial else 1):
        raise ctx.error(f"coefficientMatrix has {coef.shape[0]} rows for numClasses="
                        f"{num_classes} ({'multinomial' if multinomial else 'binomial'})",
                        data_dir)
    if data.integer("numFeatures", coef.shape[1]) != coef.shape[1]:
        raise ctx.error(f"numFeatures={data.get('numFeatures')} but the coefficients have "
                        f"{coef.shape[1]} columns", data_dir)
    _check_threshold_consistency(ctx)
    threshold, margin = (0.5, 0.0) if multinomial else _binary_threshold(ctx)
    thresholds = _thresholds(ctx, num_classes) if ctx.meta.is_set("thresholds") else None
    return LogisticRegressionModel(
        ctx.uid,
        **_columns(ctx),
        num_classes=num_classes,
        num_features=int(coef.shape[1]),
        thresholds=thresholds,
        multinomial=multinomial,
        coefficients=coef,
        intercepts=intercepts,
        stored=stored,
        intercept_first=multinomial and csc,  # binomial always uses BLAS.dot: sum, then + b
        threshold=threshold,
        margin_threshold=margin,
        info=ctx.info(num_classes=num_classes, num_features=int(coef.shape[1]),
                      multinomial=multinomial),
    )


def load_linear_svc(ctx: StageContext) -> LinearSVCModel:
    data = ctx.data_fields()
    coef, stored = _vector(ctx, data, "coefficients")
    return LinearSVCModel(
        ctx.uid,
        **_columns(ctx, probabilistic=False),
        probability_col="",
        num_classes=2,
        num_features=int(coef.shape[0]),
        coefficients=coef[None, :],
        intercepts=np.array([data.double("intercept")]),
        stored=None if stored is None else stored[None, :],
        threshold=ctx.params.double("threshold", 0.0),
        info=ctx.info(num_features=int(coef.shape[0])),
    )


def load_naive_bayes(ctx: StageContext) -> NaiveBayesModel:
    data = ctx.data_fields()
    data_dir = ctx.mfs.join(ctx.path, "data")
    model_type = ModelType(ctx.params.string("modelType", "multinomial",
                                             choices=tuple(m.value for m in ModelType)))
    pi = _dense(ctx, data, "pi")
    theta, stored, csc = _matrix(ctx, data, "theta")
    num_classes, num_features = theta.shape
    if pi.shape[0] != num_classes:
        raise ctx.error(f"pi has {pi.shape[0]} entries but theta has {num_classes} rows", data_dir)
    kw: dict[str, Any] = {}
    if model_type is ModelType.GAUSSIAN:
        sigma = _matrix(ctx, data, "sigma")[0]
        if sigma.shape != theta.shape:
            raise ctx.error(f"sigma has shape {sigma.shape} but theta has {theta.shape}", data_dir)
        with np.errstate(divide="ignore", invalid="ignore"):
            log_var = np.log(sigma)
        kw.update(weights=theta, bias=pi, sigma=sigma,
                  log_var_sum=(np.add.accumulate(log_var, axis=1)[:, -1] if num_features
                               else np.zeros(num_classes)))
    else:
        weights, bias = NaiveBayesModel.linear_form(model_type, pi, theta, stored)
        kw.update(weights=weights, bias=bias, stored=stored, intercept_first=csc)
    return NaiveBayesModel(
        ctx.uid,
        **_columns(ctx),
        num_classes=int(pi.shape[0]),
        num_features=int(num_features),
        thresholds=_thresholds(ctx, int(pi.shape[0])),
        model_type=model_type,
        **kw,
        info=ctx.info(model_type=model_type.value, num_classes=int(pi.shape[0]),
                      num_features=int(num_features)),
    )
