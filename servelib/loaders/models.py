"""Loaders for MultilayerPerceptronClassificationModel, FMClassificationModel,
FMRegressionModel, IsotonicRegressionModel and AFTSurvivalRegressionModel.

Saved data (Spark 3.x and 4.x alike): MLP ``weights: vector`` with ``layers`` a param (Spark 2.x
also wrote ``layers`` into the data row, which wins there); FM ``intercept, linear: vector,
factors: matrix`` (numFeatures x factorSize); isotonic ``boundaries, predictions: array<double>,
isotonic: bool``; AFT ``coefficients: vector, intercept, scale``.
"""

from __future__ import annotations

from typing import Any

from servelib.loaders.classification import _columns, _thresholds
from servelib.loaders.context import StageContext
from servelib.loaders.parquet import field, to_matrix, to_vector
from servelib.transformers.classification.fm import FMClassificationModel
from servelib.transformers.classification.mlp import MultilayerPerceptronClassificationModel
from servelib.transformers.regression.aft import AFTSurvivalRegressionModel, base_quantiles
from servelib.transformers.regression.fm import FMRegressionModel, FMScorer
from servelib.transformers.regression.isotonic import IsotonicRegressionModel
from servelib.transformers.regression.linear_regression import LinearPredictor
from servelib.vectors import SparseVector, vector_from_struct


def _predictor(ctx: StageContext, item: Any, intercept: float) -> LinearPredictor:
    """A VectorUDT of coefficients; a sparse one keeps its stored pattern (Spark's dot only
    reads stored entries)."""
    values = to_vector(item, ctx.path)
    vec = vector_from_struct(item)
    stored = vec.indices if isinstance(vec, SparseVector) else None
    return LinearPredictor.of(values, intercept, stored)


def load_mlp(ctx: StageContext) -> MultilayerPerceptronClassificationModel:
    row = ctx.data_row()
    layers = [int(n) for n in (row.get("layers") or ctx.param("layers"))]
    weights = to_vector(field(row, "weights", ctx.path), ctx.path)
    if len(layers) < 2 or min(layers) < 1:
        raise ctx.error(f"layers {layers} must hold at least two positive sizes")
    expected = sum(a * b + b for a, b in zip(layers, layers[1:]))
    if weights.shape[0] != expected:
        raise ctx.error(f"weights has {weights.shape[0]} entries but layers {layers} need "
                        f"{expected}")
    built, offset = [], 0
    for n_in, n_out in zip(layers, layers[1:]):
        w = weights[offset: offset + n_in * n_out].reshape(n_in, n_out).T.copy()  # column-major
        offset += n_in * n_out
        b = weights[offset: offset + n_out].copy()
        offset += n_out
        built.append((w, b))
    return MultilayerPerceptronClassificationModel(
        ctx.uid,
        **_columns(ctx),
        num_classes=layers[-1],
        num_features=layers[0],
        thresholds=_thresholds(ctx, layers[-1]),
        layers=tuple(built),
        info=ctx.info(layers=layers),
    )


def _fm_scorer(ctx: StageContext) -> FMScorer:
    row = ctx.data_row()
    factors = to_matrix(field(row, "factors", ctx.path), ctx.path)
    linear = _predictor(ctx, field(row, "linear", ctx.path), float(field(row, "intercept",
                                                                           ctx.path)))
    if linear.size != factors.shape[0]:
        raise ctx.error(f"linear has {linear.size} entries but factors has "
                        f"{factors.shape[0]} rows")
    return FMScorer(linear, factors)


def load_fm_classifier(ctx: StageContext) -> FMClassificationModel:
    scorer = _fm_scorer(ctx)
    return FMClassificationModel(
        ctx.uid,
        **_columns(ctx),
        num_classes=2,
        num_features=scorer.size,
        thresholds=_thresholds(ctx, 2),
        scorer=scorer,
        info=ctx.info(num_features=scorer.size, factor_size=int(scorer.factors.shape[1])),
    )


def load_fm_regressor(ctx: StageContext) -> FMRegressionModel:
    scorer = _fm_scorer(ctx)
    return FMRegressionModel(
        ctx.uid,
        features_col=ctx.param("featuresCol", "features"),
        prediction_col=ctx.param("predictionCol", "prediction"),
        scorer=scorer,
        info=ctx.info(num_features=scorer.size, factor_size=int(scorer.factors.shape[1])),
    )


def load_isotonic(ctx: StageContext) -> IsotonicRegressionModel:
    row = ctx.data_row()
    boundaries = tuple(float(b) for b in field(row, "boundaries", ctx.path))
    predictions = tuple(float(p) for p in field(row, "predictions", ctx.path))
    if len(boundaries) != len(predictions) or not boundaries:
        raise ctx.error(f"{len(boundaries)} boundaries and {len(predictions)} predictions: "
                        "need the same non-zero number")
    if any(b < a for a, b in zip(boundaries, boundaries[1:])):
        raise ctx.error("boundaries must be sorted increasing")
    index = int(ctx.param("featureIndex", 0))
    if index < 0:
        raise ctx.error(f"featureIndex must be >= 0, got {index}")
    return IsotonicRegressionModel(
        ctx.uid,
        features_col=ctx.param("featuresCol", "features"),
        prediction_col=ctx.param("predictionCol", "prediction"),
        feature_index=index,
        boundaries=boundaries,
        predictions=predictions,
        info=ctx.info(num_boundaries=len(boundaries), isotonic=bool(row.get("isotonic", True))),
    )


def load_aft(ctx: StageContext) -> AFTSurvivalRegressionModel:
    row = ctx.data_row()
    predictor = _predictor(ctx, field(row, "coefficients", ctx.path),
                           float(field(row, "intercept", ctx.path)))
    scale = float(field(row, "scale", ctx.path))
    quantiles_col = ctx.param("quantilesCol", "") or ""
    probabilities = [float(q) for q in ctx.param("quantileProbabilities", [])]
    if any(not 0.0 < q < 1.0 for q in probabilities):
        raise ctx.error(f"quantileProbabilities {probabilities} must lie in (0, 1)")
    return AFTSurvivalRegressionModel(
        ctx.uid,
        features_col=ctx.param("featuresCol", "features"),
        prediction_col=ctx.param("predictionCol", "prediction"),
        quantiles_col=quantiles_col,
        quantiles=base_quantiles(probabilities, scale) if quantiles_col else (),
        predictor=predictor,
        info=ctx.info(num_features=predictor.size, scale=scale),
    )
