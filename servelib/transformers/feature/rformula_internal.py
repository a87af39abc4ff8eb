"""The two private stages RFormula's internal pipeline holds: ColumnPruner (drops the temporary
index/one-hot/interaction columns) and VectorAttributeRewriter (renames the features vector's
slot attributes; the values are untouched).
https://github.com/apache/spark/blob/v3.5.0/mllib/src/main/scala/org/apache/spark/ml/feature/RFormula.scala
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import ClassVar

from servelib.transformers.attributes import AttributeGroup, Attrs
from servelib.transformers.base import OnlineTransformer, RowKernel, Scored
from servelib.transformers.batch import Batch


@dataclass(frozen=True)
class ColumnPruner(OnlineTransformer):
    spark_class: ClassVar[str] = "org.apache.spark.ml.feature.ColumnPruner"

    columns: tuple[str, ...] = ()  # columnsToPrune: absent ones are ignored, as in Spark

    def input_columns(self) -> Sequence[str]:
        return ()

    def output_columns(self) -> Sequence[str]:
        return ()

    def drops_rows(self) -> bool:
        return True  # it hides columns: keep it even when no wanted output depends on it

    def score_columns(self, batch: Batch) -> Scored:
        return Scored({}, dropped=self.columns)

    def row_kernel(self) -> RowKernel:
        columns = self.columns

        def kernel(values: dict) -> bool:
            for name in columns:
                values.pop(name, None)
            return True

        return kernel


@dataclass(frozen=True)
class VectorAttributeRewriter(OnlineTransformer):
    spark_class: ClassVar[str] = "org.apache.spark.ml.feature.VectorAttributeRewriter"

    vector_col: str = ""
    prefixes: tuple[tuple[str, str], ...] = ()  # prefixesToRewrite, in the saved map's order

    def input_columns(self) -> Sequence[str]:
        return (self.vector_col,)

    def output_columns(self) -> Sequence[str]:
        return ()

    def output_attributes(self, attrs: Attrs) -> Attrs:
        group = attrs.get(self.vector_col)
        if not isinstance(group, AttributeGroup) or group.attrs is None:
            return {}
        renamed = []
        for attr in group.attrs:
            name = attr.name
            if name is not None:
                for old, new in self.prefixes:  # Spark: name.replace(from, to), every match
                    name = name.replace(old, new)
            renamed.append(replace(attr, name=name))
        return {self.vector_col: replace(group, attrs=tuple(renamed))}

    def score_columns(self, batch: Batch) -> Scored:
        batch.vectors(self.vector_col, self.name)  # Spark reads the column's vector metadata
        return Scored({})

    def row_kernel(self) -> RowKernel:
        vector_col = self.vector_col

        def kernel(values: dict) -> bool:
            return vector_col in values

        return kernel
