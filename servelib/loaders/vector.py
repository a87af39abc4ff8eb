"""Loaders for vector assembly and slicing: VectorAssembler, VectorSlicer, VectorSizeHint,
Interaction. All four are plain Transformers (params only, no data/ folder), saved the same way
by Spark 3.5 and 4.x. Version branch: ``spark4`` picks Spark 4's ``Vector.compressed`` rule for
the assembled/interacted vectors' dense-or-sparse form."""

from __future__ import annotations

from servelib.loaders.context import StageContext
from servelib.transformers.feature.interaction import Interaction
from servelib.transformers.feature.vector_assembler import VectorAssembler
from servelib.transformers.feature.vector_size_hint import MODES, VectorSizeHint
from servelib.transformers.feature.vector_slicer import VectorSlicer


def load_vector_assembler(ctx: StageContext) -> VectorAssembler:
    return VectorAssembler(
        ctx.uid,
        input_cols=tuple(ctx.param("inputCols")),
        output_col=ctx.param("outputCol"),
        handle_invalid=ctx.handle_invalid("error"),
        spark4=_spark4(ctx),
        info=ctx.info(),
    )


def load_vector_slicer(ctx: StageContext) -> VectorSlicer:
    indices = tuple(int(i) for i in ctx.param("indices", []))
    names = tuple(ctx.param("names", []))
    if not indices and not names:
        raise ctx.error("VectorSlicer requires that at least one feature be selected.")
    if len(set(indices)) != len(indices) or any(i < 0 for i in indices):
        raise ctx.error(f"invalid indices {list(indices)}: must be distinct and non-negative")
    if len(set(names)) != len(names) or not all(names):
        raise ctx.error(f"invalid names {list(names)}: must be distinct and non-empty")
    return VectorSlicer(
        ctx.uid,
        input_col=ctx.param("inputCol"),
        output_col=ctx.param("outputCol"),
        indices=indices,
        names=names,
        info=ctx.info(),
    )


def load_vector_size_hint(ctx: StageContext) -> VectorSizeHint:
    mode = ctx.param("handleInvalid", "error")
    if mode not in MODES:
        raise ctx.error(f"unknown handleInvalid {mode!r}; VectorSizeHint takes {MODES}")
    size = int(ctx.param("size"))  # no default in Spark: an unset size fails its transform too
    if size < 0:
        raise ctx.error(f"size must be >= 0, got {size}")
    return VectorSizeHint(
        ctx.uid, input_col=ctx.param("inputCol"), size=size, handle_invalid=mode, info=ctx.info()
    )


def load_interaction(ctx: StageContext) -> Interaction:
    inputs = tuple(ctx.param("inputCols"))
    if not inputs or len(set(inputs)) != len(inputs):
        raise ctx.error(f"Input cols must be non-empty and distinct, got {list(inputs)}")
    return Interaction(ctx.uid, input_cols=inputs, output_col=ctx.param("outputCol"),
                       spark4=_spark4(ctx), info=ctx.info())


def _spark4(ctx: StageContext) -> bool:
    """Spark 4.0 changed ``Vector.compressed`` (sparse iff 12 * nnz + 28 < 8 * size + 12)."""
    return ctx.meta.version >= (4, 0)
