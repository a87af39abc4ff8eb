"""Loaders for MultilayerPerceptronClassificationModel, FMClassificationModel,
FMRegressionModel, IsotonicRegressionModel and AFTSurvivalRegressionModel.

Saved data (Spark 3.x and 4.x alike): MLP ``weights: vector`` with ``layers`` a param (Spark 2.x
also wrote ``layers`` into the data row, which wins there); FM ``intercept, linear: vector,
factors: matrix`` (numFeatures x factorSize); isotonic ``boundaries, predictions: array<double>,
isotonic: bool``; AFT ``coefficients: vector, intercept, scale``.

Spark source: https://github.com/apache/spark/blob/v3.5.0/mllib/src/main/scala/org/apache/spark/ml/classification/MultilayerPerceptronClassifier.scala
(and FMClassifier.scala; regression/FMRegressor, IsotonicRegression, AFTSurvivalRegression .scala).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from servelib.loaders.classification import _columns, _thresholds
from servelib.loaders.context import StageContext
from servelib.loaders.params import BadValue, Fields, as_doubles, as_ints
from servelib.loaders.parquet import matrix_parts, vector_parts
from servelib.transformers.classification.fm import FMClassificationModel
from servelib.transformers.classification.mlp import MultilayerPerceptronClassificationModel
from servelib.transformers.regression.aft import AFTSurvivalRegressionModel, base_quantiles
from servelib.transformers.regression.fm import FMRegressionModel, FMScorer
from servelib.transformers.regression.isotonic import IsotonicRegressionModel
from servelib.transformers.regression.linear_regression import LinearPredictor

# AFTSurvivalRegression's default quantileProbabilities
_QUANTILES = (0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99)


def _data_dir(ctx: StageContext) -> str:
    return ctx.mfs.join(ctx.path, "data")


def _vector(ctx: StageContext, data: Fields, name: str) -> tuple[np.ndarray, np.ndarray | None]:
    return data.read(name, lambda v: vector_parts(v, ctx.limits.max_vector_size))


def _predictor(ctx: StageContext, data: Fields, name: str, intercept: float) -> LinearPredictor:
    """A VectorUDT of coefficients; a sparse one keeps its stored pattern (Spark's dot only
    reads stored entries)."""
    values, stored = _vector(ctx, data, name)
    return LinearPredictor.of(values, intercept, stored)


def _layers(value: Any, limit: int) -> tuple[int, ...]:
    """MultilayerPerceptronParams.layers: more than one size, every size > 0."""
    layers = as_ints(value, limit, 1, limit)
    if len(layers) < 2:
        raise BadValue(f"{list(layers)} must hold at least two sizes")
    return layers


def load_mlp(ctx: StageContext) -> MultilayerPerceptronClassificationModel:
    data = ctx.data_fields()
    limit = ctx.limits.max_vector_size
    if data.get("layers", None) is not None:  # Spark 2.x wrote layers into the data row
        layers = data.read("layers", lambda v: _layers(v, limit))
    else:
        layers = ctx.params.read("layers", lambda v: _layers(v, limit))
    weights = _vector(ctx, data, "weights")[0]
    expected = sum(a * b + b for a, b in zip(layers, layers[1:]))
    if weights.shape[0] != expected:
        raise ctx.error(f"data column 'weights' has {weights.shape[0]} entries but layers "
                        f"{list(layers)} need {expected}", _data_dir(ctx))
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
        info=ctx.info(layers=list(layers)),
    )


def _fm_scorer(ctx: StageContext) -> FMScorer:
    data = ctx.data_fields()
    factors = data.read("factors", lambda v: matrix_parts(v, ctx.limits.max_vector_size)[0])
    linear = _predictor(ctx, data, "linear", data.double("intercept"))
    if linear.size != factors.shape[0]:
        raise ctx.error(f"data column 'linear' has {linear.size} entries but 'factors' has "
                        f"{factors.shape[0]} rows", _data_dir(ctx))
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


def _regression_columns(ctx: StageContext) -> dict[str, str]:
    return {"features_col": ctx.params.string("featuresCol", "features"),
            "prediction_col": ctx.params.string("predictionCol", "prediction")}


def load_fm_regressor(ctx: StageContext) -> FMRegressionModel:
    scorer = _fm_scorer(ctx)
    return FMRegressionModel(
        ctx.uid,
        **_regression_columns(ctx),
        scorer=scorer,
        info=ctx.info(num_features=scorer.size, factor_size=int(scorer.factors.shape[1])),
    )


def load_isotonic(ctx: StageContext) -> IsotonicRegressionModel:
    data = ctx.data_fields()
    boundaries = data.doubles("boundaries", limit=ctx.limits.max_vector_size)
    predictions = data.doubles("predictions", limit=ctx.limits.max_vector_size)
    if len(boundaries) != len(predictions) or not boundaries:
        raise ctx.error(f"{len(boundaries)} boundaries and {len(predictions)} predictions: "
                        "need the same non-zero number", _data_dir(ctx))
    if not all(a <= b for a, b in zip(boundaries, boundaries[1:])) or \
            any(b != b for b in boundaries):  # a NaN compares false either way
        raise ctx.error("data column 'boundaries' must be sorted increasing, without NaN",
                        _data_dir(ctx))
    isotonic = data.boolean("isotonic", True)
    return IsotonicRegressionModel(
        ctx.uid,
        **_regression_columns(ctx),
        feature_index=ctx.params.integer("featureIndex", 0, lo=0),
        boundaries=boundaries,
        predictions=predictions,
        info=ctx.info(num_boundaries=len(boundaries), isotonic=isotonic),
    )


def _probabilities(value: Any, limit: int) -> tuple[float, ...]:
    """AFTSurvivalRegressionParams: a non-empty array, every entry in (0, 1)."""
    probabilities = as_doubles(value, limit)
    if not probabilities or not all(0.0 < q < 1.0 for q in probabilities):
        raise BadValue(f"{list(probabilities)[:10]} must be non-empty, every entry in (0, 1)")
    return probabilities


def load_aft(ctx: StageContext) -> AFTSurvivalRegressionModel:
    data = ctx.data_fields()
    predictor = _predictor(ctx, data, "coefficients", data.double("intercept"))
    scale = data.double("scale", finite=True)
    if not scale > 0.0:  # Spark saves exp(log scale)
        raise ctx.error(f"data column 'scale' must be > 0, got {scale}", _data_dir(ctx))
    quantiles_col = ctx.params.string("quantilesCol", "")
    probabilities = ctx.params.read(
        "quantileProbabilities", lambda v: _probabilities(v, ctx.limits.max_vector_size),
        _QUANTILES)
    return AFTSurvivalRegressionModel(
        ctx.uid,
        **_regression_columns(ctx),
        quantiles_col=quantiles_col,
        quantiles=base_quantiles(probabilities, scale) if quantiles_col else (),
        predictor=predictor,
        info=ctx.info(num_features=predictor.size, scale=scale),
    )
