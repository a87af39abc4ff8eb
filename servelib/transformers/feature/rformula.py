"""RFormulaModel: a fitted R formula, scored by its internal PipelineModel plus the label.

https://github.com/apache/spark/blob/v3.5.0/mllib/src/main/scala/org/apache/spark/ml/feature/RFormula.scala
https://github.com/apache/spark/blob/v3.5.0/mllib/src/main/scala/org/apache/spark/ml/feature/RFormulaParser.scala
https://github.com/apache/spark/blob/v4.0.0/mllib/src/main/scala/org/apache/spark/ml/feature/RFormula.scala

Spark resolves the formula (``.``, ``+``, ``-``, ``:``, ``- 1``/``+ 0``) at fit time and saves
the pipeline it built from it: a StringIndexer per string term, OneHotEncoder(s), Interaction per
``a:b`` term, VectorSizeHint per vector term, VectorAssembler, VectorAttributeRewriter,
ColumnPruner, and a StringIndexer for a string label (or with forceIndexLabel). So serving runs
that pipeline, which servelib's stages already score; the formula itself needs no parsing.

Transform (identical in 3.5 and 4.x): the features column must not exist in the input; the label
column, when present in the input, must be numeric and passes through. Otherwise the label comes
from the formula's response column: indexed by the internal StringIndexer, or cast to double when
it is numeric or boolean; when the response column is absent (serving), Spark skips the label
(the internal StringIndexerModel skips a missing input column too).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any, ClassVar

import numpy as np

from servelib.errors import InvalidInput
from servelib.transformers.attributes import Attrs
from servelib.transformers.base import OnlineTransformer, Scored
from servelib.transformers.batch import Batch, brief, object_column
from servelib.transformers.feature.string_indexer import StringIndexerModel
from servelib.transformers.pipeline import PipelineModel


_NUMBERS = (int, float, np.number, np.bool_)


@dataclass(frozen=True)
class RFormulaModel(OnlineTransformer):
    spark_class: ClassVar[str] = "org.apache.spark.ml.feature.RFormulaModel"

    features: PipelineModel | None = None  # the internal pipeline without the label indexer
    label_indexer: StringIndexerModel | None = None
    label: str = ""  # the formula's response column ("" when the formula has none)
    label_col: str = "label"
    features_col: str = "features"

    @property
    def stages(self) -> tuple[OnlineTransformer, ...]:
        """The internal pipeline's stages (for tools that walk a model's stages)."""
        extra = () if self.label_indexer is None else (self.label_indexer,)
        return (*self.features.stages, *extra)

    # ---- columns and attributes -----------------------------------------------------------
    def input_columns(self) -> Sequence[str]:
        return self.features.input_columns()  # the label is optional at serving time

    def output_columns(self) -> Sequence[str]:
        return (self.features_col, self.label_col)


    def bind(self, attrs: Attrs) -> RFormulaModel:
        features = self.features.bind(attrs)
        indexer = self.label_indexer
        if indexer is not None:
            indexer = indexer.bind({**attrs, **features.output_attributes(attrs)})
        return replace(self, features=features, label_indexer=indexer)

    def output_attributes(self, attrs: Attrs) -> Attrs:
        out = dict(self.features.output_attributes(attrs))
        if self.label_indexer is not None:
            out.update(self.label_indexer.output_attributes({**attrs, **out}))
        return out

    def with_input_types(self, types: Mapping[str, str]) -> RFormulaModel:
        return replace(self, features=self.features.with_input_types(types))

    # ---- scoring ---------------------------------------------------------------------------
    def run(self, batch: Batch) -> None:
        if batch.has(self.features_col):
            raise self._exists()
        given = batch.has(self.label_col)
        if given:
            batch.floats(self.label_col, self.name)  # must be numeric, as Spark requires
        self.features.run(batch)
        if given or not self.label or not batch.has(self.label):
            return
        if self.label_indexer is not None:
            self.label_indexer.run(batch)
        else:
            batch.set(self.label_col, self.score_columns(batch).columns[self.label_col])

    def score_columns(self, batch: Batch) -> Scored:
        """The response column cast to double (everything else runs through run())."""
        col = batch.column(self.label, self.name)
        if col.dtype != object:
            if col.dtype.kind not in "fiub":
                raise self._unsupported(col.dtype)
            return Scored({self.label_col: col.astype(np.float64)})
        return Scored({self.label_col: object_column([self._label(v) for v in col])})

    def score_row(self, values: dict) -> bool:
        if self.features_col in values:
            raise self._exists()
        given = self.label_col in values
        if given:
            self._label(values[self.label_col], self.label_col)
        fast = self.features.score_row(values)
        if given or not self.label or self.label not in values:
            return fast
        if self.label_indexer is not None:
            return self.label_indexer.score_row(values) and fast
        values[self.label_col] = self._label(values[self.label])
        return fast

    def _label(self, value: Any, column: str | None = None) -> float | None:
        if value is None:
            return None
        if isinstance(value, (str, bytes)) or not isinstance(value, _NUMBERS):
            raise self._unsupported(brief(value), column)
        return float(value)

    def _unsupported(self, what: Any, column: str | None = None) -> InvalidInput:
        return InvalidInput(f"Unsupported type for label: {what}", column=column or self.label,
                            stage=self.name)

    def _exists(self) -> InvalidInput:
        return InvalidInput("Features column already exists.", column=self.features_col,
                            stage=self.name)

    @cached_property
    def _inplace(self) -> tuple[str, ...]:
        return ()

    def drops_rows(self) -> bool:
        return True  # its pruner hides columns; its indexers may skip rows
