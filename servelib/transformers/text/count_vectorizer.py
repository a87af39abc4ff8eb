"""CountVectorizerModel: an array of terms to a SparseVector of vocabulary term counts.

https://github.com/apache/spark/blob/v3.5.0/mllib/src/main/scala/org/apache/spark/ml/feature/CountVectorizer.scala
(the same in v4.0.0): terms outside the vocabulary are ignored but still counted in the
document's token count; ``minTF`` >= 1 is a count, below 1 a fraction of the token count
(``tokenCount * minTF``); counts below it are dropped; ``binary`` sets the kept counts to 1.0.
The output is a SparseVector of the vocabulary's size. A null array makes the UDF fail.
A :class:`~servelib.transformers.text.token_column.TokenColumn` input (RegexTokenizer's batch
output) is looked up and counted column-wise.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from servelib.sparse_column import CsrColumn, count_entries, offsets_of
from servelib.transformers.base import Scored
from servelib.transformers.batch import Batch
from servelib.transformers.text.common import RowwiseStage, sparse_column, sparse_row, string_list
from servelib.vectors import EntriesVector, VectorColumn


@dataclass(frozen=True)
class CountVectorizerModel(RowwiseStage):
    spark_class: ClassVar[str] = "org.apache.spark.ml.feature.CountVectorizerModel"

    vocabulary: tuple[str, ...] = ()
    min_tf: float = 1.0
    binary: bool = False
    _index: dict[str, int] = field(init=False, repr=False, compare=False)
    _vocabulary: pa.Array | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_index", {t: i for i, t in enumerate(self.vocabulary)})
        unique = len(self._index) == len(self.vocabulary)
        object.__setattr__(self, "_vocabulary",
                           pa.array(self.vocabulary, pa.string()) if unique else None)

    def per_row(self) -> Callable[[Any], dict[int, float]]:
        get, min_tf, binary = self._index.get, self.min_tf, self.binary

        def counts(value: Any) -> dict[int, float]:
            terms = string_list(value)
            out: dict[int, float] = {}
            for term in terms:
                i = get(term)  # type: ignore[arg-type]
                if i is not None:
                    out[i] = out.get(i, 0.0) + 1.0
            effective = min_tf if min_tf >= 1.0 else len(terms) * min_tf
            return {i: 1.0 if binary else c for i, c in out.items() if c >= effective}

        return counts

    def score_columns(self, batch: Batch) -> Scored:
        """A TokenColumn's terms looked up by Arrow (``_vocabulary``: none repeated, else
        Arrow's first index would differ from the map's last) and counted with NumPy."""
        tokens = batch.tokens(self.input_col)
        if tokens is None or self._vocabulary is None:
            return super().score_columns(batch)
        n, size, counts = len(tokens), len(self.vocabulary), tokens.counts()
        found = pc.index_in(tokens.flat(), value_set=self._vocabulary)
        known = found.is_valid().to_numpy(zero_copy_only=False)
        rows = np.repeat(np.arange(n), counts)[known]
        slots = found.drop_null().to_numpy().astype(np.int64)
        rows, slots, repeats = count_entries(rows, slots, size)
        values = repeats.astype(np.float64)
        if self.min_tf >= 1.0:
            keep = values >= self.min_tf
        else:  # a fraction of the row's token count, known terms or not
            keep = values >= counts[rows] * self.min_tf
        values = np.ones(int(keep.sum())) if self.binary else values[keep]
        rows, slots = rows[keep], slots[keep]
        col = CsrColumn(offsets_of(np.bincount(rows, minlength=n)), slots.astype(np.int32),
                        values, size)
        return Scored({self.output_col: col})

    def to_column(self, outputs: list) -> VectorColumn:
        return sparse_column(outputs, len(self.vocabulary))

    def to_row(self, output: dict[int, float]) -> EntriesVector:
        return sparse_row(output, len(self.vocabulary))
