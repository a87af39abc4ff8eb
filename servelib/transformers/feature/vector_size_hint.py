"""VectorSizeHint: declares a vector column's size in its metadata; checks rows against it.

https://github.com/apache/spark/blob/v3.5.0/mllib/src/main/scala/org/apache/spark/ml/feature/VectorSizeHint.scala
Semantics (identical in Spark 3.5 and 4.x):

* The column passes through unchanged (same values, same dense/sparse form); only its metadata
  changes, so this stage writes no output column.
* handleInvalid="error": a null vector or one whose size differs from ``size`` fails.
  "skip": such rows are dropped. "optimistic": nothing is checked, every row passes.
* Metadata: the column's attribute group keeps its slot attributes when its size already equals
  ``size``; an unsized column gets a size-only group; a different known size fails (Spark checks
  this in transformSchema, so we check it at load time).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from servelib.errors import InvalidInput, ModelLoadError, RowSkipped
from servelib.transformers.attributes import Attribute, AttributeGroup, Attrs
from servelib.transformers.base import (
    ABSENT,
    OnlineTransformer,
    RowKernel,
    Scored,
    invalid,
)
from servelib.transformers.batch import Batch
from servelib.transformers.feature.vector_assembler import group_size
from servelib.vectors import VectorColumn, as_vector, row_vector

NULL_MESSAGE = ("Got null vector in VectorSizeHint, set `handleInvalid` to 'skip' to filter "
                "invalid rows.")
MODES = ("error", "skip", "optimistic")


@dataclass(frozen=True)
class VectorSizeHint(OnlineTransformer):
    spark_class: ClassVar[str] = "org.apache.spark.ml.feature.VectorSizeHint"

    input_col: str = ""
    size: int = 0
    handle_invalid: str = "error"  # one of MODES ("optimistic" is not a HandleInvalid)

    def input_columns(self) -> Sequence[str]:
        return (self.input_col,)

    def output_columns(self) -> Sequence[str]:
        return ()  # the input column is passed through; only its attributes change

    def bind(self, attrs: Attrs) -> VectorSizeHint:
        group = attrs.get(self.input_col)
        where = f"{self.name}, input column {self.input_col!r}"
        if isinstance(group, Attribute):
            raise ModelLoadError(f"{where}: Input column must be of Vector type, got a number")
        known = group_size(group) if isinstance(group, AttributeGroup) else None
        if known is not None and known != self.size:
            raise ModelLoadError(f"{where}: Trying to set size of vectors in `{self.input_col}` "
                                 f"to {self.size} but size already set to {known}.")
        return self

    def output_attributes(self, attrs: Attrs) -> Attrs:
        group = attrs.get(self.input_col)
        if isinstance(group, AttributeGroup) and group_size(group) == self.size:
            return {}  # Spark keeps the existing group (with its slot attributes)
        return {self.input_col: AttributeGroup(self.size)}

    def score_columns(self, batch: Batch) -> Scored:
        null, sizes = self._sizes(batch)  # also checks the column is there and holds vectors
        if self.handle_invalid == "optimistic":
            return Scored({})
        wrong = sizes != self.size
        if null is not None:
            wrong &= ~null
        if self.handle_invalid == "error":
            if null is not None and null.any():
                raise invalid(NULL_MESSAGE, self, self.input_col, batch, int(np.argmax(null)))
            if wrong.any():
                i = int(np.argmax(wrong))
                raise invalid(f"VectorSizeHint Expecting a vector of size {self.size} but got "
                              f"{int(sizes[i])}", self, self.input_col, batch, i)
            return Scored({})
        drop = wrong if null is None else wrong | null
        return Scored({}, keep=None if not drop.any() else ~drop, skip_reason=self._skip_reason,
                      skip_column=self.input_col)

    def row_kernel(self) -> RowKernel:
        """Every mode: a vector (ours, a list, a JSON dict) or null passes, is skipped or raises
        as the batch path decides; non-vectors take score_columns."""
        src, size, mode = self.input_col, self.size, self.handle_invalid
        optimistic = mode == "optimistic"

        def check(values: dict) -> bool:
            v = values.get(src, ABSENT)
            if v is None:
                got = None
            else:
                got = row_vector(v)  # also what the batch path accepts as a vector
                if got is None:
                    return False
                if optimistic or len(got[0]) == size:
                    return True
            if optimistic:
                return True
            if mode == "error":
                message = NULL_MESSAGE if got is None else (
                    f"VectorSizeHint Expecting a vector of size {size} but got {len(got[0])}")
                raise InvalidInput(message, column=src, stage=self.name, row=0)
            raise RowSkipped(f"Spark would skip this row: {self._skip_reason}", column=src,
                             stage=self.name)

        return check

    @property
    def _skip_reason(self) -> str:
        return f"a null vector or one not of size {self.size}"

    def _sizes(self, batch: Batch) -> tuple[np.ndarray | None, np.ndarray]:
        """Null mask and each row's vector size; rows of one batch may differ in size here."""
        col = batch.column(self.input_col, self.name)
        if not isinstance(col, VectorColumn):
            try:
                col = batch.vectors(self.input_col, self.name)
            except InvalidInput:  # mixed sizes (or a bad value: reported row by row below)
                return _row_sizes(col, self, batch)
        return col.null, np.full(len(col), col.size)


def _row_sizes(col: np.ndarray, stage: VectorSizeHint, batch: Batch):
    sizes = np.zeros(len(col), dtype=np.int64)
    null = np.zeros(len(col), dtype=bool)
    for i, value in enumerate(col):
        try:
            vec = as_vector(value)
        except (TypeError, ValueError) as exc:
            raise invalid(f"expected a vector: {exc}", stage, stage.input_col, batch, i) from exc
        if vec is None:
            null[i] = True
        else:
            sizes[i] = vec.size
    return null, sizes
