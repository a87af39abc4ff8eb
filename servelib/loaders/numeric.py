"""Loaders for numeric feature transformers (scalers, imputer, bucketing, expansions)."""

from __future__ import annotations

import math

from servelib.loaders.context import StageContext
from servelib.transformers.feature.binarizer import Binarizer
from servelib.transformers.feature.bucketizer import Bucketizer
from servelib.transformers.feature.dct import DCT
from servelib.transformers.feature.elementwise_product import ElementwiseProduct
from servelib.transformers.feature.normalizer import Normalizer
from servelib.transformers.feature.polynomial_expansion import PolynomialExpansion


def load_binarizer(ctx: StageContext) -> Binarizer:
    inputs, outputs = ctx.in_out_cols()
    if ctx.meta.is_set("thresholds"):
        thresholds = tuple(float(t) for t in ctx.param("thresholds"))
    else:
        thresholds = (float(ctx.param("threshold")),) * len(inputs)
    return Binarizer(
        ctx.uid,
        input_cols=inputs,
        output_cols=outputs,
        thresholds=thresholds,
        null_gives_null=ctx.meta.version < (4, 0),  # 3.x used a UDF: null in, null out
        spark4=ctx.meta.version >= (4, 0),
        info=ctx.info(),
    )


def _double(value: object) -> float:
    """A double param as Spark's JSON writes it: a number, or "NaN"/"Inf"/"-Inf"/"Infinity"."""
    return float(value)  # type: ignore[arg-type]


def load_bucketizer(ctx: StageContext) -> Bucketizer:
    inputs, outputs = ctx.in_out_cols()
    if ctx.meta.is_set("inputCol"):
        splits = (tuple(_double(s) for s in ctx.param("splits")),)
    else:
        splits = tuple(tuple(_double(s) for s in arr) for arr in ctx.param("splitsArray"))
    if len(splits) != len(inputs) or len(outputs) != len(inputs):
        raise ctx.error(f"{len(inputs)} input columns, {len(outputs)} output columns and "
                        f"{len(splits)} split arrays")
    for arr in splits:
        if len(arr) < 3 or any(math.isnan(s) for s in arr) or any(
            a >= b for a, b in zip(arr, arr[1:])
        ):
            raise ctx.error(f"splits {list(arr)} are not >= 3 strictly increasing numbers")
    return Bucketizer(
        ctx.uid,
        input_cols=inputs,
        output_cols=outputs,
        splits=splits,
        handle_invalid=ctx.handle_invalid(),
        info=ctx.info(),
    )


def load_normalizer(ctx: StageContext) -> Normalizer:
    p = _double(ctx.param("p"))
    if not p >= 1.0:
        raise ctx.error(f"p must be >= 1, got {p}")
    return Normalizer(ctx.uid, input_col=ctx.param("inputCol"), output_col=ctx.param("outputCol"),
                      p=p, info=ctx.info())


def load_elementwise_product(ctx: StageContext) -> ElementwiseProduct:
    vec = ctx.param("scalingVec")
    try:
        values = [_double(v) for v in vec["values"]]
        if vec["type"] == 0:
            dense = [0.0] * int(vec["size"])
            for i, v in zip(vec["indices"], values):
                dense[int(i)] = v
            values = dense
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise ctx.error(f"unreadable scalingVec {vec!r}") from exc
    return ElementwiseProduct(ctx.uid, input_col=ctx.param("inputCol"),
                              output_col=ctx.param("outputCol"), scaling=tuple(values),
                              info=ctx.info(size=len(values)))


def load_polynomial_expansion(ctx: StageContext) -> PolynomialExpansion:
    degree = int(ctx.param("degree"))
    if degree < 1:
        raise ctx.error(f"degree must be >= 1, got {degree}")
    return PolynomialExpansion(ctx.uid, input_col=ctx.param("inputCol"),
                               output_col=ctx.param("outputCol"), degree=degree, info=ctx.info())


def load_dct(ctx: StageContext) -> DCT:
    return DCT(ctx.uid, input_col=ctx.param("inputCol"), output_col=ctx.param("outputCol"),
               inverse=bool(ctx.param("inverse")), info=ctx.info())
