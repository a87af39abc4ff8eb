"""Loaders for the vector scalers and the Imputer: data/ vectors -> the factors Spark precomputes.

Each scaler's transform() derives its factors from the fitted vectors before scoring; we derive
the same ones, with the same float operations, once here.
"""

from __future__ import annotations


import numpy as np

from servelib.loaders.context import StageContext
from servelib.loaders.parquet import vector_parts
from servelib.transformers.feature.imputer import ImputerModel
from servelib.transformers.feature.scalers import (
    MaxAbsScalerModel,
    MinMaxScalerModel,
    RobustScalerModel,
    StandardScalerModel,
)


def _vectors(ctx: StageContext, *names: str) -> list[np.ndarray]:
    data = ctx.data_fields()
    limit = ctx.limits.max_vector_size
    vectors = [data.read(name, lambda v: vector_parts(v, limit)[0]) for name in names]
    if len({v.shape[0] for v in vectors}) != 1:
        raise ctx.error(f"data vectors {names} differ in size", ctx.mfs.join(ctx.path, "data"))
    return vectors


def _reciprocal(values: np.ndarray, where_zero: float) -> np.ndarray:
    """Spark's ``v => if (v == 0) where_zero else 1.0 / v``."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        return np.where(values == 0, where_zero, 1.0 / np.where(values == 0, 1.0, values))


def _build(cls, ctx: StageContext, n: int, shift: np.ndarray | None, scale: np.ndarray | None):
    return cls(
        ctx.uid,
        input_col=ctx.params.string("inputCol"),
        output_col=ctx.params.string("outputCol"),
        num_features=n,
        shift=shift,
        scale=scale,
        scale_finite=scale is None or bool(np.isfinite(scale).all()),
        info=ctx.info(num_features=n),
    )


def load_standard_scaler(ctx: StageContext) -> StandardScalerModel:
    std, mean = _vectors(ctx, "std", "mean")
    return _build(
        StandardScalerModel, ctx, mean.shape[0],
        shift=mean if ctx.params.boolean("withMean") else None,
        scale=_reciprocal(std, 0.0) if ctx.params.boolean("withStd") else None,
    )


def load_max_abs_scaler(ctx: StageContext) -> MaxAbsScalerModel:
    (max_abs,) = _vectors(ctx, "maxAbs")
    return _build(MaxAbsScalerModel, ctx, max_abs.shape[0], None, _reciprocal(max_abs, 1.0))


def load_robust_scaler(ctx: StageContext) -> RobustScalerModel:
    range_, median = _vectors(ctx, "range", "median")
    return _build(
        RobustScalerModel, ctx, median.shape[0],
        shift=median if ctx.params.boolean("withCentering") else None,
        scale=_reciprocal(range_, 0.0) if ctx.params.boolean("withScaling") else None,
    )


def load_min_max_scaler(ctx: StageContext) -> MinMaxScalerModel:
    original_min, original_max = _vectors(ctx, "originalMin", "originalMax")
    lo, hi = ctx.params.double("min"), ctx.params.double("max")
    if not lo < hi:  # Spark's transformSchema fails before any row is scored
        raise ctx.param_error(f"the specified min({lo}) is larger or equal to max({hi})")
    span = hi - lo
    range_ = original_max - original_min
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.where(range_ != 0, span / np.where(range_ != 0, range_, 1.0), 0.0)
    n = original_min.shape[0]
    return MinMaxScalerModel(
        ctx.uid,
        input_col=ctx.params.string("inputCol"),
        output_col=ctx.params.string("outputCol"),
        num_features=n,
        original_min=original_min,
        scale=scale,
        constant=np.flatnonzero(scale == 0),  # Spark: scaleArray(i) == 0 marks a constant feature
        min=lo,
        constant_output=(lo + hi) / 2,
        spark4_compress=ctx.meta.version >= (4, 0),  # Vector.compressed's rule changed in 4.0
        info=ctx.info(num_features=n),
    )


def load_imputer(ctx: StageContext) -> ImputerModel:
    # Spark's getInOutCols: inputCol wins when it is set explicitly.
    inputs, outputs = ctx.in_out_cols()
    # surrogateDF: one double column per input column, looked up by name (Spark does the same).
    data = ctx.data_fields()
    surrogates = [data.double(name) for name in inputs]
    missing = ctx.params.double("missingValue")  # Spark's JSON spells NaN "NaN"
    return ImputerModel(
        ctx.uid,
        input_cols=inputs,
        output_cols=outputs,
        surrogates=tuple(surrogates),
        missing_value=missing,
        info=ctx.info(
            strategy=ctx.params.string("strategy", None),
            surrogates=dict(zip(inputs, surrogates)),
            missing_value=missing,
        ),
    )
