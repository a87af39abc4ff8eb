"""VectorSlicer: a new vector of selected slots, chosen by index and/or by slot name.

https://github.com/apache/spark/blob/v3.5.0/mllib/src/main/scala/org/apache/spark/ml/feature/VectorSlicer.scala
Semantics (identical in Spark 3.5 and 4.x):

* Selected slots are ``indices`` (in the given order) followed by ``names``, which resolve through
  the input column's slot attributes (e.g. the names VectorAssembler writes; a duplicated name
  resolves to its last slot, as Spark's name map does). Indices and names must not overlap.
  Spark resolves names on every transform; we resolve them once, at load time (``bind``).
* A dense row gives a dense row; a sparse row gives ``SparseVector.slice``, a sparse row. An index
  past the vector's end fails for a dense row and reads 0.0 from a sparse row, as in Spark.
  A null vector fails (Spark's UDF matches on the vector type).
* Output attributes: the selected slot attributes when the input has them, else just the size.
  Size-only input metadata (e.g. from VectorSizeHint) makes Spark check the largest index.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import ClassVar

import numpy as np

from servelib.errors import ModelLoadError, UnsupportedStage
from servelib.transformers.attributes import AttributeGroup, Attrs
from servelib.transformers.base import (
    ABSENT,
    OnlineTransformer,
    RowKernel,
    Scored,
    invalid,
)
from servelib.transformers.batch import Batch
from servelib.transformers.feature.vector_assembler import group_size
from servelib.vectors import VectorColumn, row_vector, vector_of_row


@dataclass(frozen=True)
class VectorSlicer(OnlineTransformer):
    spark_class: ClassVar[str] = "org.apache.spark.ml.feature.VectorSlicer"

    input_col: str = ""
    output_col: str = ""
    indices: tuple[int, ...] = ()
    names: tuple[str, ...] = ()
    # Bound: the slots to take (indices, then resolved names) and, when names were used, the
    # slot count they were resolved against (checked per request: a request vector of another
    # size means the load-time names do not describe it).
    selected: tuple[int, ...] | None = None
    names_size: int | None = None
    _take: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.selected is None and not self.names:
            object.__setattr__(self, "selected", self.indices)
        object.__setattr__(self, "_take", np.array(self.selected or (), dtype=np.intp))

    def input_columns(self) -> Sequence[str]:
        return (self.input_col,)

    def output_columns(self) -> Sequence[str]:
        return (self.output_col,)

    def _error(self, message: str) -> ModelLoadError:
        return ModelLoadError(f"{self.name}, input column {self.input_col!r}: {message}")

    def bind(self, attrs: Attrs) -> VectorSlicer:
        group = attrs.get(self.input_col)
        group = group if isinstance(group, AttributeGroup) else None
        if group is not None and group.attrs is None and group.size is not None:
            # Spark's numAttributes check (it takes max of the indices, so it needs some)
            if not self.indices:
                raise self._error("Spark fails on this input (empty.max): the column has "
                                  "size-only metadata and no indices are selected")
            if max(self.indices) >= group.size:
                raise self._error(f"Selected feature index {max(self.indices)} invalid for "
                                  f"only {group.size} input features.")
        by_name: list[int] = []
        if self.names:
            if group is None or group.attrs is None:
                raise UnsupportedStage(
                    self.spark_class, None, reason=f"{self.name} selects slots by name, but the "
                    f"slot names of column {self.input_col!r} are not known at load time (in "
                    "Spark they come from column metadata or from a first-row size inference)")
            index = {a.name: i for i, a in enumerate(group.attrs) if a.name is not None}
            for name in self.names:
                if name not in index:
                    raise self._error(f"getFeatureIndicesFromNames found no feature with name "
                                      f"{name} in column {self.input_col!r}.")
                by_name.append(index[name])
        if len(set(self.indices) | set(by_name)) != len(self.indices) + len(by_name):
            raise self._error("VectorSlicer requires indices and names to be disjoint sets of "
                              f"features, but they overlap. indices: {list(self.indices)}. "
                              f"names: {[f'{i}:{n}' for i, n in zip(by_name, self.names)]}")
        selected = self.indices + tuple(by_name)
        if group is not None and group.attrs is not None and selected and \
                max(selected) >= len(group.attrs):
            raise self._error(f"index {max(selected)} is past the {len(group.attrs)} slot "
                              "attributes of the input")
        size = group_size(group) if self.names and group is not None else None
        return replace(self, selected=selected, names_size=size)

    def output_attributes(self, attrs: Attrs) -> Attrs:
        group = attrs.get(self.input_col)
        selected = self.selected or ()
        if isinstance(group, AttributeGroup) and group.attrs is not None:
            return {self.output_col: AttributeGroup(
                len(selected), tuple(group.attrs[i] for i in selected))}
        return {self.output_col: AttributeGroup(len(selected))}

    def score_columns(self, batch: Batch) -> Scored:
        if self.selected is None:
            raise self._error("names were never resolved (the stage was not bound)")
        col = batch.vectors(self.input_col, self.name)
        n = len(col)
        if col.null is not None and col.null.any():
            raise invalid("null vector (Spark's VectorSlicer UDF fails on null)", self,
                          self.input_col, batch, int(np.argmax(col.null)))
        take = self._take
        if n and self.names_size is not None and col.size != self.names_size:
            raise invalid(f"vector of size {col.size}, but the slot names were resolved against "
                          f"{self.names_size} slots at load time", self, self.input_col, batch, 0)
        if n and take.size and int(take.max()) >= col.size:
            if not col.sparse.all():  # a dense row's apply(i) is out of bounds
                i = int(np.argmax(~col.sparse))
                raise invalid(f"index {int(take.max())} out of bounds for a vector of size "
                              f"{col.size}", self, self.input_col, batch, i)
            padded = np.zeros((n, int(take.max()) + 1), dtype=np.float64)
            padded[:, : col.size] = col.dense
            return Scored({self.output_col: VectorColumn(padded[:, take], col.sparse)})
        dense = col.dense[:, take] if n else np.zeros((0, take.size), dtype=np.float64)
        return Scored({self.output_col: VectorColumn(dense, col.sparse)})

    def row_kernel(self) -> RowKernel | None:
        """A non-null vector (a sparse one may be shorter than the largest index: zeros); null,
        a dense vector too short and a size other than the names were resolved against take
        score_columns."""
        if self.selected is None or min(self.selected, default=0) < 0:
            return None
        src, dst, names_size = self.input_col, self.output_col, self.names_size
        take = list(self.selected)
        top = max(take, default=-1)

        def slice_(values: dict) -> bool:
            got = row_vector(values.get(src, ABSENT))
            if got is None:
                return False
            vec, sparse = got
            if names_size is not None and len(vec) != names_size:
                return False
            if top >= len(vec):
                if not sparse:
                    return False
                vec = vec + [0.0] * (top + 1 - len(vec))  # a sparse vector reads 0.0 past its end
            values[dst] = vector_of_row([vec[i] for i in take], sparse)
            return True

        return slice_
