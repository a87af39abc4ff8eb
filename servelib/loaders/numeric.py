"""Loaders for numeric feature transformers (scalers, imputer, bucketing, expansions)."""

from __future__ import annotations

from servelib.loaders.context import StageContext
from servelib.transformers.feature.binarizer import Binarizer


def load_binarizer(ctx: StageContext) -> Binarizer:
    if ctx.meta.is_set("inputCols"):
        inputs = tuple(ctx.param("inputCols"))
        outputs = tuple(ctx.param("outputCols"))
        if ctx.meta.is_set("thresholds"):
            thresholds = tuple(float(t) for t in ctx.param("thresholds"))
        else:
            thresholds = (float(ctx.param("threshold")),) * len(inputs)
    else:
        inputs, outputs = (ctx.param("inputCol"),), (ctx.param("outputCol"),)
        thresholds = (float(ctx.param("threshold")),)
    return Binarizer(
        ctx.uid,
        input_cols=inputs,
        output_cols=outputs,
        thresholds=thresholds,
        null_gives_null=ctx.meta.version < (4, 0),  # 3.x used a UDF: null in, null out
        info=ctx.info(),
    )
