"""The fitted feature selectors: ChiSqSelectorModel, UnivariateFeatureSelectorModel and
VarianceThresholdSelectorModel all keep the slots ``selectedFeatures`` lists.

https://github.com/apache/spark/blob/v3.5.0/mllib/src/main/scala/org/apache/spark/ml/feature/Selector.scala
https://github.com/apache/spark/blob/v3.5.0/mllib/src/main/scala/org/apache/spark/ml/feature/ChiSqSelector.scala
https://github.com/apache/spark/blob/v3.5.0/mllib/src/main/scala/org/apache/spark/ml/feature/UnivariateFeatureSelector.scala
https://github.com/apache/spark/blob/v3.5.0/mllib/src/main/scala/org/apache/spark/ml/feature/VarianceThresholdSelector.scala
(the same in v4.0.0). ``SelectorModel.transform``: the slots are strictly increasing (the model
requires it); a dense row becomes ``Vectors.dense(selected.map(values))`` (a slot past its end
fails), a sparse row keeps its stored entries at selected slots (``compressSparse``; a slot
past its size reads nothing, so 0.0) and stays sparse. A null row fails the UDF.
Output attributes (``prepOutputField``): the input's slot attributes at the selected slots
when it has them, else one default attribute per slot, nominal for ChiSqSelector and numeric
for the other two.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from servelib.transformers.attributes import Attribute, AttributeGroup, Attrs
from servelib.transformers.base import ABSENT, OnlineTransformer, RowKernel, Scored, invalid
from servelib.transformers.batch import Batch
from servelib.vectors import VectorColumn, row_vector, vector_of_row


@dataclass(frozen=True)
class SelectorModel(OnlineTransformer):
    features_col: str = "features"
    output_col: str = ""
    selected: tuple[int, ...] = ()  # strictly increasing slot indices
    nominal: ClassVar[bool] = False  # kind of the default output attributes
    _take: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_take", np.array(self.selected, dtype=np.intp))

    def input_columns(self) -> Sequence[str]:
        return (self.features_col,)

    def output_columns(self) -> Sequence[str]:
        return (self.output_col,)

    def output_attributes(self, attrs: Attrs) -> Attrs:
        group = attrs.get(self.features_col)
        if isinstance(group, AttributeGroup) and group.attrs:
            slots = tuple(group.attrs[i] for i in self.selected if i < len(group.attrs))
        else:
            slots = (Attribute("nominal" if self.nominal else "numeric"),) * len(self.selected)
        return {self.output_col: AttributeGroup(len(slots), slots)}

    def score_columns(self, batch: Batch) -> Scored:
        col = batch.vectors(self.features_col, self.name)
        n, take = len(col), self._take
        if col.null is not None and col.null.any():
            raise invalid("null feature vector (Spark's selector UDF fails on null)", self,
                          self.features_col, batch, int(np.argmax(col.null)))
        if not n:
            return Scored({self.output_col: VectorColumn.of_dense(np.zeros((0, take.size)))})
        if take.size and int(take[-1]) >= col.size:
            if not col.sparse.all():
                raise invalid(f"index {int(take[-1])} out of bounds for a dense vector of size "
                              f"{col.size}", self, self.features_col, batch,
                              int(np.argmax(~col.sparse)))
            padded = np.zeros((n, int(take[-1]) + 1))
            padded[:, : col.size] = col.dense
            return Scored({self.output_col: VectorColumn(padded[:, take], col.sparse)})
        return Scored({self.output_col: VectorColumn(col.dense[:, take], col.sparse)})

    def row_kernel(self) -> RowKernel | None:
        """Any non-null vector; a dense one too short for the slots takes score_columns."""
        src, dst, take = self.features_col, self.output_col, list(self.selected)
        top = take[-1] if take else -1

        def select(values: dict) -> bool:
            got = row_vector(values.get(src, ABSENT))
            if got is None:
                return False
            vec, sparse = got
            if top >= len(vec):
                if not sparse:
                    return False
                vec = vec + [0.0] * (top + 1 - len(vec))
            values[dst] = vector_of_row([vec[i] for i in take], sparse)
            return True

        return select


@dataclass(frozen=True)
class ChiSqSelectorModel(SelectorModel):
    spark_class: ClassVar[str] = "org.apache.spark.ml.feature.ChiSqSelectorModel"
    nominal: ClassVar[bool] = True


@dataclass(frozen=True)
class UnivariateFeatureSelectorModel(SelectorModel):
    spark_class: ClassVar[str] = "org.apache.spark.ml.feature.UnivariateFeatureSelectorModel"


@dataclass(frozen=True)
class VarianceThresholdSelectorModel(SelectorModel):
    spark_class: ClassVar[str] = "org.apache.spark.ml.feature.VarianceThresholdSelectorModel"
