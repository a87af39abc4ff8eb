"""Loaders for vector assembly and slicing: VectorAssembler, VectorSlicer, VectorSizeHint,
Interaction. All four are plain Transformers (params only, no data/ folder), saved the same way
by Spark 3.5 and 4.x. Version branch: ``spark4`` picks Spark 4's ``Vector.compressed`` rule for
the assembled/interacted vectors' dense-or-sparse form."""

from __future__ import annotations

from servelib.loaders.context import StageContext
from servelib.loaders.params import show
from servelib.transformers.feature.interaction import Interaction
from servelib.transformers.feature.vector_assembler import VectorAssembler
from servelib.transformers.feature.vector_size_hint import MODES, VectorSizeHint
from servelib.transformers.feature.vector_slicer import VectorSlicer


def load_vector_assembler(ctx: StageContext) -> VectorAssembler:
    return VectorAssembler(
        ctx.uid,
        input_cols=ctx.params.strings("inputCols"),
        output_col=ctx.params.string("outputCol"),
        handle_invalid=ctx.handle_invalid("error"),
        spark4=_spark4(ctx),
        info=ctx.info(),
    )


def load_vector_slicer(ctx: StageContext) -> VectorSlicer:
    indices = ctx.params.integers("indices", ())
    names = ctx.params.strings("names", ())
    if not indices and not names:
        raise ctx.param_error("VectorSlicer requires that at least one feature be selected.")
    if len(set(indices)) != len(indices) or any(i < 0 for i in indices):
        raise ctx.param_error(f"invalid indices {show(list(indices))}: must be distinct and "
                              "non-negative")
    if len(set(names)) != len(names) or not all(names):
        raise ctx.param_error(f"invalid names {show(list(names))}: must be distinct and non-empty")
    return VectorSlicer(
        ctx.uid,
        input_col=ctx.params.string("inputCol"),
        output_col=ctx.params.string("outputCol"),
        indices=indices,
        names=names,
        info=ctx.info(),
    )


def load_vector_size_hint(ctx: StageContext) -> VectorSizeHint:
    mode = ctx.params.string("handleInvalid", "error", choices=tuple(MODES))
    size = ctx.params.integer("size", lo=0)  # no default in Spark: unset fails its transform too
    return VectorSizeHint(ctx.uid, input_col=ctx.params.string("inputCol"), size=size,
                          handle_invalid=mode, info=ctx.info())


def load_interaction(ctx: StageContext) -> Interaction:
    inputs = ctx.params.strings("inputCols")
    if not inputs or len(set(inputs)) != len(inputs):
        raise ctx.param_error("Input cols must be non-empty and distinct, got "
                              f"{show(list(inputs))}")
    return Interaction(ctx.uid, input_cols=inputs, output_col=ctx.params.string("outputCol"),
                       spark4=_spark4(ctx), info=ctx.info())


def _spark4(ctx: StageContext) -> bool:
    """Spark 4.0 changed ``Vector.compressed`` (sparse iff 12 * nnz + 28 < 8 * size + 12)."""
    return ctx.meta.version >= (4, 0)
