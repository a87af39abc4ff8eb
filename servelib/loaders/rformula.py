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
from servelib.loaders.params import BadValue, as_list, as_string, show
from servelib.transformers.feature.rformula import RFormulaModel
from servelib.transformers.feature.rformula_internal import ColumnPruner, VectorAttributeRewriter
from servelib.transformers.feature.string_indexer import StringIndexerModel
from servelib.transformers.pipeline import PipelineModel


def load_rformula(ctx: StageContext) -> RFormulaModel:
    data = ctx.data_fields()
    label = data.string("label")
    terms = data.read("terms", _terms)
    has_intercept = data.boolean("hasIntercept", None)
    inner = ctx.load_stage(ctx.mfs.join(ctx.path, "pipelineModel"))
    if not isinstance(inner, PipelineModel):
        raise ctx.error("pipelineModel/ is not a PipelineModel")
    label_col = ctx.params.string("labelCol", "label")
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
        features_col=ctx.params.string("featuresCol", "features"),
        info=ctx.info(label=label, terms=terms, has_intercept=has_intercept),
    )


def load_column_pruner(ctx: StageContext) -> ColumnPruner:
    columns = ctx.data_fields().strings("columnsToPrune", limit=ctx.limits.max_stages)
    return ColumnPruner(ctx.uid, columns=columns, info=ctx.info(columns=list(columns)))


def load_vector_attribute_rewriter(ctx: StageContext) -> VectorAttributeRewriter:
    data = ctx.data_fields()
    vector_col = data.string("vectorCol")
    prefixes = data.read("prefixesToRewrite", _prefixes)
    return VectorAttributeRewriter(ctx.uid, vector_col=vector_col, prefixes=prefixes,
                                   info=ctx.info())


def _terms(value: object) -> list[list[str]]:
    """ResolvedRFormula.terms: array<array<string>>, one list of columns per term."""
    return [[as_string(c) for c in as_list(term, 1 << 16)] for term in as_list(value, 1 << 16)]


def _prefixes(value: object) -> tuple[tuple[str, str], ...]:
    """map<string, string>: Arrow gives a list of (key, value) pairs (or a dict)."""
    items = value.items() if isinstance(value, dict) else as_list(value, 1 << 16)
    out = []
    for item in items:
        if not isinstance(item, (tuple, list)) or len(item) != 2:
            raise BadValue(f"expected (prefix, replacement) pairs, got {show(item)}")
        out.append((as_string(item[0]), as_string(item[1])))
    return tuple(out)
