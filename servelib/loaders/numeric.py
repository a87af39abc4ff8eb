"""Loaders for numeric feature transformers (scalers, imputer, bucketing, expansions)."""

from __future__ import annotations

import math

import numpy as np

from servelib.loaders.context import StageContext
from servelib.loaders.params import BadValue, as_doubles, show
from servelib.loaders.parquet import vector_parts
from servelib.transformers.feature.binarizer import Binarizer
from servelib.transformers.feature.bucketizer import Bucketizer
from servelib.transformers.feature.dct import DCT
from servelib.transformers.feature.elementwise_product import ElementwiseProduct
from servelib.transformers.feature.normalizer import Normalizer
from servelib.transformers.feature.polynomial_expansion import PolynomialExpansion


def load_binarizer(ctx: StageContext) -> Binarizer:
    inputs, outputs = ctx.in_out_cols()
    if ctx.meta.is_set("thresholds"):
        thresholds = ctx.params.doubles("thresholds")
        if len(thresholds) != len(inputs):  # Binarizer.transformSchema's require
            raise ctx.param_error(f"{len(thresholds)} thresholds for {len(inputs)} input columns")
    else:
        thresholds = (ctx.params.double("threshold"),) * len(inputs)
    return Binarizer(
        ctx.uid,
        input_cols=inputs,
        output_cols=outputs,
        thresholds=thresholds,
        null_gives_null=ctx.meta.version < (4, 0),  # 3.x used a UDF: null in, null out
        spark4=ctx.meta.version >= (4, 0),
        info=ctx.info(),
    )


def load_bucketizer(ctx: StageContext) -> Bucketizer:
    inputs, outputs = ctx.in_out_cols()
    if ctx.meta.is_set("inputCol"):
        splits = (ctx.params.doubles("splits"),)
    else:
        limit = ctx.limits.max_vector_size
        splits = ctx.params.read("splitsArray", lambda arrays: tuple(
            as_doubles(a, limit) for a in as_doubles_lists(arrays, len(inputs))))
    if len(splits) != len(inputs) or len(outputs) != len(inputs):
        raise ctx.param_error(f"{len(inputs)} input columns, {len(outputs)} output columns and "
                              f"{len(splits)} split arrays")
    for arr in splits:
        if len(arr) < 3 or any(math.isnan(s) for s in arr) or any(
            a >= b for a, b in zip(arr, arr[1:])
        ):
            raise ctx.param_error(f"splits {show(list(arr))} are not >= 3 strictly increasing "
                                  "numbers")
    return Bucketizer(
        ctx.uid,
        input_cols=inputs,
        output_cols=outputs,
        splits=splits,
        handle_invalid=ctx.handle_invalid(),
        info=ctx.info(),
    )


def load_normalizer(ctx: StageContext) -> Normalizer:
    p = ctx.params.double("p")
    if not p >= 1.0:
        raise ctx.param_error(f"p must be >= 1, got {p}")
    return Normalizer(ctx.uid, input_col=ctx.params.string("inputCol"),
                      output_col=ctx.params.string("outputCol"), p=p, info=ctx.info())


def load_elementwise_product(ctx: StageContext) -> ElementwiseProduct:
    values = ctx.params.read("scalingVec", lambda v: _json_vector(v, ctx.limits.max_vector_size))
    return ElementwiseProduct(ctx.uid, input_col=ctx.params.string("inputCol"),
                              output_col=ctx.params.string("outputCol"),
                              scaling=tuple(values.tolist()), info=ctx.info(size=len(values)))


def _json_vector(value: object, limit: int) -> np.ndarray:
    """A VectorUDT param as Spark's JSON writes it (``{"type": 1, "values": [...]}`` or
    ``{"type": 0, "size": n, "indices": [...], "values": [...]}``)."""
    if not isinstance(value, dict):
        raise BadValue(f"expected a vector object, got {type(value).__name__}")
    if value.get("type") == 1:
        value = {"size": None, "indices": None, **value}
    return vector_parts(value, limit)[0]


def as_doubles_lists(value: object, count: int) -> list:
    """splitsArray: one list per input column."""
    if not isinstance(value, list) or len(value) != count:
        raise BadValue(f"expected {count} lists of splits, got {type(value).__name__}"
                       f"{f' of {len(value)}' if isinstance(value, list) else ''}")
    return value


def load_polynomial_expansion(ctx: StageContext) -> PolynomialExpansion:
    degree = ctx.params.integer("degree")
    if degree < 1:
        raise ctx.param_error(f"degree must be >= 1, got {degree}")
    return PolynomialExpansion(ctx.uid, input_col=ctx.params.string("inputCol"),
                               output_col=ctx.params.string("outputCol"), degree=degree,
                               info=ctx.info())


def load_dct(ctx: StageContext) -> DCT:
    return DCT(ctx.uid, input_col=ctx.params.string("inputCol"),
               output_col=ctx.params.string("outputCol"), inverse=ctx.params.boolean("inverse"),
               info=ctx.info())
