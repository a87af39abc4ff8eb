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
from servelib.loaders.parquet import field, to_matrix, to_vector
from servelib.transformers.classification.linear_svc import LinearSVCModel
from servelib.transformers.classification.logistic_regression import (
    LogisticRegressionModel,
)
from servelib.transformers.classification.naive_bayes import ModelType, NaiveBayesModel


def _matrix(item: Any, path: str) -> tuple[np.ndarray, np.ndarray | None, bool]:
    """A MatrixUDT struct -> (dense values, stored pattern or None when dense, is CSC)."""
    dense = to_matrix(item, path)
    if item["type"] == 1:
        return dense, None, False
    transposed = bool(item.get("isTransposed"))
    ptrs, idx = item["colPtrs"] or [], item["rowIndices"] or []
    stored = np.zeros(dense.shape, dtype=bool)
    for outer in range(len(ptrs) - 1):
        inner = idx[ptrs[outer] : ptrs[outer + 1]]
        if transposed:
            stored[outer, inner] = True
        else:
            stored[inner, outer] = True
    return dense, (None if stored.all() else stored), not transposed


def _vector(item: Any, path: str) -> tuple[np.ndarray, np.ndarray | None]:
    """A VectorUDT struct -> (dense values, stored pattern or None when dense)."""
    values = to_vector(item, path)
    if item["type"] == 1:
        return values, None
    stored = np.zeros(values.shape[0], dtype=bool)
    stored[list(item["indices"] or [])] = True
    return values, (None if stored.all() else stored)


def _columns(ctx: StageContext, probabilistic: bool = True) -> dict[str, Any]:
    cols = {
        "features_col": ctx.param("featuresCol", "features"),
        "prediction_col": ctx.param("predictionCol", "prediction"),
        "raw_prediction_col": ctx.param("rawPredictionCol", "rawPrediction"),
    }
    if probabilistic:
        cols["probability_col"] = ctx.param("probabilityCol", "probability")
    return cols


def _thresholds(ctx: StageContext, num_classes: int) -> tuple[float, ...] | None:
    if not ctx.meta.has("thresholds"):
        return None
    ts = tuple(float(t) for t in ctx.param("thresholds"))
    if len(ts) != num_classes:  # Spark's transform() fails this require on every call
        raise ctx.error(f"thresholds has length {len(ts)} but numClasses={num_classes}")
    return ts


def _threshold_from_thresholds(ctx: StageContext) -> float:
    ts = np.asarray(ctx.param("thresholds"), dtype=np.float64)
    if len(ts) != 2:
        raise ctx.error("getThreshold only applies to binary classification, "
                        f"but thresholds has length {len(ts)}")
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(1.0 / (1.0 + ts[0] / ts[1]))


def _check_threshold_consistency(ctx: StageContext) -> None:
    """checkThresholdConsistency, which Spark runs on every transform."""
    if ctx.meta.is_set("threshold") and ctx.meta.is_set("thresholds"):
        t = _threshold_from_thresholds(ctx)
        if not abs(float(ctx.param("threshold")) - t) < 1e-5:
            raise ctx.error(f"inconsistent threshold and thresholds (equivalent to {t})")


def _binary_threshold(ctx: StageContext) -> tuple[float, float]:
    """LogisticRegressionModel's cached _binaryThresholds: (getThreshold, its margin)."""
    if ctx.meta.is_set("thresholds"):
        t = _threshold_from_thresholds(ctx)
    else:
        t = float(ctx.param("threshold", 0.5))
    with np.errstate(divide="ignore", invalid="ignore"):
        if t == 0.0:
            return t, -np.inf
        if t == 1.0:
            return t, np.inf
        return t, float(np.log(np.float64(t) / (1.0 - np.float64(t))))


def load_logistic_regression(ctx: StageContext) -> LogisticRegressionModel:
    row = ctx.data_row()
    path = ctx.path
    num_classes = int(field(row, "numClasses", path))
    stored, csc = None, False
    if "coefficientMatrix" in row:
        coef, stored, csc = _matrix(field(row, "coefficientMatrix", path), path)
        intercepts = to_vector(field(row, "interceptVector", path), path)
        multinomial = bool(field(row, "isMultinomial", path))
    else:  # Spark 2.0 layout: binomial only
        vec, vstored = _vector(field(row, "coefficients", path), path)
        coef = vec[None, :]
        stored = None if vstored is None else vstored[None, :]
        intercepts = np.array([float(field(row, "intercept", path))])
        multinomial = False
    if coef.shape[0] != intercepts.shape[0]:
        raise ctx.error(f"coefficientMatrix has {coef.shape[0]} rows but "
                        f"interceptVector has {intercepts.shape[0]} entries")
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
    row = ctx.data_row()
    coef, stored = _vector(field(row, "coefficients", ctx.path), ctx.path)
    return LinearSVCModel(
        ctx.uid,
        **_columns(ctx, probabilistic=False),
        probability_col="",
        num_classes=2,
        num_features=int(coef.shape[0]),
        coefficients=coef[None, :],
        intercepts=np.array([float(field(row, "intercept", ctx.path))]),
        stored=None if stored is None else stored[None, :],
        threshold=float(ctx.param("threshold", 0.0)),
        info=ctx.info(num_features=int(coef.shape[0])),
    )


def load_naive_bayes(ctx: StageContext) -> NaiveBayesModel:
    row = ctx.data_row()
    path = ctx.path
    name = ctx.param("modelType", "multinomial")
    try:
        model_type = ModelType(name)
    except ValueError as exc:
        raise ctx.error(f"unknown modelType {name!r}") from exc
    pi = to_vector(field(row, "pi", path), path)
    theta, stored, csc = _matrix(field(row, "theta", path), path)
    num_classes, num_features = theta.shape
    kw: dict[str, Any] = {}
    if model_type is ModelType.GAUSSIAN:
        sigma = to_matrix(field(row, "sigma", path), path)
        if sigma.shape != theta.shape:
            raise ctx.error(f"sigma has shape {sigma.shape} but theta has {theta.shape}")
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
