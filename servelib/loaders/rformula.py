"""Loaders for RFormulaModel and the private stages of its internal pipeline (ColumnPruner,
VectorAttributeRewriter). Layout, the same in Spark 3.5 and 4.x:

* RFormulaModel: metadata (formula, featuresCol, labelCol, handleInvalid, forceIndexLabel, ...);
  ``data/`` one row of the ResolvedRFormula (label, terms, hasIntercept);
  ``pipelineModel/`` a complete PipelineModel directory.
* ColumnPruner: ``data/`` one row with ``columnsToPrune: array<string>``.
* VectorAttributeRewriter: ``data/`` one row with ``vectorCol: string`` and
  ``prefixesToRewrite: map<string, string>``.

https://github.com/apache/spark/blob/v3.5.0/mllib/src/main/scala/org/apache/spark/ml/feature/RFormula.scala
"""

from __future__ import annotations

from servelib.loaders.context import StageContext
from servelib.loaders.parquet import field
from servelib.transformers.feature.rformula import RFormulaModel
from servelib.transformers.feature.rformula_internal import ColumnPruner, VectorAttributeRewriter
from servelib.transformers.feature.string_indexer import StringIndexerModel
from servelib.transformers.pipeline import PipelineModel


def load_rformula(ctx: StageContext) -> RFormulaModel:
    data = ctx.data_row()
    label = field(data, "label", ctx.path)
    terms = field(data, "terms", ctx.path)
    if not isinstance(label, str) or not isinstance(terms, list):
        raise ctx.error(f"unreadable ResolvedRFormula: label {label!r}, terms {terms!r}")
    inner = ctx.load_stage(ctx.mfs.join(ctx.path, "pipelineModel"))
    if not isinstance(inner, PipelineModel):
        raise ctx.error("pipelineModel/ is not a PipelineModel")
    label_col = ctx.param("labelCol", "label")
    stages = list(inner.stages)
    indexer = None
    # Spark appends the label's StringIndexer last (string label, or forceIndexLabel)
    last = stages[-1] if stages else None
    if isinstance(last, StringIndexerModel) and tuple(last.input_cols) == (label,) \
            and tuple(last.output_cols) == (label_col,):
        indexer = stages.pop()
    return RFormulaModel(
        ctx.uid,
        features=PipelineModel(inner.uid, stages=tuple(stages), info=inner.info),
        label_indexer=indexer,
        label=label,
        label_col=label_col,
        features_col=ctx.param("featuresCol", "features"),
        info=ctx.info(label=label, terms=terms, has_intercept=data.get("hasIntercept")),
    )


def load_column_pruner(ctx: StageContext) -> ColumnPruner:
    columns = field(ctx.data_row(), "columnsToPrune", ctx.path)
    if not isinstance(columns, list) or not all(isinstance(c, str) for c in columns):
        raise ctx.error(f"columnsToPrune must be a list of names, got {columns!r}")
    return ColumnPruner(ctx.uid, columns=tuple(columns), info=ctx.info(columns=columns))


def load_vector_attribute_rewriter(ctx: StageContext) -> VectorAttributeRewriter:
    data = ctx.data_row()
    vector_col = field(data, "vectorCol", ctx.path)
    prefixes = field(data, "prefixesToRewrite", ctx.path)
    if isinstance(prefixes, dict):
        prefixes = list(prefixes.items())
    if not isinstance(vector_col, str) or not isinstance(prefixes, list):
        raise ctx.error(f"unreadable data: vectorCol {vector_col!r}, prefixes {prefixes!r}")
    return VectorAttributeRewriter(ctx.uid, vector_col=vector_col,
                                   prefixes=tuple((str(a), str(b)) for a, b in prefixes),
                                   info=ctx.info())
