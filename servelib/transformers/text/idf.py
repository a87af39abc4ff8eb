"""IDFModel: a term-frequency vector scaled entry by entry by the fitted idf vector.

https://github.com/apache/spark/blob/v3.5.0/mllib/src/main/scala/org/apache/spark/ml/feature/IDF.scala
and mllib's ``IDFModel.transformSparse/transformDense``
(https://github.com/apache/spark/blob/v3.5.0/mllib/src/main/scala/org/apache/spark/mllib/feature/IDF.scala),
the same in v4.0.0: a SparseVector keeps its indices and multiplies its stored values, a
DenseVector multiplies every value; the output keeps the input's type and size. minDocFreq
acts at fit time only (idf 0 for rarer terms). A null vector fails. A vector longer than idf
fails where Spark reads idf past its end: any dense row, a sparse row with a non-zero there
(an explicitly stored zero there, which Spark also rejects, is not seen: servelib's vector
column keeps no explicit zeros). A :class:`~servelib.sparse_column.CsrColumn` (HashingTF's,
CountVectorizer's output) is scaled entry by entry, never densified.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from servelib.transformers.base import ABSENT, OnlineTransformer, RowKernel, Scored, invalid
from servelib.transformers.batch import Batch
from servelib.transformers.text.common import NULL_INPUT
from servelib.sparse_column import CsrColumn
from servelib.vectors import EntriesVector, VectorColumn, row_vector, vector_of_row


@dataclass(frozen=True)
class IDFModel(OnlineTransformer):
    spark_class: ClassVar[str] = "org.apache.spark.ml.feature.IDFModel"

    input_col: str = ""
    output_col: str = ""
    idf: tuple[float, ...] = ()
    _idf: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_idf", np.asarray(self.idf, dtype=np.float64))

    def input_columns(self) -> Sequence[str]:
        return (self.input_col,)

    def output_columns(self) -> Sequence[str]:
        return (self.output_col,)

    def score_columns(self, batch: Batch) -> Scored:
        col = batch.vectors(self.input_col, self.name)
        if col.null is not None and col.null.any():
            raise invalid(NULL_INPUT, self, self.input_col, batch, int(np.argmax(col.null)))
        size, m = col.size, len(self.idf)
        with np.errstate(invalid="ignore"):  # inf * 0.0 is NaN, as in Spark
            return Scored({self.output_col: self._scaled(col, size, m, batch)})

    def _scaled(self, col: VectorColumn, size: int, m: int, batch: Batch) -> VectorColumn:
        if isinstance(col, CsrColumn):  # only the stored values are scaled
            if size > m and col.indices.size and col.indices.max() >= m:
                row = int(col.row_of_entries()[np.argmax(col.indices >= m)])
                raise invalid(f"vector of size {size} reaches past the {m} idf values "
                              "(Spark fails reading idf)", self, self.input_col, batch, row)
            return col.with_values(col.values * self._idf[col.indices])
        if size <= m:
            dense = col.dense * self._idf[:size]
        else:
            past = ~col.sparse | (col.dense[:, m:] != 0).any(axis=1)
            if past.any():
                raise invalid(f"vector of size {size} reaches past the {m} idf values "
                              "(Spark fails reading idf)", self, self.input_col, batch,
                              int(np.argmax(past)))
            dense = np.zeros_like(col.dense)
            dense[:, :m] = col.dense[:, :m] * self._idf
        return VectorColumn(dense, col.sparse.copy())

    def row_kernel(self) -> RowKernel:
        """Vectors up to idf's length; null and longer vectors take score_columns."""
        src, dst, idf = self.input_col, self.output_col, list(self.idf)
        m = len(idf)

        def scale(values: dict) -> bool:
            vec = values.get(src, ABSENT)
            if vec.__class__ is EntriesVector:  # HashingTF's output
                if vec.size > m:
                    return False
                values[dst] = EntriesVector(
                    vec.size, {i: x * idf[i] for i, x in vec.entries.items()})
                return True
            got = row_vector(vec)
            if got is None or len(got[0]) > m:
                return False
            values[dst] = vector_of_row([v * w for v, w in zip(got[0], idf)], got[1])
            return True

        return scale
